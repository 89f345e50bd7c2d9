package dataplane

import (
	"errors"
	"strings"
	"testing"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
)

const minimalYAML = `
node: {id: n, cluster: c}
admin: {address: {socketAddress: {address: 127.0.0.1, portValue: 0}}}
`

func TestLoadBootstrap(t *testing.T) {
	files := map[string]string{
		"/b.yaml":    minimalYAML,
		"/b.json":    `{"node": {"id": "j", "cluster": "c"}}`,
		"/bad.yaml":  "node: {id: n, cluster: c, nope: 1}\n",
		"/ads.yaml":  "dynamicResources: {ldsConfig: {ads: {}, resourceApiVersion: V3}}\n",
		"/odd.yaml":  "node: {id: n, cluster: c, metadata: {a: b}}\n",
		"/glob.yaml": "node: {id: n, cluster: c}\nstats_flush_interval: 5s\n",
		"/delta.yaml": "node: {id: n, cluster: c}\ndynamicResources: {adsConfig: {apiType: DELTA_GRPC, transportApiVersion: V3, " +
			"grpcServices: [{envoyGrpc: {clusterName: x}}]}}\n",
	}
	read := func(p string) ([]byte, error) {
		if s, ok := files[p]; ok {
			return []byte(s), nil
		}
		return nil, errors.New("no such file")
	}
	tests := []struct {
		name             string
		cl               commandLine
		wantID, wantClus string
		wantErr          string
	}{
		{"yaml", commandLine{configPath: "/b.yaml"}, "n", "c", ""},
		{"json", commandLine{configPath: "/b.json"}, "j", "c", ""},
		{"flags override the node", commandLine{configPath: "/b.yaml", serviceNode: "pod", serviceCluster: "fleet"}, "pod", "fleet", ""},
		{"config-yaml merged over the file", commandLine{configPath: "/b.yaml", configYAML: "node: {id: merged}"}, "merged", "c", ""},
		{"unknown field", commandLine{configPath: "/bad.yaml"}, "", "", `unknown field "nope"`},
		{"field not implemented", commandLine{configPath: "/odd.yaml"}, "", "",
			"bootstrap: node.metadata: field envoy.config.core.v3.Node.metadata is not implemented"},
		{"top-level field not implemented", commandLine{configPath: "/glob.yaml"}, "", "", "stats_flush_interval"},
		{"delta xDS refused", commandLine{configPath: "/delta.yaml"}, "", "",
			"bootstrap: dynamic_resources.ads_config.api_type: value DELTA_GRPC is not implemented by the test data plane (implemented: GRPC)"},
		{"ADS without node", commandLine{configPath: "/ads.yaml"}, "", "", "node 'id' and 'cluster' are required"},
		{"unreadable", commandLine{configPath: "/nope.yaml"}, "", "", "reading the bootstrap"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := loadBootstrap(&tt.cl, read)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if b.GetNode().GetId() != tt.wantID || b.GetNode().GetCluster() != tt.wantClus {
				t.Errorf("node %v", b.GetNode())
			}
		})
	}
	n := xdsNode(mustLoad(t, read))
	if n.GetUserAgentName() != "envoy" || n.GetUserAgentBuildVersion().GetVersion().GetMinorNumber() != envoyMinor {
		t.Errorf("xDS node %v", n)
	}
}

func mustLoad(t *testing.T, read func(string) ([]byte, error)) *bootstrapv3.Bootstrap {
	t.Helper()
	b, err := loadBootstrap(&commandLine{configPath: "/b.yaml"}, read)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
