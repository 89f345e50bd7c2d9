package file

import (
	"bytes"
	"context"
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/testr"

	"github.com/envoygw/envoy-gateway/internal/bus"
	"github.com/envoygw/envoy-gateway/internal/gatewayapi"
	"github.com/envoygw/envoy-gateway/internal/ir"
	"github.com/envoygw/envoy-gateway/internal/message"
)

// providerTest runs a Provider over a temporary folder.
type providerTest struct {
	t         *testing.T
	dir       string
	topic     *message.Watchable[*gatewayapi.Resources]
	endpoints *message.Watchable[*ir.Endpoints]
	provider  *Provider
	version   uint64
}

func startProvider(t *testing.T, files map[string]string) *providerTest {
	t.Helper()
	return startProviderLogging(t, files, testr.New(t))
}

// startProviderLogging is startProvider with the provider's logger.
func startProviderLogging(t *testing.T, files map[string]string, log logr.Logger) *providerTest {
	t.Helper()
	pt := &providerTest{
		t: t, dir: t.TempDir(),
		topic:     message.NewWatchable[*gatewayapi.Resources]("resources"),
		endpoints: message.NewWatchable[*ir.Endpoints]("endpoints"),
	}
	for name, content := range files {
		pt.write(name, content)
	}
	pt.provider = New(Options{
		Paths:     []string{pt.dir},
		Resources: pt.topic,
		Endpoints: pt.endpoints,
		Logger:    log,
		Debounce:  10 * time.Millisecond,
		Resync:    -1,
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- pt.provider.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("provider stopped with %v", err)
		}
	})
	return pt
}

func (pt *providerTest) write(name, content string) {
	pt.t.Helper()
	path := filepath.Join(pt.dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		pt.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		pt.t.Fatal(err)
	}
}

// waitBound bounds every wait; no result depends on it (a loaded machine
// may be slow, never wrong).
const waitBound = 30 * time.Second

// next waits for a snapshot newer than the last one seen.
func (pt *providerTest) next() *gatewayapi.Resources {
	pt.t.Helper()
	deadline := time.Now().Add(waitBound)
	for time.Now().Before(deadline) {
		if res, v := pt.topic.Load(); v > pt.version {
			pt.version = v
			return res
		}
		time.Sleep(5 * time.Millisecond)
	}
	pt.t.Fatalf("no new snapshot within %s", waitBound)
	return nil
}

// nextOnly is next, and fails unless exactly one snapshot was published
// since the last one seen. The provider handles changes one at a time, in
// order: after a change that must publish nothing, the next publication
// (of a change made later) is then the only one.
func (pt *providerTest) nextOnly() *gatewayapi.Resources {
	pt.t.Helper()
	before := pt.version
	res := pt.next()
	if pt.version != before+1 {
		pt.t.Errorf("%d snapshots were published (versions %d -> %d), want 1: an earlier change published one",
			pt.version-before, before, pt.version)
	}
	return res
}

// waitStatus waits until the status satisfies ok.
func (pt *providerTest) waitStatus(ok func(Status) bool) Status {
	pt.t.Helper()
	deadline := time.Now().Add(waitBound)
	for time.Now().Before(deadline) {
		if s := pt.provider.Status(); ok(s) {
			return s
		}
		time.Sleep(5 * time.Millisecond)
	}
	pt.t.Fatalf("status never matched within %s: %+v", waitBound, pt.provider.Status())
	return Status{}
}

func routeNames(res *gatewayapi.Resources) []string {
	names := make([]string, 0, len(res.HTTPRoutes))
	for _, r := range res.HTTPRoutes {
		names = append(names, r.Namespace+"/"+r.Name)
	}
	return names
}

