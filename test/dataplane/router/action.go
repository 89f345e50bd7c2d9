package router

import (
	"fmt"
	"math"
	"strings"
	"time"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
)

// defaultRouteTimeoutMs is RouteAction.timeout when unset.
const defaultRouteTimeoutMs = 15000

var clusterNotFoundCodes = map[routev3.RouteAction_ClusterNotFoundResponseCode]int{
	routev3.RouteAction_SERVICE_UNAVAILABLE:   503,
	routev3.RouteAction_NOT_FOUND:             404,
	routev3.RouteAction_INTERNAL_SERVER_ERROR: 500,
}

// routeAction is a compiled RouteAction.
type routeAction struct {
	cluster        string
	weighted       []*weightedCluster
	totalWeight    uint64
	notFoundStatus int
	prefixRewrite  string
	regexRewrite   *rewriteRegex
	hostRewrite    string
	appendXFH      bool
	timeoutMs      int64
	perTryMs       int64
	retry          *RetryPolicy
	mirrors        []*mirrorPolicy
	rateLimits     []*RateLimitPolicy
}

// weightedCluster is a compiled WeightedCluster.ClusterWeight.
type weightedCluster struct {
	name        string
	weight      uint64
	request     *headerParser
	response    *headerParser
	hostRewrite string
}

// mirrorPolicy is a compiled RequestMirrorPolicy.
type mirrorPolicy struct {
	cluster          string
	fraction         fraction
	keepHostUnchange bool // disable_shadow_host_suffix_append
}

// actionContext is what a route inherits from its virtual host and route
// configuration.
type actionContext struct {
	vhostRetry   *routev3.RetryPolicy
	vhostRetryAt string
	mirrors      []*mirrorPolicy // the virtual host's, else the configuration's
}

func compileRouteAction(a *routev3.RouteAction, ctx actionContext, path string) (*routeAction, error) {
	ra := &routeAction{
		cluster:        a.GetCluster(),
		notFoundStatus: clusterNotFoundCodes[a.GetClusterNotFoundResponseCode()],
		prefixRewrite:  a.GetPrefixRewrite(),
		hostRewrite:    a.GetHostRewriteLiteral(),
		appendXFH:      a.GetAppendXForwardedHost(),
	}
	if ra.notFoundStatus == 0 {
		return nil, fmt.Errorf("%s: invalid: unknown code", joinPath(path, "cluster_not_found_response_code"))
	}
	if wc := a.GetWeightedClusters(); wc != nil {
		if err := ra.compileWeighted(wc, joinPath(path, "weighted_clusters")); err != nil {
			return nil, err
		}
	}
	if a.GetRegexRewrite() != nil {
		if ra.prefixRewrite != "" {
			return nil, fmt.Errorf("%s: invalid: specify only one of prefix_rewrite, regex_rewrite or path_rewrite_policy", path)
		}
		re, err := compileRewriteRegex(a.GetRegexRewrite(), joinPath(path, "regex_rewrite"))
		if err != nil {
			return nil, err
		}
		ra.regexRewrite = re
	}
	var err error
	if ra.timeoutMs, err = durationMillis(a.GetTimeout(), defaultRouteTimeoutMs, joinPath(path, "timeout")); err != nil {
		return nil, err
	}
	retry, retryAt := a.GetRetryPolicy(), joinPath(path, "retry_policy")
	if retry == nil {
		retry, retryAt = ctx.vhostRetry, ctx.vhostRetryAt
	}
	if ra.retry, ra.perTryMs, err = compileRetryPolicy(retry, retryAt); err != nil {
		return nil, err
	}
	if ra.rateLimits, err = CompileRateLimits(a.GetRateLimits(), joinPath(path, "rate_limits")); err != nil {
		return nil, err
	}
	ra.mirrors = ctx.mirrors
	if len(a.GetRequestMirrorPolicies()) > 0 {
		at := joinPath(path, "request_mirror_policies")
		if ra.mirrors, err = compileMirrors(a.GetRequestMirrorPolicies(), at); err != nil {
			return nil, err
		}
	}
	return ra, nil
}

// compileWeighted checks the weights as Envoy's
// WeightedClusterSpecifierPlugin: a missing weight is 0, the sum must be
// above 0 and fit in 32 bits; the deprecated total_weight is ignored (the
// sum of the weights is used).
func (ra *routeAction) compileWeighted(wc *routev3.WeightedCluster, path string) error {
	for i, c := range wc.GetClusters() {
		at := fmt.Sprintf("%s.clusters[%d]", path, i)
		if c.GetName() == "" {
			return fmt.Errorf("%s: invalid: at least one of name or cluster_header need to be specified", at)
		}
		req, err := compileHeaderParser(c.GetRequestHeadersToAdd(), c.GetRequestHeadersToRemove(), at, requestMutationFields)
		if err != nil {
			return err
		}
		resp, err := compileHeaderParser(c.GetResponseHeadersToAdd(), c.GetResponseHeadersToRemove(), at,
			responseMutationFields)
		if err != nil {
			return err
		}
		w := uint64(c.GetWeight().GetValue())
		ra.weighted = append(ra.weighted, &weightedCluster{name: c.GetName(), weight: w, request: req, response: resp,
			hostRewrite: c.GetHostRewriteLiteral()})
		ra.totalWeight += w
		if ra.totalWeight > math.MaxUint32 {
			return fmt.Errorf("%s: invalid: the sum of weights of all weighted clusters exceeds %d", path,
				uint64(math.MaxUint32))
		}
	}
	if ra.totalWeight == 0 {
		return fmt.Errorf("%s: invalid: sum of weights in the weighted_cluster must be greater than 0", path)
	}
	return nil
}

