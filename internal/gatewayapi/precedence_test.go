package gatewayapi

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestLessHTTPOrder(t *testing.T) {
	const t0 = int64(1704067200e9)
	base := httpOrderKey{hostname: "", pathKind: 2, pathLen: 1, created: t0, route: "default/a"}
	with := func(f func(*httpOrderKey)) httpOrderKey {
		k := base
		f(&k)
		return k
	}
	grpc := func(f func(*httpOrderKey)) httpOrderKey {
		k := httpOrderKey{grpc: true, created: t0, route: "default/a"}
		if f != nil {
			f(&k)
		}
		return k
	}
	tests := []struct {
		name          string
		first, second httpOrderKey
	}{
		{"precise hostname before wildcard", with(func(k *httpOrderKey) { k.hostname = "a.example.com" }), with(func(k *httpOrderKey) { k.hostname = "*.example.com" })},
		{"wildcard hostname before any", with(func(k *httpOrderKey) { k.hostname = "*.example.com" }), base},
		{"hostname beats path", with(func(k *httpOrderKey) { k.hostname = "a.example.com" }), with(func(k *httpOrderKey) { k.pathKind = 0 })},
		{"exact before prefix", with(func(k *httpOrderKey) { k.pathKind = 0 }), with(func(k *httpOrderKey) { k.pathLen = 50 })},
		{"exact before regex", with(func(k *httpOrderKey) { k.pathKind = 0 }), with(func(k *httpOrderKey) { k.pathKind = 1; k.pathLen = 50 })},
		{"regex before prefix", with(func(k *httpOrderKey) { k.pathKind = 1 }), with(func(k *httpOrderKey) { k.pathLen = 50 })},
		{"longer prefix first", with(func(k *httpOrderKey) { k.pathLen = 5 }), with(func(k *httpOrderKey) { k.pathLen = 4; k.method = true; k.headers = 9 })},
		{"method before headers", with(func(k *httpOrderKey) { k.method = true }), with(func(k *httpOrderKey) { k.headers = 3; k.queries = 3 })},
		{"more headers first", with(func(k *httpOrderKey) { k.headers = 2 }), with(func(k *httpOrderKey) { k.headers = 1; k.queries = 5 })},
		{"more query params first", with(func(k *httpOrderKey) { k.queries = 1 }), base},
		{"older route first", base, with(func(k *httpOrderKey) { k.created = t0 + 1e9; k.route = "a/a" })},
		{"then namespace/name", base, with(func(k *httpOrderKey) { k.route = "default/b" })},
		{"then rule order", with(func(k *httpOrderKey) { k.rule = 1 }), with(func(k *httpOrderKey) { k.rule = 2 })},
		{"then match order", with(func(k *httpOrderKey) { k.match = 0 }), with(func(k *httpOrderKey) { k.match = 1 })},
		{"http before grpc on a host", base, grpc(func(k *httpOrderKey) { k.grpcService = 9 })},
		{"grpc: longer service first", grpc(func(k *httpOrderKey) { k.grpcService = 4 }), grpc(func(k *httpOrderKey) { k.grpcService = 3; k.grpcMethod = 9; k.headers = 9 })},
		{"grpc: longer method first", grpc(func(k *httpOrderKey) { k.grpcMethod = 4 }), grpc(func(k *httpOrderKey) { k.grpcMethod = 3; k.headers = 9 })},
		{"grpc: more headers first", grpc(func(k *httpOrderKey) { k.headers = 1 }), grpc(nil)},
		{"grpc: then older route", grpc(nil), grpc(func(k *httpOrderKey) { k.created = t0 + 1; k.route = "a/a" })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !lessHTTPOrder(&tt.first, &tt.second) {
				t.Errorf("want %+v before %+v", tt.first, tt.second)
			}
			if lessHTTPOrder(&tt.second, &tt.first) {
				t.Errorf("want %+v not before %+v", tt.second, tt.first)
			}
		})
	}
	if lessHTTPOrder(&base, &base) {
		t.Error("a key must not sort before itself")
	}
}

func TestSortHTTPRoutesIsTotal(t *testing.T) {
	const t0, hour = int64(1704067200e9), int64(3600e9)
	var want []string
	var routes []orderedHTTPRoute
	add := func(name string, k httpOrderKey) {
		want = append(want, name)
		routes = append(routes, orderedHTTPRoute{key: k})
	}
	// Listed in the expected order.
	add("exact-host", httpOrderKey{hostname: "a.example.com", pathKind: 2, pathLen: 1, created: t0, route: "ns/r"})
	add("exact", httpOrderKey{pathKind: 0, pathLen: 4, created: t0, route: "ns/r"})
	add("regex", httpOrderKey{pathKind: 1, pathLen: 4, created: t0, route: "ns/r"})
	add("long-prefix", httpOrderKey{pathKind: 2, pathLen: 8, created: t0, route: "ns/r"})
	add("method", httpOrderKey{pathKind: 2, pathLen: 4, method: true, created: t0, route: "ns/r"})
	add("headers", httpOrderKey{pathKind: 2, pathLen: 4, headers: 1, created: t0, route: "ns/r"})
	add("queries", httpOrderKey{pathKind: 2, pathLen: 4, queries: 1, created: t0, route: "ns/r"})
	add("old", httpOrderKey{pathKind: 2, pathLen: 4, created: t0, route: "ns/z"})
	add("young-a", httpOrderKey{pathKind: 2, pathLen: 4, created: t0 + hour, route: "ns/a"})
	add("young-a-rule-1", httpOrderKey{pathKind: 2, pathLen: 4, created: t0 + hour, route: "ns/a", rule: 1})
	add("young-b", httpOrderKey{pathKind: 2, pathLen: 4, created: t0 + hour, route: "ns/b"})
	byKey := map[httpOrderKey]string{}
	for i, r := range routes {
		byKey[r.key] = want[i]
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		rng.Shuffle(len(routes), func(i, j int) { routes[i], routes[j] = routes[j], routes[i] })
		sortHTTPRoutes(routes)
		got := make([]string, len(routes))
		for i, r := range routes {
			got[i] = byKey[r.key]
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("sorted order (-want +got):\n%s", diff)
		}
	}
}

func TestUnixNanos(t *testing.T) {
	zero := unixNanos(time.Time{})
	old := unixNanos(time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC))
	now := unixNanos(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	far := unixNanos(time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC))
	if zero >= old || old >= now || now >= far {
		t.Errorf("want zero < 1900 < 2024 < 9999, got %d %d %d %d", zero, old, now, far)
	}
	if now != 1704067200e9 {
		t.Errorf("unixNanos(2024-01-01) = %d", now)
	}
}
