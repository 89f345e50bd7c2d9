package router

import (
	"testing"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"sigs.k8s.io/yaml"
)

// fixedRand returns the same value on every call.
type fixedRand uint64

func (r fixedRand) Uint64() uint64 { return uint64(r) }

// parseRC reads a RouteConfiguration from YAML in proto-JSON field names,
// the format of the translator's goldens.
func parseRC(t *testing.T, y string) *routev3.RouteConfiguration {
	t.Helper()
	j, err := yaml.YAMLToJSON([]byte(y))
	if err != nil {
		t.Fatalf("yaml: %v", err)
	}
	rc := &routev3.RouteConfiguration{}
	if err := protojson.Unmarshal(j, rc); err != nil {
		t.Fatalf("protojson: %v", err)
	}
	return rc
}

// compileYAML compiles a RouteConfiguration given in YAML and fails the
// test on error.
func compileYAML(t *testing.T, y string) *Table {
	t.Helper()
	tb, err := Compile(parseRC(t, y))
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return tb
}

// get builds a GET request for authority and path over http, with the
// x-forwarded-proto the connection manager sets.
func get(authority, path string) *Request {
	return &Request{Method: "GET", Authority: authority, Path: path, Scheme: "http",
		Headers: Headers{"x-forwarded-proto": {"http"}}}
}

// withHeader adds a header to req and returns it.
func withHeader(req *Request, name, value string) *Request {
	req.Headers.Add(name, value)
	return req
}

// routeName routes req with random 0 and returns the matched route's name,
// or "404" when the decision is a 404 without a route.
func routeName(t *testing.T, tb *Table, req *Request) string {
	t.Helper()
	d := tb.Route(req, fixedRand(0))
	if d.RouteName == "" {
		if d.Direct == nil || d.Direct.Status != 404 {
			t.Fatalf("no route but not a 404: %+v", d)
		}
		return "404"
	}
	return d.RouteName
}
