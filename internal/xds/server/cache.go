package server

import (
	"fmt"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"github.com/go-logr/logr"
)

// Two go-control-plane snapshot caches hold the same snapshots:
//
//   - envoyCache runs in ADS mode for Envoy (node.user_agent_name "envoy"):
//     on every update it answers CDS, EDS, LDS, RDS in that order, and it
//     answers RDS/EDS requests only once they name every resource of the
//     snapshot, which Envoy does once it has the listeners and clusters.
//   - namedCache runs in non-ADS mode for every other client, such as the
//     grpc-go xDS client, which asks for listeners, routes and clusters by
//     name: it answers with the named subset right away. (An ADS-mode cache
//     never answers a request naming fewer resources than the snapshot has.)
const (
	envoyCache = "envoy"
	namedCache = "named"
)

// envoyUserAgent is what Envoy puts in node.user_agent_name.
const envoyUserAgent = "envoy"

// nodeHash keys snapshots by the node's cluster: every proxy of a fleet
// shares one snapshot whatever its node id. The rate limit service, whose
// node has no cluster, is keyed by its node id.
type nodeHash struct{}

// ID returns the node's cluster, or rateLimitKey for the rate limit service.
func (nodeHash) ID(node *corev3.Node) string {
	if node.GetCluster() == "" && node.GetId() == RateLimitNodeID {
		return rateLimitKey
	}
	return node.GetCluster()
}

func classify(node *corev3.Node) string {
	if node.GetUserAgentName() == envoyUserAgent {
		return envoyCache
	}
	return namedCache
}

// newCaches returns the two snapshot caches and the cache the xDS server
// uses, which routes each request to one of them by its node.
func newCaches(log logr.Logger) (map[string]cachev3.SnapshotCache, cachev3.Cache) {
	caches := map[string]cachev3.SnapshotCache{
		envoyCache: cachev3.NewSnapshotCache(true, nodeHash{}, cacheLogger{log.WithValues("cache", envoyCache)}),
		namedCache: cachev3.NewSnapshotCache(false, nodeHash{}, cacheLogger{log.WithValues("cache", namedCache)}),
	}
	mux := &cachev3.MuxCache{
		Classify:      func(r *cachev3.Request) string { return classify(r.GetNode()) },
		ClassifyDelta: func(r *cachev3.DeltaRequest) string { return classify(r.GetNode()) },
		Caches:        map[string]cachev3.Cache{envoyCache: caches[envoyCache], namedCache: caches[namedCache]},
	}
	return caches, mux
}

// cacheLogger adapts logr to go-control-plane's logger. Its informational
// messages (watches opened, requests held back in ADS mode) are verbose.
// A message is formatted only when its level is enabled: go-control-plane
// passes whole maps of resource names (tens of thousands at 10,000 routes)
// on every watch, and formatting them cost a fifth of an endpoint change's CPU.
type cacheLogger struct{ log logr.Logger }

func (l cacheLogger) Debugf(format string, args ...any) { l.at(3, format, args) }

func (l cacheLogger) Infof(format string, args ...any) { l.at(2, format, args) }

func (l cacheLogger) Warnf(format string, args ...any) { l.at(1, format, args) }

func (l cacheLogger) Errorf(format string, args ...any) {
	l.log.Error(nil, fmt.Sprintf(format, args...))
}

// at logs the message at verbosity v, formatting it only when enabled.
func (l cacheLogger) at(v int, format string, args []any) {
	if log := l.log.V(v); log.Enabled() {
		log.Info(fmt.Sprintf(format, args...))
	}
}
