package gatewayapi

import (
	"strings"
	"testing"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

func TestDataPlaneChecks(t *testing.T) {
	path := newFieldPath("spec", "x")
	long := strings.Repeat("a", maxHeaderBytes+1)
	tests := []struct {
		name  string
		check func() *routeError
		want  string // "" for no error, else a part of the message
	}{
		{"header value ok", func() *routeError { return checkHeaderString(path, "50% off") }, ""},
		{"header value newline", func() *routeError { return checkHeaderString(path, "a\nb") }, "spec.x: must not contain a newline"},
		{"header value CR", func() *routeError { return checkHeaderString(path, "a\rb") }, "carriage return"},
		{"header value NUL", func() *routeError { return checkHeaderString(path, "a\x00b") }, "NUL"},
		{"header value too long", func() *routeError { return checkHeaderString(path, long) }, "at most 16384 bytes"},
		{"header name ok", func() *routeError { return checkHeaderName(path, "X-Request-Id") }, ""},
		{"header name empty", func() *routeError { return checkHeaderName(path, "") }, "must not be empty"},
		{"header name space", func() *routeError { return checkHeaderName(path, "X A") }, "not a valid HTTP header name"},
		{"header name pseudo", func() *routeError { return checkHeaderName(path, ":path") }, "not a valid HTTP header name"},
		{"header Host", func() *routeError { return checkModifiableHeader(path, "HOST") }, "Host header cannot be modified"},
		{"header other", func() *routeError { return checkModifiableHeader(path, "x-host") }, ""},
		{"query name empty", func() *routeError { return checkQueryParamName(path, "") }, "must not be empty"},
		{"query name long", func() *routeError { return checkQueryParamName(path, strings.Repeat("q", 1025)) }, "at most 1024 bytes"},
		{"prefix ok", func() *routeError { return checkPathPrefix(path, "/a/b") }, ""},
		{"prefix query", func() *routeError { return checkPathPrefix(path, "/a?b") }, `must not contain '?'`},
		{"prefix fragment", func() *routeError { return checkPathPrefix(path, "/a#b") }, `must not contain '#'`},
		{"regex ok", func() *routeError { return checkRegex(path, "/v[0-9]+") }, ""},
		{"regex empty", func() *routeError { return checkRegex(path, "") }, "must not be empty"},
		{"regex invalid", func() *routeError { return checkRegex(path, "(") }, "is invalid"},
		{"regex too big", func() *routeError { return checkRegex(path, "[a-z]{40}[0-9]{40}") }, "too complex for Envoy"},
		{"new path relative", func() *routeError { return checkNewPath(path, "a") }, "must start with /"},
		{"precise hostname", func() *routeError { return checkPreciseHostname(path, "*.example.com") }, "is invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.check()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.want != "" && err == nil:
				t.Fatalf("no error, want one containing %q", tt.want)
			case tt.want != "" && !strings.Contains(err.msg, tt.want):
				t.Fatalf("error %q does not contain %q", err.msg, tt.want)
			case err != nil && (err.reason != gwapiv1.RouteReasonUnsupportedValue || !strings.HasPrefix(err.msg, "spec.x: ")):
				t.Fatalf("error %+v: want reason UnsupportedValue and a message starting with the field path", err)
			}
		})
	}
}
