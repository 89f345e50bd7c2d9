package file

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"hash"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/envoygw/envoy-gateway/internal/gatewayapi"
)

// sync re-reads every path (at start, on the periodic resync and after a
// watcher error): files whose size or modification time changed are read
// and, when their content changed, parsed again; files that are gone are
// withdrawn. Then the snapshots that changed are published.
func (p *Provider) sync(ctx context.Context, w *watches) {
	l := listFiles(p.opts.Paths)
	if w.ensure(l.dirs) {
		// A file written between the listing and its folder's new watch has
		// no event: list again now that the folders are watched.
		l = listFiles(p.opts.Paths)
		w.ensure(l.dirs)
	}
	present := make(map[string]bool, len(l.files))
	for _, name := range l.files {
		present[name] = true
	}
	var removed []string
	for name := range p.files {
		if !present[name] {
			removed = append(removed, name)
		}
	}
	p.refresh(ctx, l.files, removed, true)
	p.mu.Lock()
	p.pathProblems = l.problems
	p.mu.Unlock()
	p.publish()
}

// syncPaths handles a batch of file events: only the paths they name are
// looked at (a file read again, a new folder walked, a file or folder gone
// withdrawn), so that a change costs about what changed. An event on a
// hidden folder or link may change files through links without an event of
// their own (a mounted ConfigMap swaps its ..data link to a new hidden
// folder): then every path is re-read (sync).
func (p *Provider) syncPaths(ctx context.Context, w *watches, paths map[string]bool) {
	var candidates, removed []string
	for path := range paths {
		if mayRedirect(path) {
			p.sync(ctx, w)
			return
		}
		info, err := os.Stat(path)
		switch {
		case err != nil:
			removed = append(removed, p.knownAt(path)...)
		case info.IsDir():
			if p.isInputDir(path) {
				var l listing
				l.walk(path)
				if w.ensure(l.dirs) {
					l = listing{} // as in sync: files written before the new watches
					l.walk(path)
					w.ensure(l.dirs)
				}
				candidates = append(candidates, l.files...)
			}
		case p.isInput(path) && info.Mode().IsRegular():
			candidates = append(candidates, path)
		}
	}
	p.refresh(ctx, candidates, removed, false)
	problems := p.configuredPathProblems()
	p.mu.Lock()
	p.pathProblems = problems
	p.mu.Unlock()
	p.publish()
}

// mayRedirect reports whether an event's path has a hidden name and is a
// folder or a link: input files may be links through it. (A hidden file,
// such as an editor's temporary file renamed over an input file, is not.)
func mayRedirect(path string) bool {
	if !strings.HasPrefix(filepath.Base(path), ".") {
		return false
	}
	info, err := os.Lstat(path)
	return err == nil && (info.IsDir() || info.Mode()&fs.ModeSymlink != 0)
}

// knownAt returns the known files at path: the file itself, or the files
// under it when it was a folder.
func (p *Provider) knownAt(path string) []string {
	if _, ok := p.files[path]; ok {
		return []string{path}
	}
	var out []string
	prefix := strings.TrimSuffix(path, string(os.PathSeparator)) + string(os.PathSeparator)
	for name := range p.files {
		if strings.HasPrefix(name, prefix) {
			out = append(out, name)
		}
	}
	return out
}

// refresh withdraws the removed files and reads the candidates: those whose
// content changed are parsed again. Without force, a candidate whose size
// and modification time did not change is not read.
func (p *Provider) refresh(ctx context.Context, candidates, removed []string, statFirst bool) {
	for _, name := range removed {
		p.log.Info("file removed: its objects are withdrawn", "file", name)
		p.mu.Lock()
		delete(p.files, name)
		p.world.set(name, nil)
		p.mu.Unlock()
		p.cache.Forget(name)
	}
	var changed []FileData
	var stamps []fileStamp
	for _, name := range candidates {
		stamp, err := stampOf(name)
		if err != nil {
			p.fileFailed(name, []Problem{{Source: Source{File: name}, Message: pathError(err)}})
			continue
		}
		st, known := p.files[name]
		if statFirst && known && st.stamp.sameFile(stamp) {
			continue
		}
		data, err := os.ReadFile(name)
		if err != nil {
			p.fileFailed(name, []Problem{{Source: Source{File: name}, Message: pathError(err)}})
			continue
		}
		stamp.hash = digestOf(data)
		if known && st.stamp.hash == stamp.hash {
			p.mu.Lock()
			st.stamp = stamp
			p.mu.Unlock()
			continue
		}
		changed = append(changed, FileData{Name: name, Data: data})
		stamps = append(stamps, stamp)
	}
	p.parseChanged(ctx, changed, stamps)
}

// fileStamp identifies the content of a file read: its size and
// modification time (to skip reading unchanged files on a resync) and the
// hash of its bytes.
type fileStamp struct {
	size    int64
	modTime int64
	hash    digest
}

// digest identifies content: the first 16 bytes of its SHA-256 hash. The
// provider keeps three per file (50,000 at 10,000 routes); 128 bits tell
// one content from the next as surely as the whole hash does for this
// use (no adversary gains from a collision: the file's writer could as
// well write the other content).
type digest [16]byte

