package gatewayapi

import (
	"math"
	"slices"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

// defaultRetryAttempts is the number of retries when retry.attempts is
// unset (the field's value is implementation-specific): Envoy's own
// num_retries default.
const defaultRetryAttempts = 1

// ruleRetry converts a rule's retry stanza; path is the rule's "retry".
// Codes must lie in 400-599 (the API's range), attempts must be at least 1,
// and backoff must be a Gateway API duration. A zero backoff leaves Envoy's
// default base interval (25 ms), which is no shorter than the minimum asked.
func ruleRetry(path fieldPath, r *gwapiv1.HTTPRouteRetry) (*ir.Retry, *routeError) {
	if r == nil {
		return nil, nil
	}
	out := &ir.Retry{Attempts: defaultRetryAttempts}
	for i, c := range r.Codes {
		if c < 400 || c > 599 {
			return nil, unsupportedAt(path.Child("codes").Index(i), "%d is not a status code in the range 400-599", c)
		}
		if !slices.Contains(out.Codes, uint32(c)) {
			out.Codes = append(out.Codes, uint32(c))
		}
	}
	slices.Sort(out.Codes)
	if a := r.Attempts; a != nil {
		if *a < 1 || int64(*a) > math.MaxUint32 {
			return nil, unsupportedAt(path.Child("attempts"), "%d is not between 1 and %d", *a, uint64(math.MaxUint32))
		}
		out.Attempts = uint32(*a)
	}
	backoff, err := parseDuration(path.Child("backoff"), r.Backoff)
	if err != nil {
		return nil, err
	}
	if backoff != nil && *backoff > 0 {
		out.Backoff = backoff
	}
	return out, nil
}
