package render

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

// Label keys and values that tie every rendered object to Envoy Gateway and to its fleet.
const (
	// LabelName is the well-known name label; its value is always NameEnvoy.
	LabelName = "app.kubernetes.io/name"
	// LabelComponent is the well-known component label; its value is always ComponentProxy.
	LabelComponent = "app.kubernetes.io/component"
	// LabelManagedBy is the well-known managed-by label; its value is always ManagedBy.
	LabelManagedBy = "app.kubernetes.io/managed-by"
	// LabelFleet holds the fleet's ResourceName, a valid label value for any fleet name.
	LabelFleet = "gateway.envoyproxy.io/fleet"
	// LabelOwningGatewayClass holds the GatewayClass of the fleet.
	LabelOwningGatewayClass = "gateway.envoyproxy.io/owning-gatewayclass"
	// LabelOwningGatewayNamespace holds the Gateway's namespace, for a fleet of one Gateway.
	LabelOwningGatewayNamespace = "gateway.envoyproxy.io/owning-gateway-namespace"
	// LabelOwningGatewayName holds the Gateway's name, for a fleet of one Gateway.
	LabelOwningGatewayName = "gateway.envoyproxy.io/owning-gateway-name"

	// NameEnvoy is the value of LabelName.
	NameEnvoy = "envoy"
	// ComponentProxy is the value of LabelComponent.
	ComponentProxy = "proxy"
	// ManagedBy is the value of LabelManagedBy.
	ManagedBy = "envoy-gateway"
)

// Annotation keys set on rendered objects.
const (
	// AnnotationFleetName holds the fleet name (ir.ProxyInfra.Name) verbatim,
	// on every object: labels cannot hold '/' or long names.
	AnnotationFleetName = "gateway.envoyproxy.io/fleet-name"
	// AnnotationBootstrapHash is set on the Pod template to a hash of the
	// bootstrap, so that a bootstrap change rolls the fleet.
	AnnotationBootstrapHash = "gateway.envoyproxy.io/bootstrap-hash"
)

const (
	namePrefix = "envoy-"
	hashLen    = 8
	// maxNameLen is the limit of a DNS-1035 label (Service names).
	maxNameLen = validation.DNS1035LabelMaxLength
)

// ResourceName returns the name of every object of the fleet: "envoy-",
// the fleet name reduced to lower-case alphanumerics and '-', and a short
// hash of the exact fleet name. It is a valid DNS-1035 label (so valid for
// Services, Deployments, ConfigMaps and ServiceAccounts) of at most 63
// characters, stable, and distinct for distinct fleet names (up to hash
// collisions) even when they sanitize to the same text.
func ResourceName(fleet string) string {
	budget := maxNameLen - len(namePrefix) - 1 - hashLen
	s := truncate(sanitize(fleet, false), budget)
	if s == "" {
		return namePrefix + shortHash(fleet)
	}
	return namePrefix + s + "-" + shortHash(fleet)
}

// ManagedLabels returns the labels every object rendered by this package
// carries, whatever its fleet: select with them to find all fleets' objects.
func ManagedLabels() map[string]string {
	return map[string]string{
		LabelName:      NameEnvoy,
		LabelManagedBy: ManagedBy,
	}
}

// SelectorLabels returns the labels that select the Pods of a fleet (the
// Deployment selector and the Service selector). They never change for a
// fleet, as a Deployment selector is immutable.
func SelectorLabels(fleet string) map[string]string {
	return map[string]string{
		LabelName:  NameEnvoy,
		LabelFleet: ResourceName(fleet),
	}
}

// FleetLabels returns the labels of every object of the fleet: the managed
// labels, the fleet label, the component and the owners (GatewayClass, and
// the Gateway for a fleet of one Gateway).
func FleetLabels(p *ir.ProxyInfra) map[string]string {
	l := ManagedLabels()
	l[LabelComponent] = ComponentProxy
	l[LabelFleet] = ResourceName(p.Name)
	if p.GatewayClass != "" {
		l[LabelOwningGatewayClass] = LabelValue(p.GatewayClass)
	}
	if ns, name, ok := owningGateway(p); ok {
		l[LabelOwningGatewayNamespace] = LabelValue(ns)
		l[LabelOwningGatewayName] = LabelValue(name)
		l[GatewayNameLabel] = LabelValue(name)
	}
	return l
}

// owningGateway returns the Gateway of a fleet of one Gateway, whose fleet
// name is the Gateway's "<namespace>/<name>".
func owningGateway(p *ir.ProxyInfra) (namespace, name string, ok bool) {
	if len(p.Gateways) != 1 || p.Gateways[0] != p.Name {
		return "", "", false
	}
	return strings.Cut(p.Name, "/")
}

// LabelValue returns s when it is a valid label value, otherwise s reduced
// to label-value characters and at most 63 characters, ending with a short
// hash of s so that distinct inputs stay distinct.
func LabelValue(s string) string {
	if len(validation.IsValidLabelValue(s)) == 0 {
		return s
	}
	budget := validation.LabelValueMaxLength - 1 - hashLen
	v := truncate(sanitize(s, true), budget)
	if v == "" {
		return shortHash(s)
	}
	return v + "-" + shortHash(s)
}

// sanitize lower-cases s and replaces every run of characters other than
// [a-z0-9] (and '.' and '_' when labelChars) by a single '-', trimming
// leading and trailing separators.
func sanitize(s string, labelChars bool) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		keep := (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') ||
			(labelChars && (r == '.' || r == '_'))
		if keep {
			b.WriteRune(r)
			dash = false
			continue
		}
		if !dash {
			b.WriteByte('-')
			dash = true
		}
	}
	return trimSeparators(b.String())
}

// truncate cuts s to at most n bytes and trims trailing separators.
func truncate(s string, n int) string {
	if len(s) > n {
		s = s[:n]
	}
	return trimSeparators(s)
}

func trimSeparators(s string) string {
	return strings.Trim(s, "-._")
}

// shortHash is the first hashLen hex digits of the SHA-256 of s.
func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:hashLen]
}

// GatewayNameLabel is the label Gateway API defines for the objects of a
// Gateway's infrastructure (its value is the Gateway's name). It is spelled
// out here: nothing Gateway API-shaped crosses into internal/infra.
const GatewayNameLabel = "gateway.networking.k8s.io/gateway-name"
