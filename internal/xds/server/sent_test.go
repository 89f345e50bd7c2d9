package server

import (
	"slices"
	"testing"
	"unsafe"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

func TestResourceName(t *testing.T) {
	rc := &routev3.RouteConfiguration{Name: "rc", VirtualHosts: []*routev3.VirtualHost{{Name: "vh", Domains: []string{"*"}}}}
	served, err := encode(rc, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	cla, err := encode(&endpointv3.ClusterLoadAssignment{ClusterName: "e", Endpoints: []*endpointv3.LocalityLbEndpoints{{Priority: 1}}}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		msg  proto.Message
		sent *anypb.Any
		raw  []byte
		want string
	}{
		{name: "listener", msg: &listenerv3.Listener{Name: "l", StatPrefix: "s"}, want: "l"},
		{name: "cluster", msg: &clusterv3.Cluster{Name: "c", AltStatName: "x"}, want: "c"},
		{name: "assignment", msg: &endpointv3.ClusterLoadAssignment{ClusterName: "e"}, want: "e"},
		{name: "secret", msg: &tlsv3.Secret{Name: "s"}, want: "s"},
		{name: "route configuration as sent (parted)", sent: served.extra.value, want: "rc"},
		{name: "pre-encoded assignment", msg: cla.served(), want: "e"},
		{name: "route configuration without a name", msg: &routev3.RouteConfiguration{VirtualHosts: rc.VirtualHosts}, want: ""},
		{name: "field 1 not a name, decoded", msg: wrapperspb.UInt32(5), want: ""},
		{name: "undecodable", raw: []byte{0xff}, want: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := &anypb.Any{TypeUrl: "type.googleapis.com/envoy.config.listener.v3.Listener", Value: tc.raw}
			if tc.msg != nil {
				var err error
				if a, err = anypb.New(tc.msg); err != nil {
					t.Fatal(err)
				}
			}
			if tc.sent != nil {
				a = tc.sent
			}
			if got := resourceName(a, nil); got != tc.want {
				t.Errorf("resourceName = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestRouteConfigurationsOfSentResponse checks that a sent response gives
// back its route configurations whether it kept them as served or encoded.
func TestRouteConfigurationsOfSentResponse(t *testing.T) {
	rc := &routev3.RouteConfiguration{Name: "rc", VirtualHosts: []*routev3.VirtualHost{{
		Name: "vh", Domains: []string{"*"}, Routes: []*routev3.Route{{Name: "r0"}},
	}}}
	en, err := encode(rc, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := anypb.New(rc)
	if err != nil {
		t.Fatal(err)
	}
	for name, r := range map[string]sentResponse{
		"served":  {routes: []types.Resource{en.served()}},
		"encoded": {raw: []*anypb.Any{raw}},
		"parted":  {raw: []*anypb.Any{en.extra.value}},
	} {
		got := r.routeConfigurations()
		if len(got) != 1 || !proto.Equal(got[0], rc) {
			t.Errorf("%s: route configurations %v, want %v", name, got, rc)
		}
		if routes := rejectedRoutes(got, []string{"rc"}, "virtual_hosts[0].routes[0]: bad"); !slices.Equal(routes, []string{"r0"}) {
			t.Errorf("%s: rejected routes %v", name, routes)
		}
	}
}

// TestResourceNameSharesServedName checks that the name of a resource the
// fleet serves is the content's string, not a copy (the tracker keeps the
// names of every stream's last responses), for a type the snapshot caches
// serve and for one the partial cache serves, and that a name the content
// does not serve is still read.
func TestResourceNameSharesServedName(t *testing.T) {
	c, err := newContent(fleetOf(t, 2, 1), nil)
	if err != nil {
		t.Fatal(err)
	}
	cluster := c.entries[resourcev3.ClusterType][0]
	assignment := c.entries[resourcev3.EndpointType][0]
	for _, tc := range []struct {
		msg  proto.Message
		held string
	}{
		{msg: cluster.input, held: cachev3.GetResourceName(c.groups[resourcev3.ClusterType].Items[cluster.name].Resource)},
		{msg: assignment.input, held: assignment.name},
	} {
		a, err := anypb.New(tc.msg)
		if err != nil {
			t.Fatal(err)
		}
		got := resourceName(a, c)
		if got != tc.held || unsafe.StringData(got) != unsafe.StringData(tc.held) {
			t.Errorf("%s: resourceName = %q, not the content's string", a.GetTypeUrl(), got)
		}
	}
	a, err := anypb.New(&clusterv3.Cluster{Name: "other"})
	if err != nil {
		t.Fatal(err)
	}
	if got := resourceName(a, c); got != "other" {
		t.Errorf("resourceName = %q, want other", got)
	}
}
