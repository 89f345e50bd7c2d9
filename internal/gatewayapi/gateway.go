package gatewayapi

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

// gatewayModel is one Gateway of one of our GatewayClasses.
type gatewayModel struct {
	obj   *gwapiv1.Gateway
	key   types.NamespacedName
	class *gatewayClassModel
	// listeners are the listeners with a unique name, in spec order.
	listeners []*listenerModel
	// ignored are the names of listeners dropped because their name repeats.
	ignored []string
	// specErr rejects the whole Gateway before looking at its listeners.
	specErr *gatewayError
	// acceptErr is the final reason the Gateway is not accepted.
	acceptErr *gatewayError
	// notValid lists listeners that are not programmed, for the Accepted message.
	notValid []string
	fleet    *fleetModel
	// listenerSets are the ListenerSets naming this Gateway as parent,
	// allowed or not, in precedence order (oldest first, then namespace/name).
	listenerSets []*listenerSetModel
	// backendCert is the valid spec.tls.backend.clientCertificateRef, or nil.
	backendCert *ir.Certificate
	// backendCertErr is why spec.tls.backend.clientCertificateRef is not used.
	backendCertErr *gatewayError
}

// accepted reports whether the Gateway is served (valid after finalize).
func (g *gatewayModel) accepted() bool { return g.acceptErr == nil }

// frozen reports whether the Gateway's class is not accepted: whatever runs
// for it keeps serving the configuration last accepted (see
// Result.FrozenGatewayClasses), which its statuses say.
func (g *gatewayModel) frozen() bool { return !g.class.accepted() }

// frozenMessage says what a frozen Gateway's proxies serve and why.
func (g *gatewayModel) frozenMessage() string {
	return fmt.Sprintf("Frozen while GatewayClass %q is not accepted (%s): its proxies keep serving the listeners and "+
		"routes they had when it was last accepted, with up-to-date endpoints; changes wait until it is accepted again",
		g.class.obj.Name, g.class.err.msg)
}

// processGateways builds every Gateway of our classes, ordered by precedence.
func (t *translator) processGateways(gateways []*gwapiv1.Gateway) {
	for _, gw := range gateways {
		if gw == nil {
			continue
		}
		class := t.classes[string(gw.Spec.GatewayClassName)]
		key := keyOf(gw.Namespace, gw.Name)
		if class == nil || t.gatewaysByKey[key] != nil {
			continue
		}
		g := t.buildGateway(gw, class)
		t.gateways = append(t.gateways, g)
		t.gatewaysByKey[key] = g
	}
	sortBy(t.gateways, func(a, b *gatewayModel) bool { return olderFirst(&a.obj.ObjectMeta, &b.obj.ObjectMeta) })
}

// olderFirst is the Gateway API tie-breaker: oldest creation time first,
// then namespace/name alphabetically.
func olderFirst(a, b *metav1.ObjectMeta) bool {
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		return a.CreationTimestamp.Before(&b.CreationTimestamp)
	}
	if a.Namespace != b.Namespace {
		return a.Namespace < b.Namespace
	}
	return a.Name < b.Name
}

// buildGateway validates the Gateway and its listeners and resolves the
// conflicts between its own listeners.
func (t *translator) buildGateway(gw *gwapiv1.Gateway, class *gatewayClassModel) *gatewayModel {
	g := &gatewayModel{obj: gw, key: keyOf(gw.Namespace, gw.Name), class: class}
	g.specErr = validateGatewaySpec(gw, class)
	seen := make(map[gwapiv1.SectionName]bool, len(gw.Spec.Listeners))
	for i := range gw.Spec.Listeners {
		spec := &gw.Spec.Listeners[i]
		if seen[spec.Name] {
			g.ignored = append(g.ignored, string(spec.Name))
			continue
		}
		seen[spec.Name] = true
		g.listeners = append(g.listeners, t.buildListener(g, nil, spec))
	}
	resolveGatewayConflicts(g.listeners)
	t.resolveBackendClientCertificate(g)
	return g
}

// validateGatewaySpec returns why the Gateway as a whole cannot be accepted.
func validateGatewaySpec(gw *gwapiv1.Gateway, class *gatewayClassModel) *gatewayError {
	switch {
	case !class.accepted():
		return errorf(gwapiv1.GatewayReasonInvalidParameters, "GatewayClass %q is not accepted: %s. Its proxies keep serving "+
			"the configuration last accepted (frozen) until it is accepted again", class.obj.Name, class.err.msg)
	case gw.Spec.Infrastructure != nil && gw.Spec.Infrastructure.ParametersRef != nil:
		ref := gw.Spec.Infrastructure.ParametersRef
		return errorf(gwapiv1.GatewayReasonInvalidParameters,
			"infrastructure.parametersRef %s/%s %q is not supported; set parameters on the GatewayClass", ref.Group, ref.Kind, ref.Name)
	}
	if err := validateInfrastructure(gw.Spec.Infrastructure); err != nil {
		return err
	}
	return validateSpecAddresses(gw.Spec.Addresses)
}

// validateSpecAddresses accepts requests for IP addresses only: without a
// value (the fleet's Service is assigned one: GatewayAddressEmpty) or with
// an IP address (a static address, requested from the load balancer:
// GatewayStaticAddresses).
func validateSpecAddresses(addrs []gwapiv1.GatewaySpecAddress) *gatewayError {
	for i, a := range addrs {
		if a.Type != nil && *a.Type != gwapiv1.IPAddressType {
			return errorf(gwapiv1.GatewayReasonUnsupportedAddress,
				"spec.addresses[%d]: address type %q is not supported; only %s is", i, *a.Type, gwapiv1.IPAddressType)
		}
		if _, err := netip.ParseAddr(a.Value); a.Value != "" && err != nil {
			return errorf(gwapiv1.GatewayReasonUnsupportedAddress, "spec.addresses[%d]: %q is not an IP address", i, a.Value)
		}
	}
	return nil
}

// staticAddresses are the IP addresses spec.addresses requests, normalized,
// sorted and without repeats. The Gateway must be valid (validateSpecAddresses).
func staticAddresses(gw *gwapiv1.Gateway) []string {
	var out []string
	for _, a := range gw.Spec.Addresses {
		if ip, err := netip.ParseAddr(a.Value); err == nil && !containsString(out, ip.String()) {
			out = append(out, ip.String())
		}
	}
	slices.Sort(out)
	return out
}

// finalize decides the Gateway's Accepted condition once listener conflicts
// are known: accepted when at least one listener is accepted.
func (g *gatewayModel) finalize() {
	if g.specErr != nil {
		g.acceptErr = g.specErr
		return
	}
	accepted := 0
	for _, l := range g.listeners {
		if l.acceptErr == nil {
			accepted++
		}
		if !l.programmable() {
			g.notValid = append(g.notValid, l.name)
		}
	}
	if accepted == 0 {
		msg := "No listener is accepted"
		if len(g.listeners) == 0 {
			msg = "Gateway has no listeners"
		}
		g.acceptErr = errorf(gwapiv1.GatewayReasonListenersNotValid, "%s", msg)
	}
}

// partialMessage explains which listeners are not valid, or is empty.
func (g *gatewayModel) partialMessage() string {
	var parts []string
	if len(g.notValid) > 0 {
		parts = append(parts, fmt.Sprintf("Listeners not valid: %s", strings.Join(g.notValid, ", ")))
	}
	if len(g.ignored) > 0 {
		parts = append(parts, fmt.Sprintf("Listeners ignored because their name repeats: %s", strings.Join(g.ignored, ", ")))
	}
	return strings.Join(parts, "; ")
}
