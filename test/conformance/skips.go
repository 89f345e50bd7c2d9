package conformance

import (
	"slices"
	"strings"

	"sigs.k8s.io/gateway-api/conformance/utils/suite"
)

// What a skipped test would send through a Gateway.
const (
	trafficHTTP  = "HTTP requests"
	trafficHTTPS = "HTTP and HTTPS requests"
	trafficTLS   = "TLS connections"
	trafficTCP   = "TCP connections"
	trafficUDP   = "UDP datagrams"
	trafficGRPC  = "gRPC requests"
)

// trafficTests are the upstream v1.6.3 tests that send traffic through a
// Gateway (they use the suite's HTTP, TLS, gRPC, TCP or UDP clients, or read
// backend Pod logs), mapped to what they send. They run through the test
// data plane. Every other test only reads what the controller writes to the
// API (statusOnlyTests); TestSkipListCoversSuite keeps the two lists in
// step with the suite.
var trafficTests = map[string]string{
	"BackendTLSPolicyConflictResolution":                         trafficHTTP,
	"BackendTLSPolicyInvalidCACertificateRef":                    trafficHTTP,
	"BackendTLSPolicyInvalidKind":                                trafficHTTP,
	"BackendTLSPolicySANValidation":                              trafficHTTP,
	"BackendTLSPolicy":                                           trafficHTTPS,
	"GatewayHTTPListenerIsolation":                               trafficHTTP,
	"GatewayFrontendInvalidDefaultClientCertificateValidation":   trafficHTTPS,
	"GatewayTLSBackendClientCertificate":                         trafficHTTP,
	"GatewayFrontendClientCertificateValidationInsecureFallback": trafficHTTPS,
	"GatewayFrontendClientCertificateValidation":                 trafficHTTPS,
	"GRPCExactMethodMatching":                                    trafficGRPC,
	"GRPCRouteHeaderMatching":                                    trafficGRPC,
	"GRPCRouteListenerHostnameMatching":                          trafficGRPC,
	"GRPCRouteNamedRule":                                         trafficGRPC,
	"GRPCRouteWeight":                                            trafficGRPC,
	"HTTPRoute303Redirect":                                       trafficHTTP,
	"HTTPRoute307Redirect":                                       trafficHTTP,
	"HTTPRoute308Redirect":                                       trafficHTTP,
	"HTTPRouteBackendProtocolH2C":                                trafficHTTP,
	"HTTPRouteBackendProtocolWebSocket":                          trafficHTTP,
	"HTTPRouteCORS":                                              trafficHTTP,
	"HTTPRouteCrossNamespace":                                    trafficHTTP,
	"HTTPRouteExactPathMatching":                                 trafficHTTP,
	"HTTPRouteHeaderMatching":                                    trafficHTTP,
	"HTTPRouteHostnameIntersection":                              trafficHTTP,
	"HTTPRouteHTTPSListenerDetectMisdirectedRequests":            trafficHTTPS,
	"HTTPRouteHTTPSListener":                                     trafficHTTPS,
	"HTTPRouteInvalidBackendRefUnknownKind":                      trafficHTTP,
	"HTTPRouteInvalidCrossNamespaceBackendRef":                   trafficHTTP,
	"HTTPRouteInvalidNonExistentBackendRef":                      trafficHTTP,
	"HTTPRouteInvalidReferenceGrant":                             trafficHTTP,
	"HTTPRouteListenerHostnameMatching":                          trafficHTTP,
	"HTTPRouteListenerPortMatching":                              trafficHTTP,
	"HTTPRouteMatchingAcrossRoutes":                              trafficHTTP,
	"HTTPRouteMatching":                                          trafficHTTP,
	"HTTPRouteMethodMatching":                                    trafficHTTP,
	"HTTPRouteMultipleGateways":                                  trafficHTTP,
	"HTTPRouteNamedRule":                                         trafficHTTP,
	"HTTPRouteNoBackendRefs":                                     trafficHTTP,
	"HTTPRoutePartiallyInvalidViaInvalidReferenceGrant":          trafficHTTP,
	"HTTPRoutePathMatchOrder":                                    trafficHTTP,
	"HTTPRouteQueryParamMatching":                                trafficHTTP,
	"HTTPRouteRedirectHostAndStatus":                             trafficHTTP,
	"HTTPRouteRedirectPath":                                      trafficHTTP,
	"HTTPRouteRedirectPortAndScheme":                             trafficHTTPS,
	"HTTPRouteRedirectPort":                                      trafficHTTP,
	"HTTPRouteRedirectScheme":                                    trafficHTTP,
	"HTTPRouteReferenceGrant":                                    trafficHTTP,
	"HTTPRouteRequestHeaderModifierBackendWeights":               trafficHTTP,
	"HTTPRouteBackendRequestHeaderModifier":                      trafficHTTP,
	"HTTPRouteRequestHeaderModifier":                             trafficHTTP,
	"HTTPRouteRequestMirror":                                     trafficHTTP,
	"HTTPRouteRequestMultipleMirrors":                            trafficHTTP,
	"HTTPRouteRequestPercentageMirror":                           trafficHTTP,
	"HTTPRouteResponseHeaderModifier":                            trafficHTTP,
	"HTTPRouteRetry":                                             trafficHTTP,
	"HTTPRouteRewriteHost":                                       trafficHTTP,
	"HTTPRouteRewritePath":                                       trafficHTTP,
	"HTTPRouteServiceTypes":                                      trafficHTTP,
	"HTTPRouteSimpleSameNamespace":                               trafficHTTP,
	"HTTPRouteTimeoutBackendRequest":                             trafficHTTP,
	"HTTPRouteTimeoutRequest":                                    trafficHTTP,
	"HTTPRouteWeight":                                            trafficHTTP,
	"ListenerSetAllowedRoutesNamespaces":                         trafficHTTP,
	"ListenerSetDualParentRefIndependence":                       trafficHTTP,
	"ListenerSetGatewayParentSectionNameNotFound":                trafficHTTP,
	"ListenerSetHTTPRouting":                                     trafficHTTP,
	"TCPRouteMultipleRoutesAttachment":                           trafficTCP,
	"TCPRouteParentRefAttachAll":                                 trafficTCP,
	"TCPRouteParentRefPortAndSectionName":                        trafficTCP,
	"TCPRouteReferenceGrant":                                     trafficTCP,
	"TCPRouteWeightedRouting":                                    trafficTCP,
	"TLSRouteHostnameIntersection":                               trafficHTTPS,
	"TLSRouteInvalidBackendRefNonexistent":                       trafficTLS,
	"TLSRouteInvalidBackendRefUnknownKind":                       trafficTLS,
	"TLSRouteMixedTerminationSameNamespace":                      trafficTCP,
	"TLSRouteSimpleSameNamespace":                                trafficTCP,
	"TLSRouteTerminateSimpleSameNamespace":                       trafficTCP,
	"UDPRouteParentRefAttachAllListeners":                        trafficUDP,
	"UDPRouteParentRefPortAndSectionName":                        trafficUDP,
	"UDPRouteReferenceGrant":                                     trafficUDP,
	"UDPRouteWeightedRouting":                                    trafficUDP,
}