// pick selects the weighted cluster of random as Envoy does:
// random % total falls in one cluster's [begin, begin+weight) interval,
// clusters taken in order.
func (ra *routeAction) pick(random uint64) *weightedCluster {
	selected := random % ra.totalWeight
	var begin uint64
	for _, c := range ra.weighted {
		if selected < begin+c.weight {
			return c
		}
		begin += c.weight
	}
	return ra.weighted[len(ra.weighted)-1]
}

// retryOnNames are the retry_on conditions Envoy recognizes (HTTP, then
// gRPC).
var retryOnNames = map[string]bool{
	"5xx": true, "gateway-error": true, "connect-failure": true, "envoy-ratelimited": true,
	"retriable-4xx": true, "refused-stream": true, "retriable-status-codes": true,
	"retriable-headers": true, "reset": true, "reset-before-request": true,
	"http3-post-connect-failure": true,
	"cancelled":                  true, "deadline-exceeded": true, "resource-exhausted": true,
	"unavailable": true, "internal": true,
}

// compileRetryPolicy reads a RetryPolicy as Envoy's RetryPolicyImpl:
// retry_on is a comma-separated list (whitespace trimmed, empty items
// skipped) of which unknown names are ignored; num_retries defaults to 1;
// retriable_status_codes are kept as given (they count only under
// "retriable-status-codes"); retry_back_off as compileRetryBackOff reads it;
// per_try_timeout defaults to none. It returns the per-try timeout in ms.
func compileRetryPolicy(p *routev3.RetryPolicy, path string) (*RetryPolicy, int64, error) {
	if p == nil {
		return nil, 0, nil
	}
	perTry, err := durationMillis(p.GetPerTryTimeout(), 0, joinPath(path, "per_try_timeout"))
	if err != nil {
		return nil, 0, err
	}
	rp := &RetryPolicy{NumRetries: 1, RetriableStatusCodes: p.GetRetriableStatusCodes()}
	if p.GetNumRetries() != nil {
		rp.NumRetries = p.GetNumRetries().GetValue()
	}
	backOffAt := joinPath(path, "retry_back_off")
	if rp.BaseInterval, rp.MaxInterval, err = compileRetryBackOff(p.GetRetryBackOff(), backOffAt); err != nil {
		return nil, 0, err
	}
	for name := range strings.SplitSeq(p.GetRetryOn(), ",") {
		name = strings.TrimSpace(name)
		switch {
		case name == "":
		case retryOnNames[name]:
			rp.RetryOn = append(rp.RetryOn, name)
		default:
			rp.Ignored = append(rp.Ignored, name)
		}
	}
	return rp, perTry, nil
}

// Envoy's retry back-off defaults: a 25 ms base interval and a maximum of
// ten base intervals.
const (
	defaultRetryBaseInterval = 25 * time.Millisecond
	retryMaxIntervalFactor   = 10
)

// compileRetryBackOff reads a RetryBackOff as Envoy's RetryPolicyImpl:
// base_interval (required and positive, which the proto validation has
// checked) under 1 ms counts as 1 ms; max_interval, when set, may not be
// below base_interval, and defaults to ten base intervals. Without
// retry_back_off the base is 25 ms.
func compileRetryBackOff(b *routev3.RetryPolicy_RetryBackOff, path string) (base, maxI time.Duration, err error) {
	if b == nil {
		return defaultRetryBaseInterval, retryMaxIntervalFactor * defaultRetryBaseInterval, nil
	}
	baseMs, err := durationMillis(b.GetBaseInterval(), 0, joinPath(path, "base_interval"))
	if err != nil {
		return 0, 0, err
	}
	base = time.Duration(max(baseMs, 1)) * time.Millisecond
	maxI = retryMaxIntervalFactor * base
	if b.GetMaxInterval() != nil {
		maxMs, err := durationMillis(b.GetMaxInterval(), 0, joinPath(path, "max_interval"))
		if err != nil {
			return 0, 0, err
		}
		maxI = time.Duration(max(maxMs, 1)) * time.Millisecond
		if maxI < base {
			return 0, 0, fmt.Errorf("%s: invalid: max_interval must be greater than or equal to the base_interval", path)
		}
	}
	return base, maxI, nil
}

// compileMirrors reads RequestMirrorPolicy entries as Envoy's
// ShadowPolicyImpl: the cluster is required (cluster_header is not
// implemented); without runtime_fraction every request is mirrored.
func compileMirrors(ps []*routev3.RouteAction_RequestMirrorPolicy, path string) ([]*mirrorPolicy, error) {
	out := make([]*mirrorPolicy, 0, len(ps))
	for i, p := range ps {
		if p.GetCluster() == "" {
			return nil, fmt.Errorf("%s[%d]: invalid: exactly one of cluster or cluster_header in request mirror policy "+
				"need to be specified", path, i)
		}
		m := &mirrorPolicy{cluster: p.GetCluster(), keepHostUnchange: p.GetDisableShadowHostSuffixAppend(),
			fraction: fraction{numerator: 100, denominator: 100}}
		if f := compileFraction(p.GetRuntimeFraction()); f != nil {
			m.fraction = *f
		}
		out = append(out, m)
	}
	return out, nil
}

// shadowHost is Envoy's shadowAppendedHost: "-shadow" goes before the
// port, if any.
func shadowHost(host string) string {
	if i := portStart(host); i >= 0 {
		return host[:i] + "-shadow" + host[i:]
	}
	return host + "-shadow"
}
