package gatewayapi

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

const (
	// caCertificateKey is the ConfigMap key holding a CA bundle.
	caCertificateKey = "ca.crt"

	kindBackendTLSPolicy = "BackendTLSPolicy"
	kindConfigMap        = "ConfigMap"
)

// backendTLSPolicyModel is one BackendTLSPolicy: what it configures, why it
// is not accepted or its references are not resolved, and the Gateways
// (ancestors) whose clusters it applies to.
type backendTLSPolicyModel struct {
	obj *gwapiv1.BackendTLSPolicy
	// acceptErr makes Accepted False (Conflicted, Invalid, NoValidCACertificate).
	acceptErr *policyError
	// refsErr makes ResolvedRefs False (InvalidKind, InvalidCACertificateRef).
	refsErr *policyError
	// tls is what the policy configures; nil when it has no valid CA.
	tls *ir.UpstreamTLS
	// ancestors are the Gateways using a cluster the policy applies to.
	ancestors map[types.NamespacedName]bool
}

// policyTarget names what a BackendTLSPolicy applies to: a whole Service
// (section empty) or the Service port whose name is section.
type policyTarget struct {
	namespace, service, section string
}

// processBackendTLSPolicies builds every policy and lists, per target, the
// policies naming it in precedence order: the oldest, then the first by
// namespace/name. The first is in effect; the others are Conflicted.
func (t *translator) processBackendTLSPolicies(policies []*gwapiv1.BackendTLSPolicy) {
	t.tlsPolicies = nil
	t.tlsPoliciesByTarget = map[policyTarget][]*backendTLSPolicyModel{}
	for _, p := range policies {
		if p != nil {
			t.tlsPolicies = append(t.tlsPolicies, t.buildBackendTLSPolicy(p))
		}
	}
	sortBy(t.tlsPolicies, func(a, b *backendTLSPolicyModel) bool {
		ta, tb := a.obj.CreationTimestamp, b.obj.CreationTimestamp
		if !ta.Equal(&tb) {
			return ta.Before(&tb)
		}
		return lessKey(a.obj.Namespace, a.obj.Name, b.obj.Namespace, b.obj.Name)
	})
	for _, m := range t.tlsPolicies {
		for _, ref := range m.obj.Spec.TargetRefs {
			if ref.Group != "" || ref.Kind != kindService {
				continue
			}
			target := policyTarget{namespace: m.obj.Namespace, service: string(ref.Name)}
			if ref.SectionName != nil {
				target.section = string(*ref.SectionName)
			}
			if prior := t.tlsPoliciesByTarget[target]; len(prior) > 0 {
				m.acceptErr = errorf(gwapiv1.PolicyReasonConflicted,
					"spec.targetRefs: %s takes precedence for the same target (older, or first by name)",
					keyOf(prior[0].obj.Namespace, prior[0].obj.Name))
			}
			t.tlsPoliciesByTarget[target] = append(t.tlsPoliciesByTarget[target], m)
		}
	}
}

// buildBackendTLSPolicy validates a policy and resolves its CA certificates.
func (t *translator) buildBackendTLSPolicy(p *gwapiv1.BackendTLSPolicy) *backendTLSPolicyModel {
	m := &backendTLSPolicyModel{obj: p, ancestors: map[types.NamespacedName]bool{}}
	v := p.Spec.Validation
	sans, err := subjectAltNames(v)
	if err != nil {
		m.acceptErr = err
		return m
	}
	tls := &ir.UpstreamTLS{SNI: string(v.Hostname), SubjectAltNames: sans}
	switch {
	case len(v.CACertificateRefs) > 0 && v.WellKnownCACertificates != nil && *v.WellKnownCACertificates != "":
		m.acceptErr = errorf(gwapiv1.PolicyReasonInvalid,
			"spec.validation: caCertificateRefs and wellKnownCACertificates are mutually exclusive")
		return m
	case len(v.CACertificateRefs) > 0:
		bundle, refsErr := t.caBundle(p.Namespace, v.CACertificateRefs)
		m.refsErr = refsErr
		if bundle == "" {
			m.acceptErr = errorf(gwapiv1.BackendTLSPolicyReasonNoValidCACertificate,
				"spec.validation.caCertificateRefs: no valid CA certificate: %s", refsErr.msg)
			return m
		}
		tls.CACertificate = bundle
	case v.WellKnownCACertificates != nil && *v.WellKnownCACertificates == gwapiv1.WellKnownCACertificatesSystem:
		tls.SystemCA = true
	default:
		m.acceptErr = errorf(gwapiv1.PolicyReasonInvalid,
			"spec.validation: caCertificateRefs or wellKnownCACertificates %q is required", gwapiv1.WellKnownCACertificatesSystem)
		return m
	}
	m.tls = tls
	return m
}

