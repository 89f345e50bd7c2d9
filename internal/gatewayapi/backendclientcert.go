package gatewayapi

import (
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

// backendClientCertificateRef is the Gateway's spec.tls.backend.clientCertificateRef,
// or nil.
func backendClientCertificateRef(gw *gwapiv1.Gateway) *gwapiv1.SecretObjectReference {
	if gw.Spec.TLS == nil || gw.Spec.TLS.Backend == nil {
		return nil
	}
	return gw.Spec.TLS.Backend.ClientCertificateRef
}

// resolveBackendClientCertificate resolves the certificate the Gateway's
// proxies present to TLS backends: a core kubernetes.io/tls Secret, in
// another namespace only with a ReferenceGrant. A ReferenceGrant refusal is
// RefNotPermitted; any other problem is InvalidClientCertificateRef.
func (t *translator) resolveBackendClientCertificate(g *gatewayModel) {
	ref := backendClientCertificateRef(g.obj)
	if ref == nil {
		return
	}
	from := objectRef{group: gwapiv1.GroupName, kind: kindGateway, namespace: g.key.Namespace}
	cert, err := t.resolveCertificate(from, ref)
	if err == nil {
		g.backendCert = cert
		return
	}
	reason := gwapiv1.GatewayReasonInvalidClientCertificateRef
	if err.reason == gwapiv1.ListenerReasonRefNotPermitted {
		reason = gwapiv1.GatewayReasonRefNotPermitted
	}
	g.backendCertErr = errorf(reason, "spec.tls.backend.clientCertificateRef: %s", err.msg)
}

// gatewayResolvedRefsError is why the Gateway's ResolvedRefs condition is
// False: its backend client certificate, then its listeners' references.
func (g *gatewayModel) gatewayResolvedRefsError() *gatewayError {
	if g.backendCertErr != nil {
		return g.backendCertErr
	}
	for _, l := range g.listeners {
		if err := l.refErrs.join(); err != nil {
			return errorf(gwapiv1.GatewayReasonListenersNotResolved, "Listener %s: %s", l.name, err.msg)
		}
	}
	return nil
}

// fleetBackendClientCertificate is the certificate a fleet's proxies present
// to TLS backends: that of its first accepted Gateway (in precedence order,
// the oldest first) naming a valid one. The proxies of a merged fleet share
// their clusters, so they present one certificate; the other Gateways'
// certificates are not used (docs/backend-tls.md).
func fleetBackendClientCertificate(f *fleetModel) *ir.Certificate {
	for _, g := range f.gateways {
		if g.backendCert != nil {
			return g.backendCert
		}
	}
	return nil
}
