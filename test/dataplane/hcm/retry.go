package hcm

import (
	"math/rand/v2"
	"net/http"
	"slices"
	"time"

	"github.com/envoygw/envoy-gateway/test/dataplane/router"
)

// retryPolicy is a route's retry policy as the router applies it.
type retryPolicy struct {
	on                        []string
	retries                   int
	codes                     []uint32
	baseInterval, maxInterval time.Duration
}

func newRetryPolicy(p *router.RetryPolicy) retryPolicy {
	if p == nil || len(p.RetryOn) == 0 {
		return retryPolicy{}
	}
	return retryPolicy{on: p.RetryOn, retries: int(p.NumRetries), codes: p.RetriableStatusCodes,
		baseInterval: p.BaseInterval, maxInterval: p.MaxInterval}
}

func (p retryPolicy) has(conditions ...string) bool {
	for _, c := range conditions {
		if slices.Contains(p.on, c) {
			return true
		}
	}
	return false
}

// retriable is Envoy's RetryStateImpl decision for an attempt's outcome.
func (p retryPolicy) retriable(out outcome) bool {
	if r := out.resp; r != nil {
		switch {
		case r.StatusCode >= 500 && p.has("5xx"):
			return true
		case (r.StatusCode == http.StatusBadGateway || r.StatusCode == http.StatusServiceUnavailable ||
			r.StatusCode == http.StatusGatewayTimeout) && p.has("gateway-error"):
			return true
		case p.has("retriable-status-codes") && p.retriableCode(r.StatusCode):
			return true
		case r.StatusCode == http.StatusConflict && p.has("retriable-4xx"):
			return true
		case r.Header.Get("X-Envoy-Ratelimited") != "" && p.has("envoy-ratelimited"):
			return true
		}
		return false
	}
	switch {
	case out.connectFailure && p.has("connect-failure"):
		return true
	case out.refused && p.has("refused-stream"):
		return true
	}
	return p.has("5xx", "gateway-error", "reset")
}

// retriableCode reports whether status is one of retriable_status_codes.
func (p retryPolicy) retriableCode(status int) bool {
	return slices.ContainsFunc(p.codes, func(c uint32) bool { return int64(c) == int64(status) })
}

// backoff is Envoy's jittered exponential back-off before retry n
// (0-based): a random delay below (2^(n+1)-1) base intervals, capped at
// the maximum interval (25 ms and 250 ms by default).
func (p retryPolicy) backoff(n int) time.Duration {
	ceiling := p.maxInterval
	if n < 8 {
		ceiling = min(time.Duration(1<<(n+1)-1)*p.baseInterval, p.maxInterval)
	}
	if ceiling <= 0 { // a policy built without compileRetryPolicy
		return 0
	}
	return time.Duration(rand.Int64N(int64(ceiling)))
}
