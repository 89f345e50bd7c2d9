package strict_test

import (
	"path/filepath"
	"strings"
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"google.golang.org/protobuf/proto"

	"github.com/envoygw/envoy-gateway/internal/golden"
	"github.com/envoygw/envoy-gateway/test/dataplane/strict"
)

// goldenDir holds the xDS translator's golden outputs: what we emit.
const goldenDir = "../../../internal/xds/translator/testdata"

var goldenKinds = map[string]func() proto.Message{
	"listeners": func() proto.Message { return &listenerv3.Listener{} },
	"routes":    func() proto.Message { return &routev3.RouteConfiguration{} },
	"clusters":  func() proto.Message { return &clusterv3.Cluster{} },
	"endpoints": func() proto.Message { return &endpointv3.ClusterLoadAssignment{} },
	"secrets":   func() proto.Message { return &tlsv3.Secret{} },
}

// TestGoldensPass walks every resource of every translator golden: each
// must be implemented and valid.
func TestGoldensPass(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(goldenDir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	count := 0
	for _, f := range files {
		parts := strings.Split(filepath.Base(f), ".")
		newMsg, ok := goldenKinds[parts[len(parts)-2]]
		if !ok {
			continue
		}
		for i, m := range readList(t, f, newMsg) {
			count++
			if err := strict.Check(m); err != nil {
				t.Errorf("%s[%d]: %v", filepath.Base(f), i, err)
			}
			if err := strict.Validate(m); err != nil {
				t.Errorf("%s[%d]: %v", filepath.Base(f), i, err)
			}
		}
	}
	if count < 100 {
		t.Fatalf("walked only %d golden resources; is %s there?", count, goldenDir)
	}
	t.Logf("%d golden resources implemented and valid", count)
}

func readList(t *testing.T, path string, newMsg func() proto.Message) []proto.Message {
	t.Helper()
	return golden.ReadMessages(t, path, newMsg)
}