// digestOf is the digest of data.
func digestOf(data []byte) digest {
	sum := sha256.Sum256(data)
	return digest(sum[:16])
}

// digestSum is the digest of what h hashed.
func digestSum(h hash.Hash) digest {
	var sum [sha256.Size]byte
	return digest(h.Sum(sum[:0])[:16])
}

func stampOf(name string) (fileStamp, error) {
	info, err := os.Stat(name)
	if err != nil {
		return fileStamp{}, err
	}
	return fileStamp{size: info.Size(), modTime: info.ModTime().UnixNano()}, nil
}

func (s fileStamp) sameFile(o fileStamp) bool { return s.size == o.size && s.modTime == o.modTime }

// parseChanged parses the changed files and records the outcome: a good file
// replaces the file's content in force, a bad one keeps it.
func (p *Provider) parseChanged(ctx context.Context, changed []FileData, stamps []fileStamp) {
	if len(changed) == 0 {
		return
	}
	parsed, err := Parse(ctx, changed, ParseOptions{Validator: p.opts.Validator, Cache: p.cache, Values: p.values})
	if err != nil {
		p.log.Error(err, "cannot parse files")
		return
	}
	for i, f := range changed {
		p.mu.Lock()
		st := p.state(f.Name)
		st.stamp = stamps[i]
		p.mu.Unlock()
		if len(parsed[i].Errors()) > 0 {
			p.fileFailed(f.Name, parsed[i].Errors())
			continue
		}
		resHash, epsHash := contentHash(parsed[i])
		p.mu.Lock()
		same := st.good != nil && st.goodHash == resHash && st.goodEndpointsHash == epsHash
		st.good, st.errors = parsed[i], nil
		st.goodHash, st.goodEndpointsHash = resHash, epsHash
		if same {
			p.world.replace(f.Name, parsed[i])
		} else {
			p.world.set(f.Name, parsed[i])
		}
		p.mu.Unlock()
		p.log.Info("file read", "file", f.Name, "objects", len(parsed[i].Objects))
		for _, w := range parsed[i].Warnings() {
			p.log.Info("ignored document", "problem", w.Error())
		}
	}
}

// contentHash hashes the objects of a file (not its bytes), so that edits of
// comments or formatting do not publish a new snapshot: resources hashes
// every object but EndpointSlices, endpoints the EndpointSlices. A hash of
// no object is the zero value.
func contentHash(parsed *Parsed) (resources, endpoints digest) {
	res, eps := sha256.New(), sha256.New()
	resEnc, epsEnc := json.NewEncoder(res), json.NewEncoder(eps)
	var nRes, nEps int
	for _, o := range parsed.Objects {
		if o.GVK() == endpointSliceGVK {
			_ = epsEnc.Encode(o.Object)
			nEps++
		} else {
			_ = resEnc.Encode(o.Object)
			nRes++
		}
	}
	if nRes > 0 {
		resources = digestSum(res)
	}
	if nEps > 0 {
		endpoints = digestSum(eps)
	}
	return resources, endpoints
}

// state returns the state of a file, creating it; the caller holds p.mu.
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
	p.mu.Lock()
	st := p.state(name)
	st.errors = problems
	hasGood := st.good != nil
	p.mu.Unlock()
	errs := make([]error, len(problems))
	for i, pr := range problems {
		errs[i] = pr
	}
	// One error entry per invalid file, every problem in it (a line each).
	if hasGood {
		p.log.Error(errors.Join(errs...), "file is invalid: its last good content stays in force", "file", name, "errors", len(problems))
	} else {
		p.log.Error(errors.Join(errs...), "file is invalid and has no good content yet", "file", name, "errors", len(problems))
	}
}

// publish publishes the snapshots of the content in force that changed
// since they were last published (the endpoints snapshot first, so that
// the translation of the Resources snapshot finds its endpoints).
func (p *Provider) publish() {
	p.mu.Lock()
	first := !p.synced
	infraChanged := p.infraChanged
	p.synced, p.infraChanged = true, false
	var eps *gatewayapi.Endpoints
	if p.opts.Endpoints != nil && (first || p.world.endpointsChanged) {
		prev := p.world.endpoints
		// A slice without a Service label changes no Service's entry.
		if eps = p.world.endpointsSnapshot(); eps == prev && !first {
			eps = nil
		}
	}
	var res *gatewayapi.Resources
	if first || p.world.resourcesChanged || infraChanged {
		res = p.world.resources(p.infra)
	}
	p.mu.Unlock()
	if eps != nil {
		p.opts.Endpoints.Publish(p.endpointsIR.Translate(eps))
		p.log.Info("published endpoints", "services", len(eps.Services))
	}
	if res != nil {
		p.opts.Resources.Publish(res)
		p.log.Info("published resources", "files", len(p.files), "gateways", len(res.Gateways),
			"httpRoutes", len(res.HTTPRoutes), "grpcRoutes", len(res.GRPCRoutes), "tlsRoutes", len(res.TLSRoutes),
			"tcpRoutes", len(res.TCPRoutes))
	}
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
