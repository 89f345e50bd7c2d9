package gatewayapi

import (
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// routeMeta is what attachment needs to know about a route of any kind.
type routeMeta struct {
	kind string
	meta *metav1.ObjectMeta
	// hostnames are the route's validated hostnames ("" never appears).
	hostnames []string
}

// parentAttachment is the outcome of one parentRef that names one of our
// Gateways, or a ListenerSet of one.
type parentAttachment struct {
	// ref is the parentRef with group, kind and namespace filled in.
	ref gwapiv1.ParentReference
	// err is why the route is not accepted by this parent.
	err *routeError
	// listeners are the listeners the route attaches to, with the hostnames
	// it serves on each.
	listeners []listenerHostnames
}

// listenerHostnames is one attached listener and the route hostnames that
// intersect with it ("" means any).
type listenerHostnames struct {
	listener  *listenerModel
	hostnames []string
}

// normalizeParentRef fills in the defaults of a parentRef: group
// gateway.networking.k8s.io, kind Gateway, the route's namespace.
func normalizeParentRef(ref gwapiv1.ParentReference, routeNamespace string) gwapiv1.ParentReference {
	out := ref
	if out.Group == nil {
		g := gwapiv1.Group(gwapiv1.GroupName)
		out.Group = &g
	}
	if out.Kind == nil {
		k := gwapiv1.Kind(kindGateway)
		out.Kind = &k
	}
	if out.Namespace == nil || *out.Namespace == "" {
		ns := gwapiv1.Namespace(routeNamespace)
		out.Namespace = &ns
	}
	return out
}

// parentKey identifies a normalized parentRef, to ignore repeated ones.
func parentKey(ref gwapiv1.ParentReference) string {
	key := string(*ref.Group) + "/" + string(*ref.Kind) + "/" + string(*ref.Namespace) + "/" + string(ref.Name) + "/"
	if ref.SectionName != nil {
		key += string(*ref.SectionName)
	}
	if ref.Port != nil {
		key += ":" + itoa(int64(*ref.Port))
	}
	return key
}

// normalizedRef is a parentRef with its defaults filled in, and its key.
type normalizedRef struct {
	ref gwapiv1.ParentReference
	key string
}

// normalizeParentRefs normalizes the parentRefs of a route of namespace
// routeNamespace, dropping repeated ones (routes have few parentRefs).
// Routes built once keep theirs (see httpRouteModel).
func normalizeParentRefs(refs []gwapiv1.ParentReference, routeNamespace string) []normalizedRef {
	out := make([]normalizedRef, 0, len(refs))
	for _, spec := range refs {
		ref := normalizeParentRef(spec, routeNamespace)
		key := parentKey(ref)
		if !slices.ContainsFunc(out, func(n normalizedRef) bool { return n.key == key }) {
			out = append(out, normalizedRef{ref: ref, key: key})
		}
	}
	return out
}

// attachParents resolves the parentRefs of a route (normalized, without
// repeats) that are Gateways of ours; routeErr rejects the route on every
// parent that would otherwise accept it. reuse, when not nil, are the
// route's attachments of the last call, which no one holds any more: their
// slice and objects are filled again (a memoized route allocates nothing
// here from call to call).
func (t *translator) attachParents(route routeMeta, refs []normalizedRef, routeErr *routeError, reuse []*parentAttachment) []*parentAttachment {
	out := reuse[:0]
	if cap(out) < len(refs) {
		out = make([]*parentAttachment, 0, len(refs))
	}
	for _, ref := range refs {
		var spare *parentAttachment
		if len(out) < len(reuse) {
			spare = reuse[len(out)]
		}
		a, ok := t.attachParent(route, ref.ref, spare)
		if !ok {
			continue
		}
		if a.err == nil && routeErr != nil {
			a.err = routeErr
		}
		out = append(out, a)
	}
	return out
}

// parent is what a parentRef names: a Gateway of ours (its own listeners),
// or a ListenerSet of one of our Gateways (the set's listeners).
type parent struct {
	// kind and key name it, for messages (name).
	kind      string
	key       types.NamespacedName
	listeners []*listenerModel
	// err is why the parent takes no route (not accepted), or nil.
	err *routeError
	// listenersNotValid: the parent is not accepted because none of its
	// listeners is valid, which is NotAllowedByListeners for a route (or
	// NoMatchingParent when the parentRef's sectionName or port selects none).
	listenersNotValid bool
}

// name is "<Kind> <namespace>/<name>", for messages.
func (p *parent) name() string { return p.kind + " " + p.key.String() }

// resolveParent finds the parent a normalized parentRef names; false when it
// is not ours.
func (t *translator) resolveParent(ref gwapiv1.ParentReference) (parent, bool) {
	if string(*ref.Group) != gwapiv1.GroupName {
		return parent{}, false
	}
	key := keyOf(string(*ref.Namespace), string(ref.Name))
	switch string(*ref.Kind) {
	case kindGateway:
		g := t.gatewaysByKey[key]
		if g == nil {
			return parent{}, false
		}
		p := parent{kind: kindGateway, key: key, listeners: g.listeners}
		switch {
		case g.frozen():
			p.err = errorf(gwapiv1.RouteReasonPending, "Gateway %s: %s", key, g.frozenMessage())
		case !g.accepted():
			p.err = errorf(gwapiv1.RouteReasonNoMatchingParent, "Gateway %s is not accepted: %s", key, g.acceptErr.msg)
			p.listenersNotValid = g.acceptErr.reason == gwapiv1.GatewayReasonListenersNotValid
		}
		return p, true
	case kindListenerSet:
		s := t.listenerSetsByKey[key]
		if s == nil {
			return parent{}, false
		}
		p := parent{kind: kindListenerSet, key: key, listeners: s.listeners}
		switch {
		case s.gateway.frozen():
			p.err = errorf(gwapiv1.RouteReasonPending, "ListenerSet %s of Gateway %s: %s", key, s.gateway.key, s.gateway.frozenMessage())
		case !s.accepted():
			p.err = errorf(gwapiv1.RouteReasonNoMatchingParent, "ListenerSet %s is not accepted: %s", key, s.acceptErr.msg)
			p.listenersNotValid = s.acceptErr.reason == gwapiv1.ListenerSetReasonListenersNotValid
		}
		return p, true
	}
	return parent{}, false
}

// attachParent resolves one normalized parentRef, into spare when it is not
// nil (see attachParents). It returns false when the parent is not ours, in
// which case the route gets no status entry for it.
func (t *translator) attachParent(route routeMeta, ref gwapiv1.ParentReference, spare *parentAttachment) (*parentAttachment, bool) {
	p, ok := t.resolveParent(ref)
	if !ok {
		return nil, false
	}
	a := spare
	if a == nil {
		a = &parentAttachment{}
	}
	*a = parentAttachment{ref: ref, err: p.err, listeners: a.listeners[:0]}
	if a.err != nil && !p.listenersNotValid {
		return a, true
	}
	t.selected = selectListeners(t.selected[:0], p.listeners, ref)
	selected := t.selected
	switch {
	case len(selected) == 0:
		a.err = errorf(gwapiv1.RouteReasonNoMatchingParent, "%s has no listener matching %s", p.name(), describeSection(ref))
		return a, true
	case a.err != nil:
		a.err = errorf(gwapiv1.RouteReasonNotAllowedByListeners, "No listener of %s matching %s is valid (%s)", p.name(), describeSection(ref), a.err.msg)
		return a, true
	}
	allowed := selected[:0] // t.selected, scratch space: filtered in place
	for _, l := range selected {
		if l.allowsKind(route.kind) && l.allowsNamespace(t, route.meta.Namespace) {
			allowed = append(allowed, l)
		}
	}
	if len(allowed) == 0 {
		a.err = errorf(gwapiv1.RouteReasonNotAllowedByListeners,
			"No listener of %s matching %s allows %s from namespace %q", p.name(), describeSection(ref), route.kind, route.meta.Namespace)
		return a, true
	}
	if cap(a.listeners) < len(allowed) {
		a.listeners = make([]listenerHostnames, 0, len(allowed))
	}
	for _, l := range allowed {
		if hs := intersectHostnames(route.hostnames, l.hostname); len(hs) > 0 {
			a.listeners = append(a.listeners, listenerHostnames{listener: l, hostnames: hs})
		}
	}
	if len(a.listeners) == 0 {
		a.err = errorf(gwapiv1.RouteReasonNoMatchingListenerHostname,
			"No hostname of the route matches a listener of %s matching %s", p.name(), describeSection(ref))
	}
	return a, true
}

// selectListeners appends to out the listeners named by sectionName and
// port, and returns it.
func selectListeners(out, listeners []*listenerModel, ref gwapiv1.ParentReference) []*listenerModel {
	for _, l := range listeners {
		if ref.SectionName != nil && *ref.SectionName != "" && string(*ref.SectionName) != l.name {
			continue
		}
		if ref.Port != nil && *ref.Port != 0 && *ref.Port != l.port {
			continue
		}
		out = append(out, l)
	}
	return out
}

func describeSection(ref gwapiv1.ParentReference) string {
	switch {
	case ref.SectionName != nil && *ref.SectionName != "" && ref.Port != nil && *ref.Port != 0:
		return "sectionName " + string(*ref.SectionName) + " and port " + itoa(int64(*ref.Port))
	case ref.SectionName != nil && *ref.SectionName != "":
		return "sectionName " + string(*ref.SectionName)
	case ref.Port != nil && *ref.Port != 0:
		return "port " + itoa(int64(*ref.Port))
	}
	return "the parentRef"
}

// attachedListeners records the attachment of an accepted route on each of
// its listeners, once per listener, and returns those listeners.
//
// reuse, when not nil, is the slice the last call returned for the route,
// which no one holds any more: it is filled again.
func attachedListeners(parents []*parentAttachment, reuse []listenerHostnames) []listenerHostnames {
	n := 0
	for _, p := range parents {
		if p.err == nil {
			n += len(p.listeners)
		}
	}
	out := reuse[:0]
	if cap(out) < n {
		out = make([]listenerHostnames, 0, n)
	}
	for _, p := range parents {
		if p.err != nil {
			continue
		}
		for _, lh := range p.listeners {
			// A route attaches to few listeners: a scan finds a repeated one.
			if i := slices.IndexFunc(out, func(o listenerHostnames) bool { return o.listener == lh.listener }); i >= 0 {
				for _, h := range lh.hostnames {
					if !containsString(out[i].hostnames, h) {
						// Clipped: the hostnames are shared (the parent's,
						// or the route's own), an append copies them.
						out[i].hostnames = append(slices.Clip(out[i].hostnames), h)
					}
				}
				continue
			}
			lh.listener.attachedRoutes++
			out = append(out, lh)
		}
	}
	return out
}

// isolatedHostnames drops the hostnames that a more specific programmed
// listener on the same port serves: a request goes to the most specific
// listener matching its host, so this listener's routes must not see it.
func isolatedHostnames(l *listenerModel, hostnames []string) []string {
	if len(l.programmedSiblings) == 0 {
		return hostnames
	}
	out := hostnames[:0:0]
	for _, h := range hostnames {
		if !claimedBySibling(l, h) {
			out = append(out, h)
		}
	}
	return out
}

func claimedBySibling(l *listenerModel, h string) bool {
	for _, o := range l.programmedSiblings {
		if o.hostname != l.hostname && hostnameCovers(o.hostname, h) && hostnameCovers(l.hostname, o.hostname) {
			return true
		}
	}
	return false
}
