package file

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"os"
	"slices"

	"github.com/envoygw/envoy-gateway/internal/gatewayapi"
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
		st.good, st.errors = parsed[i], nil
		st.goodHash, st.goodEndpointsHash = contentHash(parsed[i])
		p.log.Info("file read", "file", f.Name, "objects", len(parsed[i].Objects))
		for _, w := range parsed[i].Warnings {
			p.log.Info("ignored document", "problem", w.Error())
		}
	}
}

// contentHash hashes the objects of a file (not its bytes), so that edits of
// comments or formatting do not publish a new snapshot: resources hashes
// every object but EndpointSlices, endpoints the EndpointSlices. A hash of
// no object is the zero value.
func contentHash(parsed *Parsed) (resources, endpoints [sha256.Size]byte) {
	res, eps := sha256.New(), sha256.New()
	resEnc, epsEnc := json.NewEncoder(res), json.NewEncoder(eps)
	var nRes, nEps int
	for _, o := range parsed.Objects {
		if o.GVK == endpointSliceGVK {
			_ = epsEnc.Encode(o.Object)
			nEps++
		} else {
			_ = resEnc.Encode(o.Object)
			nRes++
		}
	}
	if nRes > 0 {
		copy(resources[:], res.Sum(nil))
	}
	if nEps > 0 {
		copy(endpoints[:], eps.Sum(nil))
	}
	return resources, endpoints
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

// publish builds the snapshots of the content in force and publishes each
// one that is not the one published last (the endpoints snapshot first, so
// that the translation of the Resources snapshot finds its endpoints), and
// updates the status.
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
	fp, epsFP := sha256.New(), sha256.New()
	var zero [sha256.Size]byte
	for _, name := range names {
		st := p.files[name]
		if st.good == nil {
			continue
		}
		good = append(good, st.good)
		if st.goodHash != zero {
			fp.Write([]byte(name))
			fp.Write(st.goodHash[:])
		}
		if st.goodEndpointsHash != zero {
			epsFP.Write([]byte(name))
			epsFP.Write(st.goodEndpointsHash[:])
		}
	}
	infraJSON, _ := json.Marshal(infra) // map keys are sorted
	fp.Write(infraJSON)

	res, duplicates := Build(good, infra)
	for _, ns := range res.Namespaces { // implicit ones too (an EndpointSlice's, say)
		fp.Write([]byte(ns.Name + "\n"))
	}
	eps := EndpointsOf(res)
	for _, s := range eps.Services { // the Services covered (those of the files)
		epsFP.Write([]byte(s.Namespace + "/" + s.Name + "\n"))
	}
	status := p.buildStatus(names, duplicates)
	sources := sourcesOf(good)

	var sum, epsSum [sha256.Size]byte
	copy(sum[:], fp.Sum(nil))
	copy(epsSum[:], epsFP.Sum(nil))
	p.mu.Lock()
	first := !p.status.Synced
	p.status, p.sources = status, sources
	p.mu.Unlock()
	if p.opts.Endpoints != nil && (first || epsSum != p.publishedEndpoints) {
		p.publishedEndpoints = epsSum
		p.opts.Endpoints.Publish(eps)
		p.log.Info("published endpoints", "services", len(eps.Services), "endpointSlices", len(res.EndpointSlices))
	}
	if !first && sum == p.published {
		return
	}
	p.published = sum
	res.EndpointSlices = nil // in the endpoints snapshot; the translator does not read them
	p.opts.Resources.Publish(res)
	p.log.Info("published resources", "files", len(good), "gateways", len(res.Gateways),
		"httpRoutes", len(res.HTTPRoutes), "tlsRoutes", len(res.TLSRoutes), "tcpRoutes", len(res.TCPRoutes), "errors", len(status.Errors))
}

// EndpointsOf is the endpoints snapshot of a snapshot's EndpointSlices,
// covering every Service of the snapshot.
func EndpointsOf(res *gatewayapi.Resources) *gatewayapi.Endpoints {
	services := make([]gatewayapi.ObjectKey, 0, len(res.Services))
	for _, s := range res.Services {
		services = append(services, gatewayapi.ObjectKey{Namespace: s.Namespace, Name: s.Name})
	}
	return gatewayapi.NewEndpoints(services, res.EndpointSlices)
}
