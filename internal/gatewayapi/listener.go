package gatewayapi

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

// Route kinds this translator serves.
const (
	kindHTTPRoute = "HTTPRoute"
	kindGRPCRoute = "GRPCRoute"
	kindTLSRoute  = "TLSRoute"
	kindTCPRoute  = "TCPRoute"
	kindUDPRoute  = "UDPRoute"
	kindGateway   = "Gateway"
	// kindListenerSet is a parent kind: a ListenerSet attaches listeners to a Gateway.
	kindListenerSet = "ListenerSet"
	kindService     = "Service"
	kindSecret      = "Secret"
)

// listenerModel is one listener of a Gateway, with everything route
// attachment and IR building need and the problems its status reports.
type listenerModel struct {
	gateway *gatewayModel
	// set is the ListenerSet that defines the listener; nil for the Gateway's own.
	set  *listenerSetModel
	spec *gwapiv1.Listener
	name string
	port int32
	// hostname is "" when the listener matches every hostname.
	hostname string

	// acceptErr is why Accepted is False (also set for conflicts).
	acceptErr *listenerError
	// conflictErr is why Conflicted is True.
	conflictErr *listenerError
	// refErrs are why ResolvedRefs is False.
	refErrs listenerErrors
	// overlapErr is why OverlappingTLSConfig is True (tlsoverlap.go).
	overlapErr *listenerError

	// supportedKinds is reported in status; never nil.
	supportedKinds []gwapiv1.RouteGroupKind
	allowHTTPRoute bool
	allowGRPCRoute bool
	allowTLSRoute  bool
	allowTCPRoute  bool

	namespaces namespacePolicy

	// certificates are the valid certificates of a listener terminating
	// TLS (HTTPS, or TLS with mode Terminate).
	certificates []*ir.Certificate
	// clientValidation is the client certificate validation of an HTTPS
	// listener (the Gateway's spec.tls.frontend); nil when there is none.
	clientValidation *ir.ClientValidation

	// attachedRoutes counts accepted routes attached to this listener.
	attachedRoutes int32
	// programmedSiblings are the other programmed listeners of the fleet on
	// the same port, used to keep listeners isolated.
	programmedSiblings []*listenerModel

	// irNameMade is irName once made.
	irNameMade string

	// httpEntries are the IR routes each HTTPRoute or GRPCRoute emitted
	// here, one entry per route (routes.go orders them).
	httpEntries []*emittedRoutes
	tlsRoutes   []orderedTLSRoute
	// l4Routes are the TCPRoutes or UDPRoutes attached to a TCP or UDP listener.
	l4Routes []orderedL4Route
}

// namespacePolicy is a resolved allowedRoutes.namespaces.
type namespacePolicy struct {
	from     gwapiv1.FromNamespaces
	selector labels.Selector
}

// programmable reports whether the listener produces data-plane configuration.
func (l *listenerModel) programmable() bool {
	if l.acceptErr != nil || l.conflictErr != nil || len(l.supportedKinds) == 0 {
		return false
	}
	return !terminatesTLS(l.spec) || len(l.certificates) > 0
}

// terminatesTLS reports whether a listener terminates TLS: protocol HTTPS,
// or TLS with mode Terminate (the default mode).
func terminatesTLS(spec *gwapiv1.Listener) bool {
	switch spec.Protocol {
	case gwapiv1.HTTPSProtocolType:
		return true
	case gwapiv1.TLSProtocolType:
		return spec.TLS == nil || spec.TLS.Mode == nil || *spec.TLS.Mode == gwapiv1.TLSModeTerminate
	}
	return false
}

// programmedError is why the listener is not programmed, or nil. A
// conflicted listener keeps the conflict's reason.
func (l *listenerModel) programmedError() *listenerError {
	const invalid = gwapiv1.ListenerReasonInvalid
	switch {
	case !l.gateway.accepted():
		return errorf(invalid, "Gateway is not accepted")
	case l.conflictErr != nil:
		return errorf(l.conflictErr.reason, "Listener is conflicted")
	case l.acceptErr != nil:
		return errorf(invalid, "Listener is not accepted")
	case len(l.supportedKinds) == 0:
		return errorf(invalid, "Listener allows no supported route kind")
	case !l.programmable():
		return errorf(invalid, "Listener has no valid certificate")
	}
	return nil
}

