package gatewayapi

import (
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// listenerSetModel is one ListenerSet whose parentRef names a Gateway of
// ours. Its listeners join the Gateway's after the Gateway's own (and after
// older ListenerSets'): on conflict, the earlier listener keeps the port or
// hostname. Routes attach to it by a parentRef of kind ListenerSet only.
type listenerSetModel struct {
	obj     *gwapiv1.ListenerSet
	key     types.NamespacedName
	gateway *gatewayModel
	// allowed is false when the Gateway's allowedListeners excludes the
	// set's namespace; such a set has no listeners in the model.
	allowed bool
	// listeners are the listeners with a unique name, in spec order.
	listeners []*listenerModel
	// acceptErr is why the set is not accepted (NotAllowed,
	// ParentNotAccepted, ListenersNotValid); set by finalize.
	acceptErr *listenerSetError
}

// accepted reports whether the set is attached to its Gateway (valid after finalize).
func (s *listenerSetModel) accepted() bool { return s.acceptErr == nil }

// processListenerSets builds every ListenerSet whose parent is one of our
// Gateways and gives each Gateway its sets in precedence order.
func (t *translator) processListenerSets(sets []*gwapiv1.ListenerSet) {
	for _, ls := range sets {
		if ls == nil {
			continue
		}
		key := keyOf(ls.Namespace, ls.Name)
		g := t.listenerSetParent(ls)
		if g == nil || t.listenerSetsByKey[key] != nil {
			continue
		}
		s := &listenerSetModel{obj: ls, key: key, gateway: g, allowed: g.allowsListenerSetsFrom(t, ls.Namespace)}
		if s.allowed {
			s.buildListeners(t)
		}
		t.listenerSets = append(t.listenerSets, s)
		t.listenerSetsByKey[key] = s
		g.listenerSets = append(g.listenerSets, s)
	}
	for _, g := range t.gateways {
		sortBy(g.listenerSets, func(a, b *listenerSetModel) bool { return olderFirst(&a.obj.ObjectMeta, &b.obj.ObjectMeta) })
	}
}

// listenerSetParent returns the Gateway of ours a ListenerSet names, or nil.
func (t *translator) listenerSetParent(ls *gwapiv1.ListenerSet) *gatewayModel {
	ref := ls.Spec.ParentRef
	if ref.Group != nil && string(*ref.Group) != gwapiv1.GroupName {
		return nil
	}
	if ref.Kind != nil && string(*ref.Kind) != kindGateway {
		return nil
	}
	ns := ls.Namespace
	if ref.Namespace != nil && *ref.Namespace != "" {
		ns = string(*ref.Namespace)
	}
	return t.gatewaysByKey[keyOf(ns, string(ref.Name))]
}

// allowsListenerSetsFrom applies spec.allowedListeners (default: none).
func (g *gatewayModel) allowsListenerSetsFrom(t *translator, ns string) bool {
	al := g.obj.Spec.AllowedListeners
	if al == nil || al.Namespaces == nil || al.Namespaces.From == nil {
		return false
	}
	p := namespacePolicy{from: *al.Namespaces.From}
	if p.from == gwapiv1.NamespacesFromSelector {
		if al.Namespaces.Selector == nil {
			return false
		}
		sel, err := metav1.LabelSelectorAsSelector(al.Namespaces.Selector)
		if err != nil {
			return false
		}
		p.selector = sel
	}
	return p.allows(t, g.key.Namespace, ns)
}

// buildListeners validates the set's listeners. The conflicts between them
// (as within a Gateway: none of them wins) are resolved once the listeners
// of the Gateway and of earlier sets have taken their ports (claimGroup), or
// when the set is finalized.
func (s *listenerSetModel) buildListeners(t *translator) {
	seen := make(map[gwapiv1.SectionName]bool, len(s.obj.Spec.Listeners))
	for i := range s.obj.Spec.Listeners {
		e := &s.obj.Spec.Listeners[i]
		if seen[e.Name] {
			continue // the CRD forbids repeated names
		}
		seen[e.Name] = true
		spec := &gwapiv1.Listener{
			Name: e.Name, Hostname: e.Hostname, Port: e.Port, Protocol: e.Protocol, TLS: e.TLS, AllowedRoutes: e.AllowedRoutes,
		}
		s.listeners = append(s.listeners, t.buildListener(s.gateway, s, spec))
	}
}

// finalizeListenerSets decides whether each set of an (already finalized)
// Gateway is accepted: allowed, parent accepted, and at least one listener
// that produces configuration.
func (g *gatewayModel) finalizeListenerSets() {
	for _, s := range g.listenerSets {
		resolveGatewayConflicts(s.listeners) // a no-op when claimGroup did it
		switch {
		case !s.allowed:
			s.acceptErr = errorf(gwapiv1.ListenerSetReasonNotAllowed,
				"Gateway %s does not allow ListenerSets from namespace %q (spec.allowedListeners)", g.key, s.key.Namespace)
		case !g.accepted():
			s.acceptErr = errorf(gwapiv1.ListenerSetReasonParentNotAccepted, "Gateway %s is not accepted", g.key)
		case !anyProgrammable(s.listeners):
			s.acceptErr = errorf(gwapiv1.ListenerSetReasonListenersNotValid, "No listener is valid")
		}
	}
}

// partialMessage names the set's listeners that are not valid when the set
// is accepted, or is empty.
func (s *listenerSetModel) partialMessage() string {
	if s.acceptErr != nil {
		return ""
	}
	var names []string
	for _, l := range s.listeners {
		if !l.programmable() {
			names = append(names, l.name)
		}
	}
	if len(names) == 0 {
		return ""
	}
	return "Listeners not valid: " + strings.Join(names, ", ")
}

func anyProgrammable(ls []*listenerModel) bool {
	for _, l := range ls {
		if l.programmable() {
			return true
		}
	}
	return false
}

// allowedListenerSets are the sets whose listeners join the Gateway's
// (allowed by it, not yet finalized), in precedence order.
func (g *gatewayModel) allowedListenerSets() []*listenerSetModel {
	out := make([]*listenerSetModel, 0, len(g.listenerSets))
	for _, s := range g.listenerSets {
		if s.allowed {
			out = append(out, s)
		}
	}
	return out
}

// listenerGroups are the Gateway's listeners and those of each allowed
// ListenerSet, in precedence order; conflicts are resolved between groups.
func (g *gatewayModel) listenerGroups() [][]*listenerModel {
	sets := g.allowedListenerSets()
	groups := make([][]*listenerModel, 0, 1+len(sets))
	groups = append(groups, g.listeners)
	for _, s := range sets {
		groups = append(groups, s.listeners)
	}
	return groups
}

// servedListeners are the Gateway's listeners followed by those of its
// accepted ListenerSets, in precedence order.
func (g *gatewayModel) servedListeners() []*listenerModel {
	out := append([]*listenerModel(nil), g.listeners...)
	for _, s := range g.listenerSets {
		if s.accepted() {
			out = append(out, s.listeners...)
		}
	}
	return out
}

// attachedListenerSets is the Gateway's status.attachedListenerSets: nil
// when no ListenerSet names the Gateway, else the number accepted.
func (g *gatewayModel) attachedListenerSets() *int32 {
	if len(g.listenerSets) == 0 {
		return nil
	}
	var n int32
	for _, s := range g.listenerSets {
		if s.accepted() {
			n++
		}
	}
	return &n
}