// subjectAltNames are the names the server certificate must carry: the
// subjectAltNames when set, else the hostname.
func subjectAltNames(v gwapiv1.BackendTLSPolicyValidation) ([]ir.SubjectAltName, *policyError) {
	if v.Hostname == "" {
		return nil, errorf(gwapiv1.PolicyReasonInvalid, "spec.validation.hostname: is required")
	}
	if len(v.SubjectAltNames) == 0 {
		return []ir.SubjectAltName{{Type: ir.SANTypeDNS, Value: string(v.Hostname)}}, nil
	}
	out := make([]ir.SubjectAltName, 0, len(v.SubjectAltNames))
	for i, san := range v.SubjectAltNames {
		switch {
		case san.Type == gwapiv1.HostnameSubjectAltNameType && san.Hostname != "":
			out = append(out, ir.SubjectAltName{Type: ir.SANTypeDNS, Value: string(san.Hostname)})
		case san.Type == gwapiv1.URISubjectAltNameType && san.URI != "":
			out = append(out, ir.SubjectAltName{Type: ir.SANTypeURI, Value: string(san.URI)})
		default:
			return nil, errorf(gwapiv1.PolicyReasonInvalid,
				"spec.validation.subjectAltNames[%d]: type %q needs its value (hostname or uri)", i, san.Type)
		}
	}
	return out, nil
}

// caBundle concatenates the certificates of the valid CA references; the
// error lists the invalid ones (nil when all are valid).
func (t *translator) caBundle(namespace string, refs []gwapiv1.LocalObjectReference) (string, *policyError) {
	var bundle strings.Builder
	var errs errorList[gwapiv1.PolicyConditionReason]
	for i, ref := range refs {
		field := fmt.Sprintf("spec.validation.caCertificateRefs[%d]", i)
		if ref.Group != "" || ref.Kind != kindConfigMap {
			errs.add(errorf(gwapiv1.BackendTLSPolicyReasonInvalidKind,
				"%s: kind %s/%s is not supported (only core ConfigMaps are)", field, ref.Group, ref.Kind))
			continue
		}
		key := keyOf(namespace, string(ref.Name))
		cm := t.idx.configMaps[key]
		if cm == nil {
			errs.add(errorf(gwapiv1.BackendTLSPolicyReasonInvalidCACertificateRef,
				"%s: ConfigMap %s not found", field, key))
			continue
		}
		pemData, err := caCertificates(cm.Data[caCertificateKey])
		if err != nil {
			errs.add(errorf(gwapiv1.BackendTLSPolicyReasonInvalidCACertificateRef,
				"%s: ConfigMap %s key %s: %s", field, key, caCertificateKey, err))
			continue
		}
		bundle.WriteString(pemData)
	}
	return bundle.String(), errs.join()
}

// caCertificates returns the PEM certificates of a CA bundle, re-encoded,
// or why there is none.
func caCertificates(data string) (string, error) {
	rest := []byte(data)
	var out strings.Builder
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			return "", fmt.Errorf("invalid certificate: %w", err)
		}
		out.Write(pem.EncodeToMemory(block))
	}
	if out.Len() == 0 {
		return "", fmt.Errorf("no PEM certificate")
	}
	return out.String(), nil
}

