package controllers

import (
	"sync"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// sharedValues holds one copy of the strings (and of pointers to them)
// that repeat across the cached routes' statuses: the parent references
// (group, kind, namespace, name, section), the controller names and the
// conditions' types, statuses, reasons and messages. Every route's status
// is decoded from the API server's JSON with its own copies, a dozen
// small allocations per parent; a status write of every route (the status
// writer's first round) decodes 10,000 of them among the round's garbage,
// where they leave memory pages mostly empty that the runtime cannot
// return. Shared, they are garbage too, and the pages go. It holds at most
// maxShared values of at most maxSharedLen bytes: a message naming a
// route's own objects is kept as decoded once it is full.
type sharedValues struct {
	mu     sync.Mutex
	values map[any]any
}

const (
	maxShared    = 4096
	maxSharedLen = 256
)

// shareRouteStatus gives s's repeated strings and pointers their shared
// copies; the values are unchanged.
func (v *sharedValues) shareRouteStatus(s *gwapiv1.RouteStatus) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for i := range s.Parents {
		p := &s.Parents[i]
		ref := &p.ParentRef
		ref.Group, ref.Kind = sharedPtr(v, ref.Group), sharedPtr(v, ref.Kind)
		ref.Namespace, ref.SectionName = sharedPtr(v, ref.Namespace), sharedPtr(v, ref.SectionName)
		ref.Name, p.ControllerName = shared(v, ref.Name), shared(v, p.ControllerName)
		for j := range p.Conditions {
			c := &p.Conditions[j]
			c.Type, c.Status = shared(v, c.Type), shared(v, c.Status)
			c.Reason, c.Message = shared(v, c.Reason), shared(v, c.Message)
		}
	}
}

// shared returns the shared copy of s, made the first time s is seen
// while there is room. v.mu must be held.
func shared[T ~string](v *sharedValues, s T) T {
	if s == "" || len(s) > maxSharedLen {
		return s
	}
	return v.share(s, s).(T)
}

// sharedPtrKey is the key of the shared pointer to a value.
type sharedPtrKey[T any] struct{ value T }

// sharedPtr returns the shared pointer to *p's value: p itself, its value
// shared, the first time the value is seen while there is room. v.mu must
// be held.
func sharedPtr[T ~string](v *sharedValues, p *T) *T {
	if p == nil || len(*p) > maxSharedLen {
		return p
	}
	c := v.share(sharedPtrKey[T]{*p}, p).(*T)
	if c == p {
		*p = shared(v, *p)
	}
	return c
}

// share returns the value held for key, holding value for it when there
// is none and there is room (value itself otherwise). v.mu must be held.
func (v *sharedValues) share(key, value any) any {
	if c, ok := v.values[key]; ok {
		return c
	}
	if len(v.values) >= maxShared {
		return value
	}
	if v.values == nil {
		v.values = map[any]any{}
	}
	v.values[key] = value
	return value
}
