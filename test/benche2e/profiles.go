package main

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// profiler saves the server's pprof profiles of a run into a folder (the
// -profiles flag): the heap after the load and after the changes, and a
// CPU profile during the changes of each kind. A nil profiler saves nothing.
type profiler struct {
	admin string
	// dir is the folder, prefix names the run (provider-routes).
	dir, prefix string
	// trace also saves an execution trace during the changes of each kind.
	trace bool
}

// newProfiler returns a profiler of p's run, or nil when dir is "".
func newProfiler(dir string, o runOptions, p *serverProcess) *profiler {
	if dir == "" || o.noPprof {
		return nil
	}
	return &profiler{admin: p.admin, dir: dir, prefix: fmt.Sprintf("%s-%d", o.provider, o.routes), trace: o.trace}
}

// heap saves the heap profile (after a collection) as heap-<when>.
func (pr *profiler) heap(when string) {
	if pr == nil {
		return
	}
	pr.save("/debug/pprof/heap?gc=1", "heap-"+when)
}

// cpu starts a CPU profile of d, saved as cpu-<kind>, and with the trace
// option an execution trace of d, saved as trace-<kind>; the returned
// function waits for them to be saved.
func (pr *profiler) cpu(kind string, d time.Duration) (wait func()) {
	if pr == nil || d < time.Second {
		return func() {}
	}
	seconds := int(d.Seconds())
	var wg sync.WaitGroup
	wg.Go(func() { pr.save(fmt.Sprintf("/debug/pprof/profile?seconds=%d", seconds), "cpu-"+kind) })
	if pr.trace {
		wg.Go(func() { pr.save(fmt.Sprintf("/debug/pprof/trace?seconds=%d", seconds), "trace-"+kind) })
	}
	return wg.Wait
}

// save fetches one profile; a failure is logged, not fatal to the run.
func (pr *profiler) save(path, name string) {
	if err := pr.fetch(path, filepath.Join(pr.dir, pr.prefix+"-"+name+".pprof")); err != nil {
		log.Printf("profile %s: %v", name, err)
	}
}

func (pr *profiler) fetch(path, file string) error {
	client := &http.Client{Timeout: 5 * time.Minute}
	resp, err := client.Get("http://" + pr.admin + path)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}
