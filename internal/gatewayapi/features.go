package gatewayapi

import (
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/gateway-api/pkg/features"
)

// implementedFeatures are the Gateway API features this translator
// implements, reported in GatewayClass status.supportedFeatures. Only list a
// feature once every part of it is translated (and covered by a golden test).
var implementedFeatures = []features.FeatureName{
	features.SupportGateway,
	features.SupportGatewayPort8080,
	features.SupportGatewayAddressEmpty,
	features.SupportGatewayStaticAddresses,
	features.SupportListenerSet,
	features.SupportHTTPRoute,
	features.SupportReferenceGrant,
	features.SupportTLSRoute,
	features.SupportGRPCRoute,
	features.SupportGRPCRouteNamedRouteRule,
	features.SupportHTTPRouteNamedRouteRule,
	features.SupportHTTPRouteBackendRequestHeaderModification,
	features.SupportHTTPRouteCORS,
	features.SupportHTTPRouteBackendProtocolWebSocket,
	features.SupportGatewayHTTPListenerIsolation,
	features.SupportHTTPRouteDestinationPortMatching,
	features.SupportGatewayHTTPSListenerDetectMisdirectedRequests,
	features.SupportTCPRoute,
	features.SupportTLSRouteModeTerminate,
	features.SupportTLSRouteModeMixed,
	features.SupportHTTPRouteQueryParamMatching,
	features.SupportHTTPRouteMethodMatching,
	features.SupportHTTPRouteResponseHeaderModification,
	features.SupportHTTPRoutePortRedirect,
	features.SupportHTTPRouteSchemeRedirect,
	features.SupportHTTPRoutePathRedirect,
	features.SupportHTTPRouteHostRewrite,
	features.SupportHTTPRoutePathRewrite,
	features.SupportHTTPRouteRequestMirror,
	features.SupportHTTPRouteRequestMultipleMirrors,
	features.SupportHTTPRouteRequestPercentageMirror,
	features.SupportHTTPRouteRequestTimeout,
	features.SupportHTTPRouteBackendTimeout,
	features.SupportHTTPRouteParentRefPort,
	features.SupportHTTPRouteBackendProtocolH2C,
	features.SupportHTTPRoute303RedirectStatusCode,
	features.SupportHTTPRoute307RedirectStatusCode,
	features.SupportHTTPRoute308RedirectStatusCode,
	features.SupportBackendTLSPolicy,
	features.SupportBackendTLSPolicySANValidation,
	features.SupportGatewayFrontendClientCertificateValidation,
	features.SupportGatewayFrontendClientCertificateValidationInsecureFallback,
	features.SupportGatewayBackendClientCertificate,
	features.SupportHTTPRouteRetry,
	features.SupportHTTPRouteRetryBackendTimeout,
	features.SupportHTTPRouteRetryConnectionError,
}

// supportedFeatures returns the features for GatewayClass status, sorted by
// name as the API requires. A new slice each call: results are never shared.
func supportedFeatures() []gwapiv1.SupportedFeature {
	out := make([]gwapiv1.SupportedFeature, 0, len(implementedFeatures))
	for _, f := range implementedFeatures {
		out = append(out, gwapiv1.SupportedFeature{Name: gwapiv1.FeatureName(f)})
	}
	sortBy(out, func(a, b gwapiv1.SupportedFeature) bool { return a.Name < b.Name })
	return out
}
