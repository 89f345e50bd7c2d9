package dataplane_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/envoygw/envoy-gateway/internal/infra/bootstrap"
	"github.com/envoygw/envoy-gateway/internal/infra/host"
	"github.com/envoygw/envoy-gateway/test/dataplane"
)

// TestHostMode runs the data plane as the File provider's host manager
// runs Envoy: its bootstrap (admin on a loopback port Envoy picks, no
// readiness listener) and its command line; the admin address is written
// to --admin-address-path and its /ready turns LIVE.
func TestHostMode(t *testing.T) {
	srv, port := xdsServer(t)
	b := backend(t, "one")
	x := httpIR([]netip.AddrPort{b}, toBackend("r", "*", "/"))
	x.HTTP[0].Port = freePort(t) // host mode binds 127.0.0.1 itself: no fixed port
	serve(t, srv, x)
	bs, err := host.Bootstrap(host.BootstrapOptions{Fleet: fleet, NodeID: fleet + "/host",
		Xds: host.XdsTarget{Host: "127.0.0.1", Port: port}})
	if err != nil {
		t.Fatal(err)
	}
	y, err := bootstrap.YAML(bs)
	if err != nil {
		t.Fatal(err)
	}
	fs := files{"/state/default_eg/bootstrap.yaml": y}
	var mu sync.Mutex
	written := map[string]string{}
	p, err := dataplane.Start(context.Background(), dataplane.Options{
		Args: []string{"-c", "/state/default_eg/bootstrap.yaml", "--use-dynamic-base-id",
			"--admin-address-path", "/state/default_eg/admin-address", "--log-level", "warning"},
		ReadFile: fs.read,
		WriteFile: func(path string, data []byte) error {
			mu.Lock()
			defer mu.Unlock()
			written[path] = string(data)
			return nil
		},
		Logger: logger(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Stop(context.Background()) })
	mu.Lock()
	addr := written["/state/default_eg/admin-address"]
	mu.Unlock()
	if addr != p.AdminAddr().String() || !strings.HasPrefix(addr, "127.0.0.1:") {
		t.Fatalf("admin address file %q, admin %s", addr, p.AdminAddr())
	}
	c := client(t)
	eventually(t, "admin /ready", func() (bool, string) {
		r, err := get(c, fmt.Sprintf("http://%s/ready", addr), "admin")
		if err != nil {
			return false, err.Error()
		}
		return r.status == 200 && strings.TrimSpace(r.body) == "LIVE", r.body
	})
	if r, err := get(c, fmt.Sprintf("http://127.0.0.1:%d/", x.HTTP[0].Port), "a"); err != nil || r.status != 200 {
		t.Errorf("traffic on 127.0.0.1 (host mode): %v %+v", err, r)
	}
	r, err := get(c, fmt.Sprintf("http://%s/config_dump?include_eds", addr), "admin")
	if err != nil || r.status != 200 || !strings.Contains(r.body, fmt.Sprintf("listener/0.0.0.0/%d", x.HTTP[0].Port)) ||
		!strings.Contains(r.body, "ClusterLoadAssignment") {
		t.Errorf("config dump: %v %d", err, r.status)
	}
}

// freePort returns a loopback port free at the time of the call.
func freePort(t *testing.T) uint32 {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ln.Close() }()
	return uint32(netip.MustParseAddrPort(ln.Addr().String()).Port())
}
