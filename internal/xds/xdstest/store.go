package xdstest

import (
	"maps"
	"slices"
	"sync"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

// Types are the xDS types the clients follow, in the order Envoy asks for them.
var Types = []string{
	resourcev3.ClusterType, resourcev3.EndpointType, resourcev3.ListenerType,
	resourcev3.RouteType, resourcev3.SecretType,
}

// Predicate tells whether the resources of one type (by name) are in a
// state a test waits for. It runs with the client's lock held: it must not
// call the client, and must not modify or keep the map or its messages.
type Predicate func(resources map[string]proto.Message) bool

// store is what a client holds: the latest resources of each type, the
// version and nonce of the last response of each, the names asked for, and
// the pending waits. Both clients share it.
type store struct {
	mu    sync.Mutex
	state map[string]*typeState
	waits []*wait
	err   error
}

type typeState struct {
	version, nonce string
	names          []string // nil: wildcard
	requested      bool
	resources      map[string]proto.Message
}

// wait is a pending Await.
type wait struct {
	typeURL string
	pred    Predicate
	done    chan time.Time
}

func newStore() *store { return &store{state: map[string]*typeState{}} }

func (s *store) typ(typeURL string) *typeState {
	t, ok := s.state[typeURL]
	if !ok {
		t = &typeState{resources: map[string]proto.Message{}}
		s.state[typeURL] = t
	}
	return t
}

// Err returns the error that ended the stream, if it ended.
func (s *store) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

func (s *store) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.err = err
}

// Version returns the version of the last response of typeURL ("" before
// any): version_info for state of the world, system_version_info for delta.
func (s *store) Version(typeURL string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.typ(typeURL).version
}

// Resources returns the resources of typeURL held now, by name. The messages
// must not be modified.
func (s *store) Resources(typeURL string) map[string]proto.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.typ(typeURL).resources)
}

// Names returns the sorted names of the resources of typeURL held now.
func (s *store) Names(typeURL string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Sorted(maps.Keys(s.typ(typeURL).resources))
}

// RouteConfiguration returns the route configuration named name, or nil.
func (s *store) RouteConfiguration(name string) *routev3.RouteConfiguration {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, _ := s.typ(resourcev3.RouteType).resources[name].(*routev3.RouteConfiguration)
	return m
}

// Await returns a channel that receives, once, the time at which the
// resources of typeURL first satisfy pred: now when they already do,
// otherwise the time the client received the response that made them (its
// gRPC message read, before the resources in it were decoded: decoding
// them is the proxy's work, not the server's). It never receives if that
// does not happen.
func (s *store) Await(typeURL string, pred Predicate) <-chan time.Time {
	w := &wait{typeURL: typeURL, pred: pred, done: make(chan time.Time, 1)}
	s.mu.Lock()
	defer s.mu.Unlock()
	if pred(s.typ(typeURL).resources) {
		w.done <- time.Now()
		return w.done
	}
	s.waits = append(s.waits, w)
	return w.done
}

// updated records the new resources of typeURL with the version and nonce
// of the response, and completes the waits they satisfy. at is when the
// response was received.
func (s *store) updated(typeURL, version, nonce string, resources map[string]proto.Message, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.typ(typeURL)
	t.version, t.nonce, t.resources = version, nonce, resources
	pending := s.waits[:0]
	for _, w := range s.waits {
		if w.typeURL == typeURL && w.pred(resources) {
			w.done <- at
			continue
		}
		pending = append(pending, w)
	}
	clear(s.waits[len(pending):])
	s.waits = pending
}

func resourceName(m proto.Message) string {
	if n, ok := m.(interface{ GetName() string }); ok {
		return n.GetName()
	}
	if cla, ok := m.(*endpointv3.ClusterLoadAssignment); ok {
		return cla.GetClusterName()
	}
	return ""
}

// listenerRefs returns the route configurations (RDS) and secrets (SDS) the listeners name.
func listenerRefs(listeners map[string]proto.Message) (routes, secrets []string) {
	rs, ss := map[string]bool{}, map[string]bool{}
	for _, m := range listeners {
		for _, fc := range m.(*listenerv3.Listener).GetFilterChains() {
			chainRefs(fc, rs, ss)
		}
	}
	return slices.Sorted(maps.Keys(rs)), slices.Sorted(maps.Keys(ss))
}

func chainRefs(fc *listenerv3.FilterChain, routes, secrets map[string]bool) {
	if ts := fc.GetTransportSocket(); ts != nil && ts.GetTypedConfig() != nil {
		var tlsCtx tlsv3.DownstreamTlsContext
		if err := anypb.UnmarshalTo(ts.GetTypedConfig(), &tlsCtx, proto.UnmarshalOptions{}); err == nil {
			for _, sds := range tlsCtx.GetCommonTlsContext().GetTlsCertificateSdsSecretConfigs() {
				secrets[sds.GetName()] = true
			}
		}
	}
	for _, f := range fc.GetFilters() {
		var hcm hcmv3.HttpConnectionManager
		if f.GetTypedConfig() == nil || anypb.UnmarshalTo(f.GetTypedConfig(), &hcm, proto.UnmarshalOptions{}) != nil {
			continue
		}
		if rds := hcm.GetRds(); rds != nil {
			routes[rds.GetRouteConfigName()] = true
		}
	}
}

// edsRefs returns the names of the EDS clusters.
func edsRefs(clusters map[string]proto.Message) []string {
	var names []string
	for name, m := range clusters {
		if m.(*clusterv3.Cluster).GetType() == clusterv3.Cluster_EDS {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// refsOf returns the names of the resources a response of typeURL refers
// to, by the type they are of: routes and secrets for listeners, endpoints
// for clusters, nothing for the others.
func refsOf(typeURL string, resources map[string]proto.Message) map[string][]string {
	switch typeURL {
	case resourcev3.ListenerType:
		routes, secrets := listenerRefs(resources)
		return map[string][]string{resourcev3.RouteType: routes, resourcev3.SecretType: secrets}
	case resourcev3.ClusterType:
		return map[string][]string{resourcev3.EndpointType: edsRefs(resources)}
	}
	return nil
}
