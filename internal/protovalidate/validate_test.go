package protovalidate

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
)

// listenerWith is a listener whose one filter chain holds an HCM packed in an Any.
func listenerWith(t *testing.T, hcm *hcmv3.HttpConnectionManager) *listenerv3.Listener {
	t.Helper()
	a, err := anypb.New(hcm)
	if err != nil {
		t.Fatal(err)
	}
	return &listenerv3.Listener{
		Name: "l",
		FilterChains: []*listenerv3.FilterChain{{Filters: []*listenerv3.Filter{{
			Name: "envoy.filters.network.http_connection_manager", ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: a},
		}}}},
	}
}

func TestDeep(t *testing.T) {
	rds := &hcmv3.HttpConnectionManager_RouteConfig{}
	cases := []struct {
		name    string
		msg     proto.Message
		wantErr string // substring; empty: valid
	}{
		{"valid, nothing packed", &listenerv3.Listener{Name: "l"}, ""},
		{"invalid inside an Any", listenerWith(t, &hcmv3.HttpConnectionManager{}), "StatPrefix"},
		{"valid inside an Any", listenerWith(t, &hcmv3.HttpConnectionManager{StatPrefix: "http", RouteSpecifier: rds}), ""},
		{"unknown type in an Any", &listenerv3.Listener{FilterChains: []*listenerv3.FilterChain{{Filters: []*listenerv3.Filter{{
			Name: "f", ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: &anypb.Any{TypeUrl: "type.googleapis.com/no.such.Type"}},
		}}}}}, "unpacking type.googleapis.com/no.such.Type"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := Deep(tc.msg)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("Deep = %v, want nil", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("Deep = %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
}
