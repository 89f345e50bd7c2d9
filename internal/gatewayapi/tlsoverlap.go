package gatewayapi

import (
	"crypto/x509"
	"encoding/pem"
	"strings"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

// Gateway API's OverlappingTLSConfig: HTTPS listeners on one port (served by
// one Envoy listener) whose hostnames overlap ("*.example.com" and
// "foo.example.com", or a listener without hostname and any other), or whose
// certificates have overlapping DNS names, invite HTTP connection coalescing
// across them. Every such listener gets the condition, with reason
// OverlappingCertificates when its certificates overlap (the spec prefers it
// when both apply), else OverlappingHostnames. Only programmed listeners of
// a fleet take part: they are the ones sharing a port.

// resolveTLSOverlaps sets overlapErr on the fleet's overlapping HTTPS listeners.
func (t *translator) resolveTLSOverlaps(f *fleetModel) {
	for _, l := range f.programmedListeners() {
		if l.spec.Protocol != gwapiv1.HTTPSProtocolType {
			continue
		}
		var hostnames, certificates []string
		for _, o := range l.programmedSiblings {
			if o.spec.Protocol != gwapiv1.HTTPSProtocolType {
				continue
			}
			if hostnamesOverlap(l.hostname, o.hostname) {
				hostnames = append(hostnames, o.describe())
			}
			if t.certificatesOverlap(l.certificates, o.certificates) {
				certificates = append(certificates, o.describe())
			}
		}
		switch {
		case len(certificates) > 0:
			l.overlapErr = errorf(gwapiv1.ListenerReasonOverlappingCertificates,
				"The certificates of this listener have DNS names that overlap with those of %s on port %d", strings.Join(certificates, ", "), l.port)
		case len(hostnames) > 0:
			l.overlapErr = errorf(gwapiv1.ListenerReasonOverlappingHostnames,
				"Hostname %q overlaps with the hostnames of %s on port %d", irHostname(l.hostname), strings.Join(hostnames, ", "), l.port)
		}
	}
}

// describe names a listener for messages: "listener <name> of <owner>".
func (l *listenerModel) describe() string {
	return "listener " + l.name + " of " + l.owner()
}

// hostnamesOverlap reports whether two distinct listener hostnames match
// some host in common ("" matches every host).
func hostnamesOverlap(a, b string) bool {
	return a != b && (hostnameCovers(a, b) || hostnameCovers(b, a))
}

// certificatesOverlap reports whether a DNS name of a certificate in a
// covers, or is covered by, one of a certificate in b.
func (t *translator) certificatesOverlap(a, b []*ir.Certificate) bool {
	for _, ca := range a {
		for _, cb := range b {
			for _, na := range t.dnsNames(ca) {
				for _, nb := range t.dnsNames(cb) {
					if hostnameCovers(na, nb) || hostnameCovers(nb, na) {
						return true
					}
				}
			}
		}
	}
	return false
}

// dnsNames returns the lower-case DNS names (SANs) of a certificate's leaf,
// parsed once per certificate. Names that are not hostnames are skipped.
func (t *translator) dnsNames(c *ir.Certificate) []string {
	if names, ok := t.certNames[c.Name]; ok {
		return names
	}
	var names []string
	if block, _ := pem.Decode([]byte(c.Certificate)); block != nil {
		if cert, err := x509.ParseCertificate(block.Bytes); err == nil {
			for _, n := range cert.DNSNames {
				if n = strings.ToLower(n); n != "" && validateHostname(n) == nil {
					names = append(names, n)
				}
			}
		}
	}
	t.certNames[c.Name] = names
	return names
}
