package translator

import (
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

// setHeaderModifiers adds r's request and response header modifications to
// route. Pseudo-headers (":path") and "host" are left out: Envoy rejects the
// whole route configuration if a route modifies them.
func setHeaderModifiers(route *routev3.Route, r *ir.HTTPRoute) {
	if m := r.RequestHeaders; m != nil {
		route.RequestHeadersToAdd, route.RequestHeadersToRemove = headerEdits(m)
	}
	if m := r.ResponseHeaders; m != nil {
		route.ResponseHeadersToAdd, route.ResponseHeadersToRemove = headerEdits(m)
	}
}

// HeaderValueOptions are the headers m adds (appending to existing values)
// and sets (overwriting them), in that order.
func HeaderValueOptions(m *ir.HeaderModifier) []*corev3.HeaderValueOption {
	var out []*corev3.HeaderValueOption
	add := func(headers []ir.Header, action corev3.HeaderValueOption_HeaderAppendAction) {
		for _, h := range headers {
			if !modifiableHeader(h.Name) {
				continue
			}
			out = append(out, &corev3.HeaderValueOption{
				Header:       &corev3.HeaderValue{Key: h.Name, Value: literalHeaderValue(h.Value)},
				AppendAction: action,
			})
		}
	}
	add(m.Add, corev3.HeaderValueOption_APPEND_IF_EXISTS_OR_ADD)
	add(m.Set, corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD)
	return out
}

// headerEdits returns the headers m adds or sets, and the names it
// removes that may be removed.
func headerEdits(m *ir.HeaderModifier) ([]*corev3.HeaderValueOption, []string) {
	return HeaderValueOptions(m), removableHeaders(m.Remove)
}

func removableHeaders(names []string) []string {
	var out []string
	for _, n := range names {
		if modifiableHeader(n) {
			out = append(out, n)
		}
	}
	return out
}

func modifiableHeader(name string) bool {
	return name != "" && !strings.HasPrefix(name, ":") && !strings.EqualFold(name, "host")
}

// literalHeaderValue escapes a literal header value for Envoy, which reads
// header values as format strings: "%" starts a command ("%REQ(x)%") and a
// literal one is written "%%". An unescaped "%" makes Envoy refuse the route
// configuration.
func literalHeaderValue(v string) string {
	return strings.ReplaceAll(v, "%", "%%")
}