// irName is the name of the listener in the xDS IR:
// "<gateway-namespace>/<gateway-name>/<listener>", or for a ListenerSet's
// listener "<gateway-namespace>/<gateway-name>/<set-namespace>/<set-name>/<listener>"
// (listener names hold no "/", so the two never collide).
// It is made once per listener model (every route emitted there asks).
func (l *listenerModel) irName() string {
	if l.irNameMade != "" {
		return l.irNameMade
	}
	prefix := l.gateway.key.Namespace + "/" + l.gateway.key.Name + "/"
	if l.set != nil {
		prefix += l.set.key.Namespace + "/" + l.set.key.Name + "/"
	}
	l.irNameMade = prefix + l.name
	return l.irNameMade
}

// namespace is the namespace of the object defining the listener: the
// Gateway's, or the ListenerSet's.
func (l *listenerModel) namespace() string {
	if l.set != nil {
		return l.set.key.Namespace
	}
	return l.gateway.key.Namespace
}

// owner names the object defining the listener, for messages.
func (l *listenerModel) owner() string {
	if l.set != nil {
		return kindListenerSet + " " + l.set.key.String()
	}
	return kindGateway + " " + l.gateway.key.String()
}

// buildListener validates one listener spec of Gateway g, or of its
// ListenerSet set when set is not nil.
func (t *translator) buildListener(g *gatewayModel, set *listenerSetModel, spec *gwapiv1.Listener) *listenerModel {
	l := &listenerModel{gateway: g, set: set, spec: spec, name: string(spec.Name), port: spec.Port, supportedKinds: []gwapiv1.RouteGroupKind{}}
	if spec.Hostname != nil {
		l.hostname = string(*spec.Hostname)
	}
	l.acceptErr = validateListener(spec)
	if l.acceptErr == nil {
		l.acceptErr = l.resolveNamespaces(spec.AllowedRoutes)
	}
	if l.acceptErr != nil {
		return l
	}
	l.resolveKinds(spec)
	if terminatesTLS(spec) {
		l.certificates, l.refErrs = t.resolveCertificates(l.certificateReferrer(), spec.TLS)
	}
	if spec.Protocol == gwapiv1.HTTPSProtocolType {
		var errs listenerErrors
		l.clientValidation, errs, l.acceptErr = t.resolveClientValidation(l)
		l.refErrs = append(l.refErrs, errs...)
	}
	return l
}

// validateListener checks protocol, TLS mode, port and hostname; the error
// makes the listener not accepted.
func validateListener(spec *gwapiv1.Listener) *listenerError {
	const unsupported = gwapiv1.ListenerReasonUnsupportedValue
	if spec.Port < 1 || spec.Port > 65535 {
		return errorf(gwapiv1.ListenerReasonPortUnavailable, "port %d is out of range 1-65535", spec.Port)
	}
	if spec.Hostname != nil && *spec.Hostname != "" {
		if err := validateHostname(string(*spec.Hostname)); err != nil {
			return errorf(unsupported, "%s", err)
		}
	}
	mode := gwapiv1.TLSModeTerminate
	if spec.TLS != nil && spec.TLS.Mode != nil {
		mode = *spec.TLS.Mode
	}
	switch spec.Protocol {
	case gwapiv1.HTTPProtocolType:
		if spec.TLS != nil {
			return errorf(unsupported, "tls must not be set for protocol HTTP")
		}
	case gwapiv1.HTTPSProtocolType:
		if mode != gwapiv1.TLSModeTerminate {
			return errorf(unsupported, "tls.mode %q is not supported for protocol HTTPS (only Terminate)", mode)
		}
	case gwapiv1.TLSProtocolType:
		if mode != gwapiv1.TLSModePassthrough && mode != gwapiv1.TLSModeTerminate {
			return errorf(unsupported, "tls.mode %q is not supported for protocol TLS (only Passthrough and Terminate)", mode)
		}
	case gwapiv1.TCPProtocolType:
		if spec.TLS != nil {
			return errorf(unsupported, "tls must not be set for protocol %s", spec.Protocol)
		}
	default:
		return errorf(gwapiv1.ListenerReasonUnsupportedProtocol, "protocol %q is not supported (HTTP, HTTPS, TLS and TCP are)", spec.Protocol)
	}
	return nil
}