func TestProviderCreateModifyDelete(t *testing.T) {
	pt := startProvider(t, map[string]string{"gateway.yaml": gatewayYAML})
	res := pt.next()
	if len(res.Gateways) != 1 || len(res.HTTPRoutes) != 0 {
		t.Fatalf("initial snapshot: %d gateways, %d routes", len(res.Gateways), len(res.HTTPRoutes))
	}
	if err := pt.provider.Synced(); err != nil {
		t.Fatal(err)
	}

	pt.write("sub/route.yaml", routeYAML) // a new file in a new subfolder
	if got := routeNames(pt.next()); len(got) != 1 || got[0] != "team-a/backend" {
		t.Fatalf("after create: routes %v", got)
	}

	pt.write("sub/route.yaml", strings.ReplaceAll(routeYAML, "name: backend\n  namespace", "name: renamed\n  namespace"))
	if got := routeNames(pt.next()); len(got) != 1 || got[0] != "team-a/renamed" {
		t.Fatalf("after modify: routes %v", got)
	}

	if err := os.Remove(filepath.Join(pt.dir, "sub/route.yaml")); err != nil {
		t.Fatal(err)
	}
	if got := routeNames(pt.next()); len(got) != 0 {
		t.Fatalf("after delete: routes %v", got)
	}
}

func TestProviderKeepsLastGoodContent(t *testing.T) {
	pt := startProvider(t, map[string]string{"gateway.yaml": gatewayYAML, "route.yaml": routeYAML})
	if got := routeNames(pt.next()); len(got) != 1 {
		t.Fatalf("initial routes %v", got)
	}
	pt.write("route.yaml", strings.Replace(routeYAML, "port: 3000", "port: 0", 1))
	s := pt.waitStatus(func(s Status) bool { return len(s.Errors) > 0 })
	if s.Errors[0].Field != "spec.rules[0].backendRefs[0].port" || s.Errors[0].Document != 1 {
		t.Errorf("error = %+v, want document 1, field spec.rules[0].backendRefs[0].port", s.Errors[0])
	}
	for _, f := range s.Files {
		if strings.HasSuffix(f.Path, "route.yaml") && (f.Valid || !f.LastGood || f.Objects != 1) {
			t.Errorf("route.yaml status = %+v, want invalid with its last good object in force", f)
		}
	}
	// The broken file published nothing: fixing it publishes the only new snapshot.
	pt.write("route.yaml", strings.Replace(routeYAML, "port: 3000", "port: 3001", 1))
	res := pt.nextOnly()
	if port := res.HTTPRoutes[0].Spec.Rules[0].BackendRefs[0].Port; port == nil || *port != 3001 {
		t.Errorf("fixed file not applied: port %v", port)
	}
	pt.waitStatus(func(s Status) bool { return len(s.Errors) == 0 })
}

func TestProviderPublishesOnlyChanges(t *testing.T) {
	pt := startProvider(t, map[string]string{"gateway.yaml": gatewayYAML})
	pt.next()
	pt.write("gateway.yaml", gatewayYAML) // same content
	pt.write("notes.txt", "not an input file")
	pt.write("empty.yaml", "# nothing yet\n")
	pt.waitStatus(func(s Status) bool { return len(s.Files) == 2 })

	// Nothing was republished: the infra states publish the only new snapshot.
	pt.provider.SetInfraStates(map[string]bus.InfraState{"default/eg": {Ready: true}})
	if res := pt.nextOnly(); !res.InfraStates["default/eg"].Ready {
		t.Errorf("infra state not published: %v", res.InfraStates)
	}
}

func TestProviderWatchesSingleFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "only.yaml")
	if err := os.WriteFile(path, []byte(gatewayYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	topic := message.NewWatchable[*gatewayapi.Resources]("resources")
	p := New(Options{Paths: []string{path}, Resources: topic, Logger: testr.New(t), Debounce: 10 * time.Millisecond, Resync: -1})
	ctx := t.Context()
	go func() { _ = p.Start(ctx) }()
	pt := &providerTest{t: t, dir: dir, topic: topic, provider: p}
	pt.next()
	// Replace the file by renaming over it, as editors do.
	tmp := filepath.Join(dir, ".only.yaml.tmp")
	if err := os.WriteFile(tmp, []byte(gatewayYAML+"---\n"+routeYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	if got := routeNames(pt.next()); len(got) != 1 {
		t.Fatalf("after rename: routes %v", got)
	}
}

func TestProviderFolderMovedInAndRemoved(t *testing.T) {
	pt := startProvider(t, map[string]string{"gateway.yaml": gatewayYAML})
	pt.next()
	outside := t.TempDir()
	for i, name := range []string{"a", "b"} {
		route := strings.ReplaceAll(routeYAML, "name: backend\n  namespace", "name: "+name+"\n  namespace")
		path := filepath.Join(outside, "team", "nested", string(rune('0'+i))+".yaml")
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(route), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// One event names the folder: its files (in a subfolder too) are read.
	if err := os.Rename(filepath.Join(outside, "team"), filepath.Join(pt.dir, "team")); err != nil {
		t.Fatal(err)
	}
	if got := routeNames(pt.next()); len(got) != 2 || got[0] != "team-a/a" || got[1] != "team-a/b" {
		t.Fatalf("after moving a folder in: routes %v", got)
	}
	// A file in the subfolder met after the move is watched.
	pt.write("team/nested/0.yaml", strings.ReplaceAll(routeYAML, "name: backend\n  namespace", "name: c\n  namespace"))
	// Routes come in file order: 0.yaml (now c), then 1.yaml (b).
	if got := routeNames(pt.next()); len(got) != 2 || got[0] != "team-a/c" || got[1] != "team-a/b" {
		t.Fatalf("after editing a file of the moved folder: routes %v", got)
	}
	if err := os.RemoveAll(filepath.Join(pt.dir, "team")); err != nil {
		t.Fatal(err)
	}
	for {
		got := routeNames(pt.next())
		if len(got) == 0 {
			break
		}
		if len(got) > 2 {
			t.Fatalf("while removing the folder: routes %v", got)
		}
	}
}

// TestProviderFollowsConfigMapSwap updates files the way the kubelet
// updates a mounted ConfigMap: the input files are links through the
// ..data link, which is swapped to a new hidden folder; no event names the
// input files themselves.
func TestProviderFollowsConfigMapSwap(t *testing.T) {
	pt := startProvider(t, nil)
	mount := func(version, route string) {
		dir := filepath.Join(pt.dir, "..v"+version)
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "route.yaml"), []byte(route), 0o644); err != nil {
			t.Fatal(err)
		}
		tmp := filepath.Join(pt.dir, "..data_tmp")
		if err := os.Symlink("..v"+version, tmp); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(pt.dir, "..data")); err != nil {
			t.Fatal(err)
		}
	}
	mount("1", gatewayYAML+"---\n"+routeYAML)
	if err := os.Symlink(filepath.Join("..data", "route.yaml"), filepath.Join(pt.dir, "route.yaml")); err != nil {
		t.Fatal(err)
	}
	waitRoutes := func(want string) {
		t.Helper()
		for {
			if got := routeNames(pt.next()); len(got) == 1 && got[0] == want {
				return
			}
		}
	}
	waitRoutes("team-a/backend")
	mount("2", gatewayYAML+"---\n"+strings.ReplaceAll(routeYAML, "name: backend\n  namespace", "name: swapped\n  namespace"))
	if err := os.RemoveAll(filepath.Join(pt.dir, "..v1")); err != nil {
		t.Fatal(err)
	}
	waitRoutes("team-a/swapped")
}

func TestDigestIsTheSHA256Prefix(t *testing.T) {
	for _, data := range []string{"", "a", "apiVersion: v1\nkind: Service\n"} {
		sum := sha256.Sum256([]byte(data))
		h := sha256.New()
		h.Write([]byte(data))
		if got := digestOf([]byte(data)); !bytes.Equal(got[:], sum[:16]) {
			t.Errorf("digestOf(%q) = %x, want %x", data, got, sum[:16])
		}
		if got := digestSum(h); got != digestOf([]byte(data)) {
			t.Errorf("digestSum(%q) = %x, want %x", data, got, sum[:16])
		}
	}
}