// backendTLSPolicies returns the policies naming a Service port: those
// naming the port, then those naming the whole Service, each in precedence
// order. The first one is in effect.
func (t *translator) backendTLSPolicies(src *ir.EndpointSource) []*backendTLSPolicyModel {
	var out []*backendTLSPolicyModel
	if src.PortName != "" {
		out = append(out, t.tlsPoliciesByTarget[policyTarget{namespace: src.Namespace, service: src.Name, section: src.PortName}]...)
	}
	return append(out, t.tlsPoliciesByTarget[policyTarget{namespace: src.Namespace, service: src.Name}]...)
}

// applyBackendTLS returns the clusters of a fleet with the TLS of the
// policies in effect, recording the fleet's Gateways as the ancestors of
// every policy naming a cluster's Service port, and the fleet's backend
// client certificate (fleetBackendClientCertificate), if any. A cluster whose policy has
// no valid CA loses its endpoints: its requests fail (503), as the
// specification demands. Clusters are copied, never modified (they are
// shared between fleets and translations). Only clusters of Service ports
// (EDS) take policies: ExternalName Services do not.
func (t *translator) applyBackendTLS(f *fleetModel, clusters []*ir.Cluster) []*ir.Cluster {
	if len(t.tlsPoliciesByTarget) == 0 {
		return clusters // no policy: nothing to look up for 20,000 clusters
	}
	out := make([]*ir.Cluster, len(clusters))
	for i, c := range clusters {
		out[i] = c
		if c.EndpointSource == nil {
			continue
		}
		policies := t.backendTLSPolicies(c.EndpointSource)
		if len(policies) == 0 {
			continue
		}
		for _, m := range policies {
			for _, g := range f.gateways {
				m.ancestors[g.key] = true
			}
		}
		cp := *c
		if policies[0].tls == nil {
			cp.EndpointSource = nil
		} else {
			cp.TLS = policies[0].tls
			if cert := fleetBackendClientCertificate(f); cert != nil {
				tls := *policies[0].tls
				tls.ClientCertificate = cert
				cp.TLS = &tls
			}
		}
		out[i] = &cp
	}
	return out
}

// backendTLSPolicyStatuses are the statuses of the policies with ancestors,
// sorted by namespace and name; ancestors are sorted the same way.
func (t *translator) backendTLSPolicyStatuses() []PolicyStatus {
	var out []PolicyStatus
	for _, m := range t.tlsPolicies {
		if len(m.ancestors) == 0 {
			continue
		}
		keys := make([]types.NamespacedName, 0, len(m.ancestors))
		for k := range m.ancestors {
			keys = append(keys, k)
		}
		sortBy(keys, func(a, b types.NamespacedName) bool { return lessKey(a.Namespace, a.Name, b.Namespace, b.Name) })
		st := gwapiv1.PolicyStatus{}
		for _, k := range keys {
			st.Ancestors = append(st.Ancestors, gwapiv1.PolicyAncestorStatus{
				AncestorRef:    gatewayParentRef(k),
				ControllerName: gwapiv1.GatewayController(t.controllerName),
				Conditions: []metav1.Condition{
					policyAcceptedCondition(m.acceptErr, m.obj.Generation),
					backendTLSPolicyResolvedRefsCondition(m.refsErr, m.obj.Generation),
				},
			})
		}
		out = append(out, PolicyStatus{ObjectKey: ObjectKey{Namespace: m.obj.Namespace, Name: m.obj.Name}, Status: st})
	}
	sortBy(out, func(a, b PolicyStatus) bool { return lessKey(a.Namespace, a.Name, b.Namespace, b.Name) })
	return out
}

// gatewayParentRef is the reference to a Gateway in a policy's ancestors.
func gatewayParentRef(k types.NamespacedName) gwapiv1.ParentReference {
	group := gwapiv1.Group(gwapiv1.GroupName)
	kind := gwapiv1.Kind("Gateway")
	ns := gwapiv1.Namespace(k.Namespace)
	return gwapiv1.ParentReference{Group: &group, Kind: &kind, Namespace: &ns, Name: gwapiv1.ObjectName(k.Name)}
}
