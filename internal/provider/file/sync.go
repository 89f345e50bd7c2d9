package file

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"os"
	"slices"
)

// sync re-reads the paths: files whose content changed are parsed again,
// files that are gone are forgotten; then a snapshot is published if the
// content in force changed.
func (p *Provider) sync(ctx context.Context, w *watches) {
	l := listFiles(p.opts.Paths)
	w.ensure(l.dirs)
	present := map[string]bool{}
	var changed []FileData
	var hashes [][sha256.Size]byte
	for _, name := range l.files {
		present[name] = true
		data, err := os.ReadFile(name)
		if err != nil {
			p.fileFailed(name, []Problem{{Source: Source{File: name}, Message: pathError(err)}})
			continue
		}
		sum := sha256.Sum256(data)
		if st, ok := p.files[name]; ok && st.hash == sum {
			continue
		}
		changed = append(changed, FileData{Name: name, Data: data})
		hashes = append(hashes, sum)
	}
	for name := range p.files {
		if !present[name] {
			p.log.Info("file removed: its objects are withdrawn", "file", name)
			delete(p.files, name)
			p.cache.Forget(name)
		}
	}
	p.parseChanged(ctx, changed, hashes)
	p.pathProblems = l.problems
	p.publish()
}

// parseChanged parses the changed files and records the outcome: a good file
// replaces the file's content in force, a bad one keeps it.
func (p *Provider) parseChanged(ctx context.Context, changed []FileData, hashes [][sha256.Size]byte) {
	if len(changed) == 0 {
		return
	}
	parsed, err := Parse(ctx, changed, ParseOptions{Validator: p.opts.Validator, Cache: p.cache})
	if err != nil {
		p.log.Error(err, "cannot parse files")
		return
	}
	for i, f := range changed {
		st := p.state(f.Name)
		st.hash = hashes[i]
		if len(parsed[i].Errors) > 0 {
			p.fileFailed(f.Name, parsed[i].Errors)
			continue
		}
		st.good, st.goodHash, st.errors = parsed[i], contentHash(parsed[i]), nil
		p.log.Info("file read", "file", f.Name, "objects", len(parsed[i].Objects))
		for _, w := range parsed[i].Warnings {
			p.log.Info("ignored document", "problem", w.Error())
		}
	}
}

// contentHash hashes the objects of a file (not its bytes), so that edits of
// comments or formatting do not publish a new snapshot.
func contentHash(parsed *Parsed) [sha256.Size]byte {
	h := sha256.New()
	enc := json.NewEncoder(h)
	for _, o := range parsed.Objects {
		_ = enc.Encode(o.Object)
	}
	var sum [sha256.Size]byte
	copy(sum[:], h.Sum(nil))
	return sum
}

func (p *Provider) state(name string) *fileState {
	st, ok := p.files[name]
	if !ok {
		st = &fileState{}
		p.files[name] = st
	}
	return st
}

// fileFailed records a file whose current content cannot be used.
func (p *Provider) fileFailed(name string, problems []Problem) {
	st := p.state(name)
	st.errors = problems
	if st.good != nil {
		p.log.Info("file is invalid: its last good content stays in force", "file", name, "errors", len(problems))
	} else {
		p.log.Info("file is invalid and has no good content yet", "file", name, "errors", len(problems))
	}
	for _, pr := range problems {
		p.log.Info("invalid input", "problem", pr.Error())
	}
}

// publish builds and publishes the snapshot of the content in force, unless
// it is the one published last, and updates the status.
func (p *Provider) publish() {
	p.mu.Lock()
	infra := p.infra
	p.mu.Unlock()

	names := make([]string, 0, len(p.files))
	for name := range p.files {
		names = append(names, name)
	}
	slices.Sort(names)
	var good []*Parsed
	fp := sha256.New()
	for _, name := range names {
		st := p.files[name]
		if st.good == nil {
			continue
		}
		good = append(good, st.good)
		if len(st.good.Objects) > 0 {
			fp.Write([]byte(name))
			fp.Write(st.goodHash[:])
		}
	}
	infraJSON, _ := json.Marshal(infra) // map keys are sorted
	fp.Write(infraJSON)

	res, duplicates := Build(good, infra)
	status := p.buildStatus(names, duplicates)
	sources := sourcesOf(good)

	var sum [sha256.Size]byte
	copy(sum[:], fp.Sum(nil))
	p.mu.Lock()
	first := !p.status.Synced
	p.status, p.sources = status, sources
	p.mu.Unlock()
	if !first && sum == p.published {
		return
	}
	p.published = sum
	p.opts.Resources.Publish(res)
	p.log.Info("published resources", "files", len(good), "gateways", len(res.Gateways),
		"httpRoutes", len(res.HTTPRoutes), "tlsRoutes", len(res.TLSRoutes), "errors", len(status.Errors))
}
