package router

import (
	"path/filepath"
	"strconv"
	"testing"
)

// goldenTable compiles the first route configuration of a translator golden.
func goldenTable(t *testing.T, name string) *Table {
	t.Helper()
	rcs := readGoldenRoutes(t, filepath.Join(translatorGoldens, name+".routes.yaml"))
	tb, err := Compile(rcs[0])
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return tb
}

// The translator's golden outputs, executed: Gateway API's path modifier
// table (HTTPPathModifier) and the HTTPRoute behaviours they stand for hold
// once Envoy's semantics are applied.
func TestTranslatorGoldenRewrites(t *testing.T) {
	for _, tc := range []struct{ golden, path, want string }{
		// ReplacePrefixMatch.
		{"http-rewrite-prefix", "/api/v1/users?id=1", "/v1/users?id=1"},
		{"http-rewrite-prefix", "/api/v1", "/v1"},
		{"http-rewrite-prefix", "/api/v2/", "/v2/"},
		// ReplacePrefixMatch "/" (strip the prefix).
		{"http-rewrite-prefix-to-root", "/api/x/y", "/x/y"},
		{"http-rewrite-prefix-to-root", "/api", "/"},
		{"http-rewrite-prefix-to-root", "/api/", "/"},
		// ReplaceFullPath keeps the query string.
		{"http-rewrite-full-path", "/anything/else?q=1", "/replaced?q=1"},
	} {
		f := forwardOf(t, goldenTable(t, tc.golden), get("any", tc.path), 0)
		if f.Path != tc.want {
			t.Errorf("%s %s: upstream path %q, want %q", tc.golden, tc.path, f.Path, tc.want)
		}
	}
}

func TestTranslatorGoldenRedirects(t *testing.T) {
	for _, tc := range []struct {
		golden, authority, path string
		status                  int
		location                string
	}{
		{"http-redirect-prefix", "gw", "/old/x?y=1", 308, "http://gw/new/x?y=1"},
		{"http-redirect-prefix-to-root", "gw", "/old/x", 307, "http://gw/x"},
		{"http-redirect-prefix-to-root", "gw", "/old", 307, "http://gw/"},
		{"http-redirect-host-port", "gw:80", "/p", 302, "http://new.example.com:8443/p"},
		{"http-redirect-https", "gw:80", "/p", 301, "https://gw/p"},
		{"http-redirect-full-path", "gw", "/x?q", 0, ""},
	} {
		d := goldenTable(t, tc.golden).Route(get(tc.authority, tc.path), fixedRand(0))
		if tc.status == 0 {
			// Only check that it is a redirect with a Location.
			if d.Direct == nil || d.Direct.Headers.Get("location") == "" {
				t.Errorf("%s: not a redirect: %+v", tc.golden, d)
			}
			continue
		}
		if d.Direct == nil || d.Direct.Status != tc.status || d.Direct.Headers.Get("location") != tc.location {
			t.Errorf("%s %s: got %+v, want %d %s", tc.golden, tc.path, d.Direct, tc.status, tc.location)
		}
	}
}

// Weighted backends and invalid backend shares, over the random values
// stride*i for i < n (stride 1001 walks the MILLION runtime fraction in
// even steps and alternates parity, so the shares come out exact).
func TestTranslatorGoldenWeights(t *testing.T) {
	for _, tc := range []struct {
		golden    string
		stride, n uint64
		want      map[string]int
	}{
		{"http-weighted-clusters", 1, 100, map[string]int{
			"service/default/backend/8080": 90, "service/default/canary/8080": 10}},
		// A third of the requests answer 500 (HTTPRoute with an invalid
		// backend), the rest split between the two valid backends.
		{"http-invalid-weight-third", 1001, 1000, map[string]int{
			"500": 333, "service/default/backend/8080": 333, "service/default/canary/8080": 334}},
	} {
		tb := goldenTable(t, tc.golden)
		got := map[string]int{}
		for i := range tc.n {
			d := tb.Route(get("any", "/"), fixedRand(i*tc.stride))
			if d.Direct != nil {
				got[strconv.Itoa(d.Direct.Status)]++
				continue
			}
			got[d.Forward.Cluster]++
		}
		for k, v := range tc.want {
			if got[k] != v {
				t.Errorf("%s: %s got %d of %d, want %d (all: %v)", tc.golden, k, got[k], tc.n, v, got)
			}
		}
	}
}

// HTTPRouteRequestMirror with a percentage: the canary receives every
// request, the backend mirror 12.5% (random values 1000*i for i < 1000
// step evenly through the MILLION fraction).
func TestTranslatorGoldenMirrors(t *testing.T) {
	tb := goldenTable(t, "http-mirror")
	counts := map[string]int{}
	for i := range uint64(1000) {
		for _, m := range forwardOf(t, tb, get("gw", "/"), 1000*i).Mirrors {
			counts[m.Cluster]++
			if m.Authority != "gw-shadow" {
				t.Fatalf("mirror authority %q", m.Authority)
			}
		}
	}
	if counts["service/default/canary/8080"] != 1000 || counts["service/default/backend/8080"] != 125 {
		t.Errorf("mirrors %v", counts)
	}
}
