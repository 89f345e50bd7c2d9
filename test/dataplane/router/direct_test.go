package router

import (
	"reflect"
	"strings"
	"testing"
)

// direct_response routes answer through the router's sendLocalReply: the
// status, the body, content-type text/plain for a non-empty body unless a
// response mutation set one, the response_headers_to_add of the route,
// virtual host and configuration, and a Location (built from the request)
// for 201 and 3xx statuses.
func TestDirectResponses(t *testing.T) {
	tb := compileYAML(t, `
name: rc
responseHeadersToAdd: [{header: {key: x-config, value: c}}]
virtualHosts:
- name: d
  domains: ["*"]
  responseHeadersToAdd: [{header: {key: x-vhost, value: v}}]
  routes:
  - {name: body, match: {prefix: /body}, directResponse: {status: 503, body: {inlineString: "down for maintenance"}},
     responseHeadersToAdd: [{header: {key: x-route, value: r}}]}
  - {name: bytes, match: {prefix: /bytes}, directResponse: {status: 200, body: {inlineBytes: aGVsbG8=}}}
  - {name: typed, match: {prefix: /typed}, directResponse: {status: 200, body: {inlineString: "{}"}},
     responseHeadersToAdd: [{header: {key: content-type, value: application/json}}]}
  - {name: empty, match: {prefix: /empty}, directResponse: {status: 500},
     responseHeadersToAdd: [{header: {key: content-type, value: text/html}}, {header: {key: content-length, value: "9"}}]}
  - {name: moved, match: {prefix: /moved}, directResponse: {status: 301}}
  - {name: created, match: {prefix: /created}, directResponse: {status: 201}}
`)
	for _, tc := range []struct {
		path    string
		status  int
		body    string
		headers Headers
	}{
		{"/body", 503, "down for maintenance", Headers{"content-type": {"text/plain"}, "x-route": {"r"},
			"x-vhost": {"v"}, "x-config": {"c"}}},
		{"/bytes", 200, "hello", Headers{"content-type": {"text/plain"}, "x-vhost": {"v"}, "x-config": {"c"}}},
		{"/typed", 200, "{}", Headers{"content-type": {"application/json"}, "x-vhost": {"v"}, "x-config": {"c"}}},
		{"/empty", 500, "", Headers{"x-vhost": {"v"}, "x-config": {"c"}}},
		{"/moved?a=1", 301, "", Headers{"location": {"http://h:8080/moved?a=1"}, "x-vhost": {"v"}, "x-config": {"c"}}},
		{"/created", 201, "", Headers{"location": {"http://h:8080/created"}, "x-vhost": {"v"}, "x-config": {"c"}}},
	} {
		d := tb.Route(get("h:8080", tc.path), fixedRand(0))
		if d.Direct == nil {
			t.Errorf("%s: forwarded", tc.path)
			continue
		}
		if d.Direct.Status != tc.status || string(d.Direct.Body) != tc.body || !reflect.DeepEqual(d.Direct.Headers, tc.headers) {
			t.Errorf("%s: got %d %q %v, want %d %q %v", tc.path, d.Direct.Status, d.Direct.Body, d.Direct.Headers,
				tc.status, tc.body, tc.headers)
		}
	}
}

// No virtual host or no route: Envoy's router answers 404 with no body and
// no route-level headers.
func TestNotFound(t *testing.T) {
	tb := compileYAML(t, `
name: rc
responseHeadersToAdd: [{header: {key: x-config, value: c}}]
virtualHosts:
- {name: a, domains: [a.com], routes: [{name: r, match: {path: /only}, route: {cluster: c}}]}`)
	for _, tc := range []struct{ authority, path, vhost string }{
		{"b.com", "/only", ""},
		{"a.com", "/other", "a"},
	} {
		d := tb.Route(get(tc.authority, tc.path), fixedRand(0))
		if d.Forward != nil || d.Direct == nil || d.Direct.Status != 404 || len(d.Direct.Headers) != 0 ||
			len(d.Direct.Body) != 0 || d.VirtualHost != tc.vhost || d.RouteName != "" {
			t.Errorf("%s%s: got %+v / %+v", tc.authority, tc.path, d, d.Direct)
		}
	}
}

// The direct response body is limited by max_direct_response_body_size_bytes
// (4096 by default); only inline bodies are implemented.
func TestDirectResponseBodyLimits(t *testing.T) {
	big := strings.Repeat("x", 4097)
	_, err := Compile(parseRC(t, `
name: rc
virtualHosts: [{name: d, domains: ["*"], routes: [{match: {prefix: /}, directResponse: {status: 200, body: {inlineString: `+
		big+`}}}]}]`))
	if err == nil || !strings.Contains(err.Error(),
		"virtual_hosts[0].routes[0].direct_response.body: invalid: response body size is 4097 bytes; maximum is 4096") {
		t.Errorf("default limit: %v", err)
	}
	if _, err := Compile(parseRC(t, `
name: rc
maxDirectResponseBodySizeBytes: 5000
virtualHosts: [{name: d, domains: ["*"], routes: [{match: {prefix: /}, directResponse: {status: 200, body: {inlineString: `+
		big+`}}}]}]`)); err != nil {
		t.Errorf("raised limit: %v", err)
	}
	_, err = Compile(parseRC(t, `
name: rc
virtualHosts: [{name: d, domains: ["*"], routes: [{match: {prefix: /}, directResponse: {status: 200, body: {filename: /etc/hosts}}}]}]`))
	if err == nil || !strings.Contains(err.Error(),
		"virtual_hosts[0].routes[0].direct_response.body.filename: not implemented by the test data plane") {
		t.Errorf("filename body: %v", err)
	}
	_, err = Compile(parseRC(t, `
name: rc
virtualHosts: [{name: d, domains: ["*"], routes: [{match: {prefix: /}, directResponse: {status: 99}}]}]`))
	if err == nil || !strings.Contains(err.Error(), "virtual_hosts[0].routes[0].direct_response.status: invalid") {
		t.Errorf("status 99: %v", err)
	}
}
