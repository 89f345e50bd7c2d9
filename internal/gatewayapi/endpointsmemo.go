package gatewayapi

import (
	discoveryv1 "k8s.io/api/discovery/v1"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

// EndpointsTranslator is TranslateEndpoints with a memory: it keeps the IR
// of each Service of the previous snapshot with the slices it came from,
// and gives a Service whose slices did not change its previous IR (the same
// pointer) instead of computing it again. An EndpointSlice change then
// costs a lookup per Service and the translation of the changed Service
// only, and the xDS translator, which compares endpoints by pointer first,
// skips the unchanged ones. The result always equals TranslateEndpoints'.
//
// A slice is unchanged when it is the same object, or when both have a
// resourceVersion and the same namespace, name, UID and resourceVersion
// (the Kubernetes provider's informer copies: the API server changes the
// resourceVersion on every write). A provider that modifies a published
// slice in place must not use it; none does. Not safe for concurrent use.
type EndpointsTranslator struct {
	memo map[ObjectKey]*memoService
}

// memoService is one Service's IR and the slices it was computed from.
type memoService struct {
	slices []*discoveryv1.EndpointSlice
	out    *ir.ServiceEndpoints
}

// NewEndpointsTranslator returns an EndpointsTranslator with an empty memory.
func NewEndpointsTranslator() *EndpointsTranslator {
	return &EndpointsTranslator{memo: map[ObjectKey]*memoService{}}
}

// Translate returns TranslateEndpoints(e), reusing the IR of the Services
// whose slices did not change since the previous call. The memory keeps
// only the Services of e.
func (t *EndpointsTranslator) Translate(e *Endpoints) *ir.Endpoints {
	out := &ir.Endpoints{Services: map[string]*ir.ServiceEndpoints{}}
	if e == nil {
		t.memo = map[ObjectKey]*memoService{}
		return out
	}
	next := make(map[ObjectKey]*memoService, len(e.Services))
	for _, s := range e.Services {
		if _, dup := next[s.ObjectKey]; dup {
			continue
		}
		m := t.memo[s.ObjectKey]
		if m == nil || !sameSlices(m.slices, s.EndpointSlices) {
			m = &memoService{slices: s.EndpointSlices, out: serviceEndpoints(s.EndpointSlices)}
		}
		next[s.ObjectKey] = m
		out.Services[ir.ServiceKey(s.Namespace, s.Name)] = m.out
	}
	t.memo = next
	return out
}

// sameSlices reports whether a and b are the same slices in the same order.
func sameSlices(a, b []*discoveryv1.EndpointSlice) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !sameSlice(a[i], b[i]) {
			return false
		}
	}
	return true
}

func sameSlice(a, b *discoveryv1.EndpointSlice) bool {
	if a == b {
		return true
	}
	if a == nil || b == nil || a.ResourceVersion == "" {
		return false
	}
	return a.ResourceVersion == b.ResourceVersion && a.UID == b.UID &&
		a.Namespace == b.Namespace && a.Name == b.Name
}
