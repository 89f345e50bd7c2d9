package gatewayapi

import (
	"fmt"
	"strings"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/envoygw/envoy-gateway/internal/re2size"
)

// Data-plane checks: the rules Envoy puts on values the resource translator
// copies from user input into the xDS IR. They come from two sources:
//
//   - The validation rules of the Envoy protos (protoc-gen-validate rules,
//     generated into go-control-plane's *.pb.validate.go): header names and
//     values, redirect and rewrite strings and virtual host domains must not
//     hold NUL, CR or LF (the non-strict HTTP_HEADER_NAME/HTTP_HEADER_VALUE
//     rule "^[^\x00\n\r]*$"); a HeaderValue key is 1-16384 bytes, a value at
//     most 16384; a query parameter name is 1-1024 bytes; a regex is not
//     empty; a path_separated_prefix matches "^[^?#]+[^?#/]$".
//   - What Envoy checks when it loads a route beyond them: pseudo-headers
//     (":path") and "host" may not be added, set or removed by a route; a
//     regex must compile with RE2 and its RE2 program must not be bigger than
//     the runtime limit re2.max_program_size.error_level (default 100).
//
// Each check returns a reasonError with reason UnsupportedValue whose message
// starts with the field path of the Gateway API object.

// maxHeaderBytes is the HeaderValue key and value limit.
const maxHeaderBytes = 16384

// maxQueryParamNameBytes is the QueryParameterMatcher name limit.
const maxQueryParamNameBytes = 1024

// unsupportedAt builds an UnsupportedValue error for a field.
func unsupportedAt(path fieldPath, format string, args ...any) *routeError {
	return errorf(gwapiv1.RouteReasonUnsupportedValue, "%s: %s", path, fmt.Sprintf(format, args...))
}

// forbiddenHeaderChar returns a description of the first character Envoy
// refuses in a header name or value (NUL, CR, LF), or "".
func forbiddenHeaderChar(s string) string {
	switch i := strings.IndexAny(s, "\x00\r\n"); {
	case i < 0:
		return ""
	case s[i] == 0:
		return "a NUL character"
	case s[i] == '\r':
		return "a carriage return"
	default:
		return "a newline"
	}
}

// checkHeaderString rejects a string Envoy takes as a header value (a header
// value, a redirect or rewrite target): no NUL, CR or LF, at most 16384 bytes.
func checkHeaderString(path fieldPath, value string) *routeError {
	if c := forbiddenHeaderChar(value); c != "" {
		return unsupportedAt(path, "must not contain %s", c)
	}
	if len(value) > maxHeaderBytes {
		return unsupportedAt(path, "must be at most %d bytes, not %d", maxHeaderBytes, len(value))
	}
	return nil
}

// isTokenChar reports whether c may appear in an HTTP header name (RFC 9110 tchar).
func isTokenChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// checkHeaderName rejects a header name that is empty, too long or not an
// HTTP token.
func checkHeaderName(path fieldPath, name string) *routeError {
	if name == "" {
		return unsupportedAt(path, "must not be empty")
	}
	if len(name) > maxHeaderBytes {
		return unsupportedAt(path, "must be at most %d bytes, not %d", maxHeaderBytes, len(name))
	}
	for i := 0; i < len(name); i++ {
		if !isTokenChar(name[i]) {
			return unsupportedAt(path, "%q is not a valid HTTP header name (character %q)", name, name[i])
		}
	}
	return nil
}

// checkModifiableHeader rejects a header a route may not add, set or remove:
// Envoy refuses the whole route configuration for "host" (and pseudo-headers,
// which checkHeaderName already refuses).
func checkModifiableHeader(path fieldPath, name string) *routeError {
	if err := checkHeaderName(path, name); err != nil {
		return err
	}
	if strings.EqualFold(name, "host") {
		return unsupportedAt(path, "the Host header cannot be modified by a header filter (use a URLRewrite hostname)")
	}
	return nil
}

// checkQueryParamName rejects a query parameter name Envoy refuses.
func checkQueryParamName(path fieldPath, name string) *routeError {
	switch {
	case name == "":
		return unsupportedAt(path, "must not be empty")
	case len(name) > maxQueryParamNameBytes:
		return unsupportedAt(path, "must be at most %d bytes, not %d", maxQueryParamNameBytes, len(name))
	}
	return nil
}

// checkPathPrefix rejects a path prefix Envoy's path_separated_prefix cannot
// hold: it must not contain "?" or "#".
func checkPathPrefix(path fieldPath, prefix string) *routeError {
	if i := strings.IndexAny(prefix, "?#"); i >= 0 {
		return unsupportedAt(path, "path prefix %q must not contain %q", prefix, prefix[i])
	}
	return checkHeaderString(path, prefix)
}

// checkRegex rejects a regular expression Envoy refuses: empty, not RE2
// syntax, or with an RE2 program too big (re2size.Check).
func checkRegex(path fieldPath, expr string) *routeError {
	if err := re2size.Check(expr); err != nil {
		return unsupportedAt(path, "%s", err)
	}
	return nil
}