// resolveNamespaces resolves allowedRoutes.namespaces (default: Same).
func (l *listenerModel) resolveNamespaces(ar *gwapiv1.AllowedRoutes) *listenerError {
	l.namespaces.from = gwapiv1.NamespacesFromSame
	if ar == nil || ar.Namespaces == nil || ar.Namespaces.From == nil {
		return nil
	}
	l.namespaces.from = *ar.Namespaces.From
	switch l.namespaces.from {
	case gwapiv1.NamespacesFromSame, gwapiv1.NamespacesFromAll, gwapiv1.NamespacesFromNone:
		return nil
	case gwapiv1.NamespacesFromSelector:
	default:
		return errorf(gwapiv1.ListenerReasonUnsupportedValue, "allowedRoutes.namespaces.from %q is not supported", l.namespaces.from)
	}
	if ar.Namespaces.Selector == nil {
		return errorf(gwapiv1.ListenerReasonUnsupportedValue, "allowedRoutes.namespaces.selector is required when from is Selector")
	}
	sel, err := metav1.LabelSelectorAsSelector(ar.Namespaces.Selector)
	if err != nil {
		return errorf(gwapiv1.ListenerReasonUnsupportedValue, "allowedRoutes.namespaces.selector is invalid: %s", err)
	}
	l.namespaces.selector = sel
	return nil
}

// protocolKinds are the route kinds each supported protocol can serve.
func protocolKinds(p gwapiv1.ProtocolType) []string {
	switch p {
	case gwapiv1.HTTPProtocolType, gwapiv1.HTTPSProtocolType:
		return []string{kindHTTPRoute, kindGRPCRoute}
	case gwapiv1.TLSProtocolType:
		return []string{kindTLSRoute}
	case gwapiv1.TCPProtocolType:
		return []string{kindTCPRoute}
	}
	return nil
}

// resolveKinds computes supportedKinds from allowedRoutes.kinds (default: every
// kind the protocol serves) and records InvalidRouteKinds.
func (l *listenerModel) resolveKinds(spec *gwapiv1.Listener) {
	serves := protocolKinds(spec.Protocol)
	var requested []gwapiv1.RouteGroupKind
	if spec.AllowedRoutes != nil {
		requested = spec.AllowedRoutes.Kinds
	}
	if len(requested) == 0 {
		for _, k := range serves {
			l.allowKind(k)
		}
		return
	}
	for _, rgk := range requested {
		group := gwapiv1.GroupName
		if rgk.Group != nil {
			group = string(*rgk.Group)
		}
		if group == gwapiv1.GroupName && containsString(serves, string(rgk.Kind)) {
			l.allowKind(string(rgk.Kind))
			continue
		}
		l.refErrs.add(errorf(gwapiv1.ListenerReasonInvalidRouteKinds,
			"route kind %s/%s is not supported by a listener of protocol %s", group, rgk.Kind, spec.Protocol))
	}
}

func (l *listenerModel) allowKind(kind string) {
	switch {
	case kind == kindHTTPRoute && !l.allowHTTPRoute:
		l.allowHTTPRoute = true
	case kind == kindGRPCRoute && !l.allowGRPCRoute:
		l.allowGRPCRoute = true
	case kind == kindTLSRoute && !l.allowTLSRoute:
		l.allowTLSRoute = true
	case kind == kindTCPRoute && !l.allowTCPRoute:
		l.allowTCPRoute = true
	default:
		return
	}
	group := gwapiv1.Group(gwapiv1.GroupName)
	l.supportedKinds = append(l.supportedKinds, gwapiv1.RouteGroupKind{Group: &group, Kind: gwapiv1.Kind(kind)})
}

// allowsKind reports whether routes of kind may attach.
func (l *listenerModel) allowsKind(kind string) bool {
	switch kind {
	case kindHTTPRoute:
		return l.allowHTTPRoute
	case kindGRPCRoute:
		return l.allowGRPCRoute
	case kindTLSRoute:
		return l.allowTLSRoute
	case kindTCPRoute:
		return l.allowTCPRoute
	}
	return false
}

// certificateReferrer is who refers to the listener's certificates, for
// ReferenceGrants: the Gateway, or the ListenerSet (a Gateway's grants do
// not extend to its ListenerSets).
func (l *listenerModel) certificateReferrer() objectRef {
	if l.set != nil {
		return objectRef{group: gwapiv1.GroupName, kind: kindListenerSet, namespace: l.set.key.Namespace}
	}
	return objectRef{group: gwapiv1.GroupName, kind: kindGateway, namespace: l.gateway.key.Namespace}
}

// allowsNamespace reports whether routes from namespace ns may attach.
func (l *listenerModel) allowsNamespace(t *translator, ns string) bool {
	return l.namespaces.allows(t, l.namespace(), ns)
}

// allows reports whether the policy admits namespace ns for an object in
// namespace own.
func (p namespacePolicy) allows(t *translator, own, ns string) bool {
	switch p.from {
	case gwapiv1.NamespacesFromAll:
		return true
	case gwapiv1.NamespacesFromSelector:
		return p.selector.Matches(t.idx.namespaceLabels(ns))
	case gwapiv1.NamespacesFromSame:
		return ns == own
	}
	return false
}