// statusOnlyTests are the upstream v1.6.3 tests that send no traffic: they
// apply manifests and check Gateway API status (and, for
// GatewayInfrastructure, the metadata of the rendered infrastructure).
var statusOnlyTests = []string{
	"BackendTLSPolicyObservedGenerationBump",
	"GatewayInfrastructureMetadata",
	"GatewayInvalidParametersRef",
	"GatewayListenerUnsupportedProtocol",
	"GatewayInvalidRouteKind",
	"GatewayInvalidTLSBackendConfiguration",
	"GatewayInvalidTLSConfiguration",
	"GatewayModifyListeners",
	"GatewayObservedGenerationBump",
	"GatewayOptionalAddressValue",
	"GatewaySecretInvalidReferenceGrant",
	"GatewaySecretMissingReferenceGrant",
	"GatewaySecretReferenceGrantAllInNamespace",
	"GatewaySecretReferenceGrantSpecific",
	"GatewayStaticAddresses",
	"GatewayWithAttachedRoutes",
	"GatewayWithAttachedRoutesWithPort8080",
	"GatewayInvalidFrontendClientCertificateValidation",
	"GatewayClassObservedGenerationBump",
	"HTTPRouteDisallowedKind",
	"HTTPRouteInvalidCrossNamespaceParentRef",
	"HTTPRouteInvalidParentRefNotMatchingListenerPort",
	"HTTPRouteInvalidParentRefNotMatchingSectionName",
	"HTTPRouteInvalidParentRefSectionNameNotMatchingPort",
	"HTTPRouteObservedGenerationBump",
	"ListenerSetAllowedNamespaceNone",
	"ListenerSetAllowedNamespaceSame",
	"ListenerSetAllowedNamespaceSelector",
	"ListenerSetAllowedRoutesSupportedKinds",
	"ListenerSetDefaultNotAllowed",
	"ListenerSetHostnameConflict",
	"ListenerSetProtocolConflict",
	"ListenerSetReferenceGrant",
	"ListenerSetRouteStatusScopedToParentRef",
	"TCPRouteInvalidBackendRefNonexistent",
	"TCPRouteInvalidCrossNamespaceBackendRef",
	"TCPRouteInvalidNonTCPListener",
	"TLSRouteInvalidNoMatchingListenerHostname",
	"TLSRouteInvalidNoMatchingListener",
	"TLSRouteInvalidReferenceGrant",
	"TLSRouteListenerMixedTerminationNotSupported",
	"TLSRouteListenerPassthroughSupportedKinds",
	"TLSRouteListenerTerminateNotSupported",
	"TLSRouteListenerTerminateSupportedKinds",
	"UDPRouteInvalidBackendRefNonexistent",
	"UDPRouteInvalidCrossNamespaceBackendRef",
	"UDPRouteMultipleRoutesAttachment",
	"UDPRouteNotAllowedByListeners",
	"UDPRoute",
}

// harnessSkips are the tests of claimed features that cannot run here,
// with the reason. The suite itself skips the tests of features the
// GatewayClass does not claim (and Mesh tests, which need no GatewayClass),
// so this list is for what the harness cannot do.
var harnessSkips = map[string]string{}

// SkipTests returns the names of the tests the harness cannot run, sorted.
func SkipTests() []string {
	out := make([]string, 0, len(harnessSkips))
	for name := range harnessSkips {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// SkipReason says why a test does not run: it needs features the
// GatewayClass does not claim (supported), or the harness cannot run it.
// It returns "" for a test that runs.
func SkipReason(test suite.ConformanceTest, supported suite.FeaturesSet) string {
	var missing []string
	for _, f := range test.Features {
		if !supported.Has(f) {
			missing = append(missing, string(f))
		}
	}
	slices.Sort(missing)
	if len(missing) > 0 {
		reason := "feature not claimed: " + strings.Join(missing, ", ")
		if kind, traffic := trafficTests[test.ShortName]; traffic {
			reason += "; sends " + kind
		}
		return reason
	}
	return harnessSkips[test.ShortName]
}
