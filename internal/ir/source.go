package ir

import "strings"

// kindRoute is the element kind of routes.
const kindRoute = "route"

// Source names the Kubernetes object an element of the xDS IR comes from,
// for logs: "<Kind> <namespace>/<name>". It reads the names the resource
// translator gives: routes "httproute/<ns>/<name>/rule/<i>/match/<j>" (and "grpcroute/...")
// "tlsroute/<ns>/<name>/rule/<i>", "tcproute/<ns>/<name>" and
// "udproute/<ns>/<name>", clusters "service/<ns>/<name>/<port>" (and ".../<port>/h2c"),
// listeners "<gateway-ns>/<gateway>/<listener>" or, for a ListenerSet's,
// "<gateway-ns>/<gateway>/<set-ns>/<set>/<listener>", and certificates
// "<secret-ns>/<secret>". A name of another shape is returned as it is.
func Source(kind, name string) string {
	parts := strings.Split(name, "/")
	switch {
	case kind == kindRoute && len(parts) >= 3:
		if k := routeKinds[parts[0]]; k != "" {
			return k + " " + parts[1] + "/" + parts[2]
		}
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

// routeKinds are the route kinds by the first element of an IR route name.
var routeKinds = map[string]string{
	"httproute": "HTTPRoute",
	"grpcroute": "GRPCRoute",
	"tlsroute":  "TLSRoute",
	"tcproute":  "TCPRoute",
	"udproute":  "UDPRoute",
}
