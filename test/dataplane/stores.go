package dataplane

import (
	"crypto/tls"
	"maps"
	"slices"
	"sync"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"

	"github.com/envoygw/envoy-gateway/test/dataplane/router"
)

// routeStore holds the route configurations received over RDS: Envoy's
// RDS providers, shared by name between connection managers. Requests
// use the latest table of their name.
type routeStore struct {
	mu     sync.RWMutex
	tables map[string]*router.Table
	protos map[string]*routev3.RouteConfiguration
}

func newRouteStore() *routeStore {
	return &routeStore{tables: map[string]*router.Table{}, protos: map[string]*routev3.RouteConfiguration{}}
}

func (s *routeStore) get(name string) *router.Table {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.tables[name]
}

func (s *routeStore) has(name string) bool { return s.get(name) != nil }

func (s *routeStore) set(name string, t *router.Table, p *routev3.RouteConfiguration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tables[name], s.protos[name] = t, p
}

// keep forgets the route configurations no listener references any more.
func (s *routeStore) keep(names []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for n := range s.tables {
		if !slices.Contains(names, n) {
			delete(s.tables, n)
			delete(s.protos, n)
		}
	}
}

func (s *routeStore) all() []*routev3.RouteConfiguration {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*routev3.RouteConfiguration, 0, len(s.protos))
	for _, n := range slices.Sorted(maps.Keys(s.protos)) {
		out = append(out, s.protos[n])
	}
	return out
}

// secretStore holds the TLS certificates received over SDS.
type secretStore struct {
	mu     sync.RWMutex
	certs  map[string]*tls.Certificate
	protos map[string]*tlsv3.Secret
}

func newSecretStore() *secretStore {
	return &secretStore{certs: map[string]*tls.Certificate{}, protos: map[string]*tlsv3.Secret{}}
}

// Certificate returns the current certificate of a secret.
func (s *secretStore) Certificate(name string) (*tls.Certificate, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.certs[name]
	return c, ok
}

func (s *secretStore) has(name string) bool {
	_, ok := s.Certificate(name)
	return ok
}

func (s *secretStore) set(name string, c *tls.Certificate, p *tlsv3.Secret) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.certs[name], s.protos[name] = c, p
}

func (s *secretStore) keep(names []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for n := range s.certs {
		if !slices.Contains(names, n) {
			delete(s.certs, n)
			delete(s.protos, n)
		}
	}
}

func (s *secretStore) all() []*tlsv3.Secret {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*tlsv3.Secret, 0, len(s.protos))
	for _, n := range slices.Sorted(maps.Keys(s.protos)) {
		out = append(out, s.protos[n])
	}
	return out
}
