package dataplane_test

import (
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"github.com/go-logr/logr"
	"google.golang.org/protobuf/proto"

	"github.com/envoygw/envoy-gateway/internal/golden"
	"github.com/envoygw/envoy-gateway/test/dataplane/hcm"
	"github.com/envoygw/envoy-gateway/test/dataplane/listener"
	"github.com/envoygw/envoy-gateway/test/dataplane/router"
	"github.com/envoygw/envoy-gateway/test/dataplane/upstream"
)

const goldenDir = "../../internal/xds/translator/testdata"

// TestGoldensCompile compiles every listener, cluster, assignment and
// route configuration of every translator golden with the data plane's
// semantic checks (package strict's walk is tested over the same files):
// what we emit is something the data plane can run. The goldens' secrets
// hold placeholder PEM and are not parsed.
func TestGoldensCompile(t *testing.T) {
	compilers := map[string]func(proto.Message) error{
		"listeners": func(m proto.Message) error {
			_, err := listener.Compile(m.(*listenerv3.Listener), listener.CompileEnv{PodIP: netip.MustParseAddr("127.0.0.1")})
			return err
		},
		"clusters": func(m proto.Message) error {
			_, err := upstream.Compile(m.(*clusterv3.Cluster), upstream.Env{Logger: logr.Discard()})
			return err
		},
		"endpoints": func(m proto.Message) error {
			_, err := upstream.CompileAssignment(m.(*endpointv3.ClusterLoadAssignment))
			return err
		},
		"routes": func(m proto.Message) error {
			_, err := router.CompileWith(m.(*routev3.RouteConfiguration), hcm.RouteOptions())
			return err
		},
	}
	newMsg := map[string]func() proto.Message{
		"listeners": func() proto.Message { return &listenerv3.Listener{} },
		"clusters":  func() proto.Message { return &clusterv3.Cluster{} },
		"endpoints": func() proto.Message { return &endpointv3.ClusterLoadAssignment{} },
		"routes":    func() proto.Message { return &routev3.RouteConfiguration{} },
	}
	files, err := filepath.Glob(filepath.Join(goldenDir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	count := 0
	for _, f := range files {
		parts := strings.Split(filepath.Base(f), ".")
		kind := parts[len(parts)-2]
		compile, ok := compilers[kind]
		if !ok {
			continue
		}
		for i, m := range readGolden(t, f, newMsg[kind]) {
			count++
			if err := compile(m); err != nil {
				t.Errorf("%s[%d]: %v", filepath.Base(f), i, err)
			}
		}
	}
	if count < 100 {
		t.Fatalf("compiled only %d resources", count)
	}
}

func readGolden(t *testing.T, path string, newMsg func() proto.Message) []proto.Message {
	t.Helper()
	return golden.ReadMessages(t, path, newMsg)
}
