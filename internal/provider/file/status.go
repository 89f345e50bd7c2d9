package file

import (
	"maps"
	"slices"

	"github.com/envoygw/envoy-gateway/internal/gatewayapi"
)

// Status is what the File provider reports on /api/status.
type Status struct {
	// Synced is true once the files have been read and a snapshot published.
	Synced bool `json:"synced"`
	// Files are the input files, sorted by path.
	Files []FileStatus `json:"files"`
	// Errors are every current problem: invalid files (whose last good
	// content stays in force), duplicate objects, unreadable paths.
	Errors []Problem `json:"errors,omitempty"`
	// Warnings are ignored documents (kinds the translator does not read).
	Warnings []Problem `json:"warnings,omitempty"`
}

// FileStatus is the state of one input file.
type FileStatus struct {
	Path string `json:"path"`
	// Objects is how many objects of the file are in force.
	Objects int `json:"objects"`
	// Valid is false when the current content has errors; the last good
	// content (if any, see LastGood) is then in force.
	Valid bool `json:"valid"`
	// LastGood is true when the file has content in force.
	LastGood bool `json:"lastGood"`
}

// Status returns the provider's current status.
func (p *Provider) Status() Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.synced {
		return Status{}
	}
	names := slices.Sorted(maps.Keys(p.files))
	s := Status{Synced: true, Files: make([]FileStatus, 0, len(names))}
	for _, name := range names {
		st := p.files[name]
		fs := FileStatus{Path: name, Valid: st.errors == nil, LastGood: st.good != nil}
		if st.good != nil {
			fs.Objects = len(st.good.Objects)
			s.Warnings = append(s.Warnings, st.good.Warnings()...)
		}
		s.Files = append(s.Files, fs)
		s.Errors = append(s.Errors, st.errors...)
	}
	s.Errors = append(s.Errors, p.pathProblems...)
	s.Errors = append(s.Errors, p.world.duplicates()...)
	return s
}

// source is where the object in force of a kind and key was read.
func (p *Provider) source(kind string, key gatewayapi.ObjectKey) (Source, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.world.source(kind, key)
}
