package gatewayapi

import (
	"fmt"
	"strings"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

// frontendValidation is the client certificate validation that a Gateway's
// spec.tls.frontend sets for one port, and the field path it comes from.
type frontendValidation struct {
	spec  *gwapiv1.FrontendTLSValidation
	field string
}

// frontendValidationFor returns the validation spec.tls.frontend sets for
// port: the perPort entry of that port, else the default; nil when there is
// none.
func frontendValidationFor(gw *gwapiv1.Gateway, port int32) *frontendValidation {
	if gw.Spec.TLS == nil || gw.Spec.TLS.Frontend == nil {
		return nil
	}
	fe := gw.Spec.TLS.Frontend
	for i := range fe.PerPort {
		if fe.PerPort[i].Port == port {
			if fe.PerPort[i].TLS.Validation == nil {
				return nil
			}
			return &frontendValidation{spec: fe.PerPort[i].TLS.Validation,
				field: fmt.Sprintf("spec.tls.frontend.perPort[%d].tls.validation", i)}
		}
	}
	if fe.Default.Validation == nil {
		return nil
	}
	return &frontendValidation{spec: fe.Default.Validation, field: "spec.tls.frontend.default.validation"}
}

// insecureFrontendValidation reports whether the default or any per-port
// client certificate validation of the Gateway allows insecure fallback.
func insecureFrontendValidation(gw *gwapiv1.Gateway) bool {
	if gw.Spec.TLS == nil || gw.Spec.TLS.Frontend == nil {
		return false
	}
	fe := gw.Spec.TLS.Frontend
	if v := fe.Default.Validation; v != nil && v.Mode == gwapiv1.AllowInsecureFallback {
		return true
	}
	for _, p := range fe.PerPort {
		if v := p.TLS.Validation; v != nil && v.Mode == gwapiv1.AllowInsecureFallback {
			return true
		}
	}
	return false
}

// resolveClientValidation resolves the client certificate validation of an
// HTTPS listener from its Gateway's spec.tls.frontend. It returns the IR
// (nil when the listener validates no client certificate), the problems
// with the CA references (ResolvedRefs), and why the listener is not
// accepted: no valid CA certificate at all, or an unsupported mode.
func (t *translator) resolveClientValidation(l *listenerModel) (*ir.ClientValidation, listenerErrors, *listenerError) {
	fv := frontendValidationFor(l.gateway.obj, l.port)
	if fv == nil {
		return nil, nil, nil
	}
	out := &ir.ClientValidation{}
	switch fv.spec.Mode {
	case "", gwapiv1.AllowValidOnly:
	case gwapiv1.AllowInsecureFallback:
		out.AllowInsecureFallback = true
	default:
		return nil, nil, errorf(gwapiv1.ListenerReasonUnsupportedValue,
			"%s.mode: %q is not supported (AllowValidOnly or AllowInsecureFallback)", fv.field, fv.spec.Mode)
	}
	var bundle strings.Builder
	var errs listenerErrors
	for i := range fv.spec.CACertificateRefs {
		pemData, err := t.frontendCA(l.gateway, &fv.spec.CACertificateRefs[i], fmt.Sprintf("%s.caCertificateRefs[%d]", fv.field, i))
		errs.add(err)
		bundle.WriteString(pemData)
	}
	if bundle.Len() == 0 {
		return nil, errs, errorf(gwapiv1.ListenerReasonNoValidCACertificate,
			"%s: no valid CA certificate to validate client certificates with", fv.field)
	}
	out.CACertificate = bundle.String()
	return out, errs, nil
}

// frontendCA returns the PEM CA certificates of one caCertificateRef of a
// Gateway: the key ca.crt of a core ConfigMap or Secret. It checks kind,
// permission, existence and content, in that order, so that RefNotPermitted
// never reveals whether the object exists.
func (t *translator) frontendCA(g *gatewayModel, ref *gwapiv1.ObjectReference, field string) (string, *listenerError) {
	kind := string(ref.Kind)
	if ref.Group != "" || (kind != kindConfigMap && kind != kindSecret) {
		return "", errorf(gwapiv1.ListenerReasonInvalidCACertificateKind,
			"%s: kind %s/%s is not supported (core ConfigMaps and Secrets are)", field, ref.Group, ref.Kind)
	}
	ns := g.key.Namespace
	if ref.Namespace != nil && *ref.Namespace != "" {
		ns = string(*ref.Namespace)
	}
	key := keyOf(ns, string(ref.Name))
	from := objectRef{group: gwapiv1.GroupName, kind: kindGateway, namespace: g.key.Namespace}
	if !t.idx.refAllowed(from, objectRef{group: "", kind: kind, namespace: ns, name: string(ref.Name)}) {
		return "", errorf(gwapiv1.ListenerReasonRefNotPermitted,
			"%s: reference to %s %s is not permitted by any ReferenceGrant", field, kind, key)
	}
	var data string
	var found bool
	if kind == kindConfigMap {
		if cm := t.idx.configMaps[key]; cm != nil {
			data, found = cm.Data[caCertificateKey], true
		}
	} else if s := t.idx.secrets[key]; s != nil {
		data, found = string(s.Data[caCertificateKey]), true
	}
	if !found {
		return "", errorf(gwapiv1.ListenerReasonInvalidCACertificateRef, "%s: %s %s not found", field, kind, key)
	}
	pemData, err := caCertificates(data)
	if err != nil {
		return "", errorf(gwapiv1.ListenerReasonInvalidCACertificateRef,
			"%s: %s %s key %s: %s", field, kind, key, caCertificateKey, err)
	}
	return pemData, nil
}
