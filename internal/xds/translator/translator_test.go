package translator

import (
	"slices"
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

func TestTranslateNilIR(t *testing.T) {
	if _, err := Translate(nil); err == nil {
		t.Fatal("Translate(nil) did not fail")
	}
}

// TestTranslateIsolatesInvalidElements checks that each invalid element of
// a fleet is left out alone, named with its source object, and that the
// rest is translated into resources that pass ValidateAll.
func TestTranslateIsolatesInvalidElements(t *testing.T) {
	good := &ir.HTTPRoute{
		Name: "httproute/default/good/rule/0/match/0", Hostname: "*",
		Destination: &ir.Destination{Backends: []*ir.WeightedCluster{{Cluster: "service/default/a/80", Weight: 1}}},
	}
	x := &ir.Xds{
		HTTP: []*ir.HTTPListener{
			{Name: "default/eg/http", Address: "0.0.0.0", Port: 80, Hostnames: []string{"*"}, Routes: []*ir.HTTPRoute{
				good,
				{ // breaks the IR: its cluster does not exist
					Name: "httproute/default/missing/rule/0/match/0", Hostname: "*",
					Destination: &ir.Destination{Backends: []*ir.WeightedCluster{{Cluster: "service/default/missing/80", Weight: 1}}},
				},
				{ // Envoy refuses a header value with a newline
					Name: "httproute/default/newline/rule/0/match/0", Hostname: "*",
					RequestHeaders: &ir.HeaderModifier{Add: []ir.Header{{Name: "x", Value: "a\nb"}}},
					Destination:    &ir.Destination{Backends: []*ir.WeightedCluster{{Cluster: "service/default/a/80", Weight: 1}}},
				},
			}},
			{Name: "default/eg/http", Address: "0.0.0.0", Port: 81, Hostnames: []string{"*"}},
		},
		Clusters: []*ir.Cluster{
			{Name: "service/default/a/80", Discovery: ir.DiscoveryEDS, Endpoints: []*ir.Endpoint{{Address: "10.0.0.1", Port: 8080}}},
			{Name: "service/default/dns/80", Discovery: ir.DiscoveryDNS, Endpoints: []*ir.Endpoint{{Address: "", Port: 80}}},
		},
	}
	res, err := Translate(x)
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Validate(); err != nil {
		t.Fatalf("resources fail validation: %v", err)
	}
	got := map[string]string{}
	for _, l := range res.LeftOut {
		got[l.Kind+" "+l.Name] = l.Source
	}
	want := map[string]string{
		"cluster service/default/dns/80":                 "Service default/dns",
		"listener default/eg/http":                       "Gateway default/eg (listener http)",
		"route httproute/default/missing/rule/0/match/0": "HTTPRoute default/missing",
		"route httproute/default/newline/rule/0/match/0": "HTTPRoute default/newline",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("left out (-want +got):\n%s", diff)
	}
	if len(res.Listeners) != 1 || len(res.Routes) != 1 || len(res.Clusters) != 1 {
		t.Fatalf("got %d listeners, %d route configurations, %d clusters; want 1 of each", len(res.Listeners), len(res.Routes), len(res.Clusters))
	}
	routes := res.Routes[0].GetVirtualHosts()[0].GetRoutes()
	if len(routes) != 1 || routes[0].GetName() != good.Name {
		t.Errorf("served routes = %v, want only %s", routes, good.Name)
	}
}

// TestTranslateHTTPListener checks one small case against the constructors,
// the way the golden files check every case.
func TestTranslateHTTPListener(t *testing.T) {
	x := &ir.Xds{
		HTTP: []*ir.HTTPListener{{
			Name: "default/eg/http", Address: "0.0.0.0", Port: 10080, Hostnames: []string{"*"},
			Routes: []*ir.HTTPRoute{{
				Name: "httproute/default/a/rule/0/match/0", Hostname: "foo.example.com",
				PathMatch:   &ir.StringMatch{Type: ir.MatchExact, Value: "/x"},
				Destination: &ir.Destination{Backends: []*ir.WeightedCluster{{Cluster: "service/default/a/80", Weight: 1}}},
			}},
		}},
		Clusters: []*ir.Cluster{{Name: "service/default/a/80", Discovery: ir.DiscoveryEDS,
			Endpoints: []*ir.Endpoint{{Address: "10.0.0.1", Port: 8080}}}},
	}
	res, err := Translate(x)
	if err != nil {
		t.Fatal(err)
	}
	wantListener := Listener("0.0.0.0", 10080, nil, []*listenerv3.FilterChain{{
		Name:    "http",
		Filters: []*listenerv3.Filter{HTTPConnectionManager("http-10080", "route/0.0.0.0/10080")},
	}})
	if diff := cmp.Diff(wantListener, res.Listeners[0], protocmp.Transform()); diff != "" {
		t.Errorf("listener (-want +got):\n%s", diff)
	}
	wantRoutes := RouteConfiguration("route/0.0.0.0/10080", []*routev3.VirtualHost{
		VirtualHost("foo.example.com", []*routev3.Route{{
			Name:   "httproute/default/a/rule/0/match/0",
			Match:  &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Path{Path: "/x"}},
			Action: &routev3.Route_Route{Route: &routev3.RouteAction{ClusterSpecifier: &routev3.RouteAction_Cluster{Cluster: "service/default/a/80"}}},
		}}),
	})
	if diff := cmp.Diff(wantRoutes, res.Routes[0], protocmp.Transform()); diff != "" {
		t.Errorf("routes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(EDSCluster("service/default/a/80", ir.AppProtocolHTTP1), res.Clusters[0], protocmp.Transform()); diff != "" {
		t.Errorf("cluster (-want +got):\n%s", diff)
	}
	wantCLA := ClusterLoadAssignment("service/default/a/80", []*ir.Endpoint{{Address: "10.0.0.1", Port: 8080}})
	if diff := cmp.Diff(wantCLA, res.Endpoints[0], protocmp.Transform()); diff != "" {
		t.Errorf("endpoints (-want +got):\n%s", diff)
	}
	if len(res.Listeners) != 1 || len(res.Routes) != 1 || len(res.Clusters) != 1 || len(res.Endpoints) != 1 || len(res.Secrets) != 0 {
		t.Errorf("got %d listeners, %d routes, %d clusters, %d endpoints, %d secrets; want 1,1,1,1,0",
			len(res.Listeners), len(res.Routes), len(res.Clusters), len(res.Endpoints), len(res.Secrets))
	}
}

func TestInvalidShare(t *testing.T) {
	tests := []struct {
		valid   []uint32
		invalid uint32
		want    uint32
	}{
		{[]uint32{1}, 1, 500000},
		{[]uint32{1, 1}, 1, 333333},
		{[]uint32{2, 1}, 1, 250000},
		{[]uint32{999999}, 1, 1},
		{[]uint32{1}, 2, 666667},
		{[]uint32{4294967295}, 4294967295, 500000},
	}
	for _, tc := range tests {
		d := &ir.Destination{InvalidWeight: tc.invalid}
		for _, w := range tc.valid {
			d.Backends = append(d.Backends, &ir.WeightedCluster{Cluster: "c", Weight: w})
		}
		if got := invalidShare(d); got != tc.want {
			t.Errorf("valid %v invalid %d: got %d millionths, want %d", tc.valid, tc.invalid, got, tc.want)
		}
	}
}

func TestPathRewrite(t *testing.T) {
	prefix := func(v string) *ir.StringMatch { return &ir.StringMatch{Type: ir.MatchPrefix, Value: v} }
	tests := []struct {
		name       string
		rewrite    *ir.PathRewrite
		match      *ir.StringMatch
		wantFull   *string
		wantPrefix string
		wantRegex  *matcherv3.RegexMatchAndSubstitute
	}{
		{name: "full", rewrite: &ir.PathRewrite{FullPath: new("/x")}, wantFull: new("/x")},
		{name: "prefix", rewrite: &ir.PathRewrite{PrefixMatch: new("/b")}, match: prefix("/a"), wantPrefix: "/b"},
		{name: "prefix trailing slashes", rewrite: &ir.PathRewrite{PrefixMatch: new("/b/")}, match: prefix("/a/"), wantPrefix: "/b"},
		{name: "to root", rewrite: &ir.PathRewrite{PrefixMatch: new("/")}, match: prefix("/a.b"), wantRegex: &matcherv3.RegexMatchAndSubstitute{
			Pattern: &matcherv3.RegexMatcher{Regex: `^/a\.b/*`}, Substitution: "/"}},
		{name: "from root", rewrite: &ir.PathRewrite{PrefixMatch: new("/b")}, match: prefix("/"), wantPrefix: "/b/"},
		{name: "root to root", rewrite: &ir.PathRewrite{PrefixMatch: new("/")}, match: prefix("/")},
		{name: "nothing", rewrite: &ir.PathRewrite{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			full, prefix, regex := pathRewrite(tc.rewrite, tc.match)
			if diff := cmp.Diff(tc.wantFull, full); diff != "" {
				t.Errorf("full path (-want +got):\n%s", diff)
			}
			if prefix != tc.wantPrefix {
				t.Errorf("prefix = %q, want %q", prefix, tc.wantPrefix)
			}
			if diff := cmp.Diff(tc.wantRegex, regex, protocmp.Transform()); diff != "" {
				t.Errorf("regex (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSNIClaims(t *testing.T) {
	c := sniClaims{}
	steps := []struct {
		hostnames   []string
		wantNames   []string
		wantTaken   []string
		wantOK      bool
		description string
	}{
		{[]string{"a.example.com", "b.example.com"}, []string{"a.example.com", "b.example.com"}, nil, true, "fresh names"},
		{[]string{"b.example.com", "c.example.com"}, []string{"c.example.com"}, []string{"b.example.com"}, true, "partly taken"},
		{[]string{"a.example.com"}, nil, []string{"a.example.com"}, false, "all taken"},
		{nil, nil, nil, true, "catch-all"},
		{[]string{"*"}, nil, []string{"*"}, false, "second catch-all"},
	}
	for _, s := range steps {
		names, taken, ok := c.claim(s.hostnames)
		if diff := cmp.Diff(s.wantNames, names); diff != "" {
			t.Errorf("%s: names (-want +got):\n%s", s.description, diff)
		}
		if diff := cmp.Diff(s.wantTaken, taken); diff != "" {
			t.Errorf("%s: taken (-want +got):\n%s", s.description, diff)
		}
		if ok != s.wantOK {
			t.Errorf("%s: ok = %v, want %v", s.description, ok, s.wantOK)
		}
	}
}

func TestSortClustersKeepsTheSortedRun(t *testing.T) {
	named := func(names ...string) []*clusterv3.Cluster {
		out := make([]*clusterv3.Cluster, len(names))
		for i, n := range names {
			out[i] = &clusterv3.Cluster{Name: n}
		}
		return out
	}
	names := func(cs []*clusterv3.Cluster) []string {
		out := make([]string, len(cs))
		for i, c := range cs {
			out[i] = c.GetName()
		}
		return out
	}
	tests := []struct {
		name   string
		in     []string
		sorted int
		want   []string
	}{
		{"nothing known sorted", []string{"c", "a", "b"}, 0, []string{"a", "b", "c"}},
		{"all sorted", []string{"a", "b", "c"}, 3, []string{"a", "b", "c"}},
		{"one after, goes first", []string{"b", "c", "d", "a"}, 3, []string{"a", "b", "c", "d"}},
		{"one after, goes in the middle", []string{"a", "c", "e", "d"}, 3, []string{"a", "c", "d", "e"}},
		{"one after, stays last", []string{"a", "b", "z"}, 2, []string{"a", "b", "z"}},
		{"two after, out of order", []string{"b", "d", "f", "e", "a"}, 3, []string{"a", "b", "d", "e", "f"}},
		{"empty run", []string{"b", "a"}, 0, []string{"a", "b"}},
		{"too many after: sorted whole", []string{"m", "z", "y", "x", "w", "v", "u", "t", "s", "r"}, 1,
			[]string{"m", "r", "s", "t", "u", "v", "w", "x", "y", "z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs := named(tt.in...)
			sortClusters(cs, tt.sorted)
			if got := names(cs); !slices.Equal(got, tt.want) {
				t.Fatalf("sortClusters(%v, %d) = %v, want %v", tt.in, tt.sorted, got, tt.want)
			}
		})
	}
}
