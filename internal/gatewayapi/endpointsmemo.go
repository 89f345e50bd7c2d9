package gatewayapi

import (
	"maps"

	discoveryv1 "k8s.io/api/discovery/v1"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

// EndpointsTranslator is TranslateEndpoints with a memory: it keeps the IR
// of each Service of the previous snapshot with the slices it came from,
// and gives a Service whose slices did not change its previous IR (the same
// pointer) instead of computing it again. The result is a copy of the
// previous result's map with the changed, new and removed Services set: an
// EndpointSlice change costs a lookup and a comparison per Service, a map
// copy and the translation of the changed Service only, and the xDS
// translator, which compares Service entries by pointer, rebuilds only the
// assignments of the changed Service. The result always equals
// TranslateEndpoints'; results are never modified once returned.
//
// A slice is unchanged when it is the same object, or when both have a
// resourceVersion and the same namespace, name, UID and resourceVersion
// (the Kubernetes provider's informer copies: the API server changes the
// resourceVersion on every write). A provider that modifies a published
// slice in place must not use it; none does. When a snapshot says which
// Services changed since the one of the previous call (Endpoints.Delta),
// only those are looked at. Not safe for concurrent use.
type EndpointsTranslator struct {
	memo map[ObjectKey]*memoService
	// gen counts the calls; the Services of the current call carry it.
	gen uint64
	// last is the previous result, nil before the first call, and lastIn
	// the ID of the snapshot it came from.
	last   *ir.Endpoints
	lastIn uint64
}

// memoService is one Service's IR, its key in the IR and the slices it was
// computed from.
type memoService struct {
	gen    uint64
	key    string
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
	if e == nil {
		t.memo, t.last = map[ObjectKey]*memoService{}, nil
		return &ir.Endpoints{Services: map[string]*ir.ServiceEndpoints{}}
	}
	if e.Delta != nil && e.Delta.From != 0 && e.Delta.From == t.lastIn && t.last != nil {
		t.last, t.lastIn = t.translateDelta(e), e.ID
		return t.last
	}
	t.gen++
	var changed []*memoService
	seen := 0
	for _, s := range e.Services {
		m := t.memo[s.ObjectKey]
		switch {
		case m != nil && m.gen == t.gen: // a duplicate: the first one counts
			continue
		case m == nil:
			m = &memoService{key: ir.ServiceKey(s.Namespace, s.Name)}
			t.memo[s.ObjectKey] = m
			fallthrough
		case !SameEndpointSlices(m.slices, s.EndpointSlices):
			m.slices, m.out = s.EndpointSlices, serviceEndpoints(s.EndpointSlices)
			changed = append(changed, m)
		}
		m.gen = t.gen
		seen++
	}
	var removed []string
	if seen < len(t.memo) {
		for k, m := range t.memo {
			if m.gen != t.gen {
				removed = append(removed, m.key)
				delete(t.memo, k)
			}
		}
	}
	t.last, t.lastIn = t.next(changed, removed), e.ID
	return t.last
}

// translateDelta is Translate for a snapshot whose delta is from the last
// call's: only the Services of the delta are looked at. The memory's
// entries of the others keep the last call's gen, which is the current
// one: this call does not count as a new one.
func (t *EndpointsTranslator) translateDelta(e *Endpoints) *ir.Endpoints {
	var changed []*memoService
	var removed []string
	for _, k := range e.Delta.Changed {
		s, covered := e.Entry(k)
		m := t.memo[k]
		switch {
		case !covered && m != nil:
			removed = append(removed, m.key)
			delete(t.memo, k)
		case !covered:
		case m == nil:
			m = &memoService{key: ir.ServiceKey(k.Namespace, k.Name), gen: t.gen}
			t.memo[k] = m
			fallthrough
		case !SameEndpointSlices(m.slices, s.EndpointSlices):
			m.slices, m.out = s.EndpointSlices, serviceEndpoints(s.EndpointSlices)
			changed = append(changed, m)
		}
	}
	return t.next(changed, removed)
}

// next is the result of a call that changed and removed these Services:
// the previous result's map with them set (or built from the memory on the
// first call), numbered, with the delta from the previous result.
func (t *EndpointsTranslator) next(changed []*memoService, removed []string) *ir.Endpoints {
	if t.last == nil {
		out := make(map[string]*ir.ServiceEndpoints, len(t.memo))
		for _, m := range t.memo {
			out[m.key] = m.out
		}
		return &ir.Endpoints{Services: out, ID: ir.NewEndpointsID()}
	}
	delta := &ir.EndpointsDelta{From: t.last.ID}
	if len(changed) == 0 && len(removed) == 0 {
		return &ir.Endpoints{Services: t.last.Services, ID: ir.NewEndpointsID(), Delta: delta}
	}
	out := maps.Clone(t.last.Services)
	for _, m := range changed {
		out[m.key] = m.out
		delta.Changed = append(delta.Changed, m.key)
	}
	for _, k := range removed {
		delete(out, k)
		delta.Changed = append(delta.Changed, k)
	}
	return &ir.Endpoints{Services: out, ID: ir.NewEndpointsID(), Delta: delta}
}

// sameSlices reports whether a and b are the same slices in the same order.
func SameEndpointSlices(a, b []*discoveryv1.EndpointSlice) bool {
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
