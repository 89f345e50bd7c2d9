package ir

import "strings"

// kindRoute is the element kind of routes.
const kindRoute = "route"

// Source names the Kubernetes object an element of the xDS IR comes from,
// for logs: "<Kind> <namespace>/<name>". It reads the names the resource
// translator gives: routes "httproute/<ns>/<name>/rule/<i>/match/<j>",
// "grpcroute/<ns>/<name>/rule/<i>/match/<j>" and
// "tlsroute/<ns>/<name>/rule/<i>", clusters "service/<ns>/<name>/<port>"
// (and ".../<port>/h2c"), listeners "<gateway-ns>/<gateway>/<listener>" or, for a ListenerSet's,
// "<gateway-ns>/<gateway>/<set-ns>/<set>/<listener>", and certificates
// "<secret-ns>/<secret>". A name of another shape is returned as it is.
func Source(kind, name string) string {
	parts := strings.Split(name, "/")
	switch {
	case kind == kindRoute && len(parts) >= 3 && parts[0] == "httproute":
		return "HTTPRoute " + parts[1] + "/" + parts[2]
	case kind == kindRoute && len(parts) >= 3 && parts[0] == "grpcroute":
		return "GRPCRoute " + parts[1] + "/" + parts[2]
	case kind == kindRoute && len(parts) >= 3 && parts[0] == "tlsroute":
		return "TLSRoute " + parts[1] + "/" + parts[2]
	case kind == "cluster" && (len(parts) == 4 || len(parts) == 5 && parts[4] == "h2c") && parts[0] == "service":
		return "Service " + parts[1] + "/" + parts[2]
	case kind == "listener" && len(parts) == 5:
		return "ListenerSet " + parts[2] + "/" + parts[3] + " (listener " + parts[4] + ")"
	case kind == "listener" && len(parts) == 3:
		return "Gateway " + parts[0] + "/" + parts[1] + " (listener " + parts[2] + ")"
	case kind == "secret" && len(parts) == 2:
		return "Secret " + name
	}
	return name
}
