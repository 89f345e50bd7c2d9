package ratelimit

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	commonratelimitv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/common/ratelimit/v3"
	localratelimitv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/local_ratelimit/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"

	"github.com/envoygw/envoy-gateway/test/dataplane/router"
)

// Envoy's defaults of the local rate limit filter.
const (
	defaultLimitedStatus         = 429
	defaultMaxDynamicDescriptors = 20
	minFillInterval              = 50 * time.Millisecond
	// LocalLimitedBody is the body of a locally rate limited request.
	LocalLimitedBody = "local_rate_limited"
)

// Local is a compiled LocalRateLimit (the filter's configuration or a
// route's). Its buckets live as long as it does: a new route
// configuration starts them full again, as in Envoy.
type Local struct {
	status            int
	enabled, enforced *fraction
	// defaultBucket is nil without token_bucket (the filter's own
	// configuration may have none: it limits nothing then).
	defaultBucket        *bucket
	exact                []*localDescriptor // every entry has a value
	dynamic              []*dynamicDescriptor
	rateLimits           []*router.RateLimitPolicy
	alwaysConsumeDefault bool
}

// localDescriptor is a configured descriptor with its bucket.
type localDescriptor struct {
	entries router.Descriptor
	bucket  *bucket
	rate    float64
}

// fraction is a RuntimeFractionalPercent without runtime: its default.
type fraction struct{ numerator, denominator uint64 }

func (f *fraction) enabled() bool {
	return f != nil && f.numerator > 0 && rand.Uint64N(f.denominator) < f.numerator
}

var denominators = map[typev3.FractionalPercent_DenominatorType]uint64{
	typev3.FractionalPercent_HUNDRED: 100, typev3.FractionalPercent_TEN_THOUSAND: 10000,
	typev3.FractionalPercent_MILLION: 1000000,
}

func compileFraction(p *corev3.RuntimeFractionalPercent) *fraction {
	if p == nil {
		return nil
	}
	d := p.GetDefaultValue()
	f := &fraction{numerator: uint64(d.GetNumerator()), denominator: denominators[d.GetDenominator()]}
	if f.denominator == 0 { // an enum value the walker rejects before; never divide by zero
		f.denominator = 100
	}
	return f
}

// CompileLocal checks a LocalRateLimit as Envoy creates the filter's
// configuration (perRoute: a route's typed_per_filter_config, which must
// have a token bucket); path prefixes errors. clock nil is the system's.
func CompileLocal(c *localratelimitv3.LocalRateLimit, perRoute bool, clock Clock, path string) (*Local, error) {
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("%s: invalid: %w", path, err)
	}
	if clock == nil {
		clock = systemClock{}
	}
	l := &Local{
		status: defaultLimitedStatus, enabled: compileFraction(c.GetFilterEnabled()),
		enforced: compileFraction(c.GetFilterEnforced()), alwaysConsumeDefault: true,
	}
	if c.GetAlwaysConsumeDefaultTokenBucket() != nil {
		l.alwaysConsumeDefault = c.GetAlwaysConsumeDefaultTokenBucket().GetValue()
	}
	if perRoute && c.GetTokenBucket() == nil {
		return nil, fmt.Errorf("%s.token_bucket: invalid: "+
			"local rate limit token bucket must be set for per filter configs", path)
	}
	var fill time.Duration
	if tb := c.GetTokenBucket(); tb != nil {
		spec := compileBucket(tb)
		if spec.fillInterval < minFillInterval {
			return nil, fmt.Errorf("%s.token_bucket.fill_interval: invalid: "+
				"local rate limit token bucket fill timer must be >= 50ms", path)
		}
		fill = spec.fillInterval
		l.defaultBucket = newBucket(spec, clock)
	}
	var err error
	if l.rateLimits, err = router.CompileRateLimits(c.GetRateLimits(), path+".rate_limits"); err != nil {
		return nil, err
	}
	maxDynamic := defaultMaxDynamicDescriptors
	if c.GetMaxDynamicDescriptors() != nil {
		maxDynamic = int(c.GetMaxDynamicDescriptors().GetValue())
	}
	if err := l.compileDescriptors(c.GetDescriptors(), fill, maxDynamic, clock, path+".descriptors"); err != nil {
		return nil, err
	}
	return l, nil
}

func compileBucket(tb *typev3.TokenBucket) bucketSpec {
	s := bucketSpec{maxTokens: tb.GetMaxTokens(), tokensPerFill: 1, fillInterval: tb.GetFillInterval().AsDuration()}
	if tb.GetTokensPerFill() != nil {
		s.tokensPerFill = tb.GetTokensPerFill().GetValue()
	}
	return s
}

// compileDescriptors builds the configured descriptors' buckets: the fill
// interval must be a multiple of the default bucket's, and a descriptor
// may not repeat.
func (l *Local) compileDescriptors(ds []*commonratelimitv3.LocalRateLimitDescriptor, fill time.Duration,
	maxDynamic int, clock Clock, path string) error {
	var seen []router.Descriptor
	for i, d := range ds {
		at := fmt.Sprintf("%s[%d]", path, i)
		spec := compileBucket(d.GetTokenBucket())
		if fill > 0 && spec.fillInterval%fill != 0 {
			return fmt.Errorf("%s.token_bucket.fill_interval: invalid: "+
				"local rate descriptor limit is not a multiple of token bucket fill timer", at)
		}
		entries, wildcard := descriptorEntries(d.GetEntries())
		if slices.ContainsFunc(seen, func(s router.Descriptor) bool { return slices.Equal(s, entries) }) {
			return fmt.Errorf("%s: invalid: duplicate descriptor in the local rate descriptor: %v", at, entries)
		}
		seen = append(seen, entries)
		if wildcard {
			l.dynamic = append(l.dynamic, newDynamicDescriptor(entries, spec, maxDynamic, clock))
			continue
		}
		l.exact = append(l.exact, &localDescriptor{entries: entries, bucket: newBucket(spec, clock), rate: spec.fillRate()})
	}
	return nil
}

func descriptorEntries(es []*commonratelimitv3.RateLimitDescriptor_Entry) (d router.Descriptor, wildcard bool) {
	for _, e := range es {
		d = append(d, router.DescriptorEntry{Key: e.GetKey(), Value: e.GetValue()})
		wildcard = wildcard || e.GetValue() == ""
	}
	return d, wildcard
}

// Check runs the filter for a request (routeLimits are the matched
// route's rate_limits, nil when it does not forward) and returns the
// status to answer with when the request is limited.
func (l *Local) Check(req *router.Request, routeLimits []*router.RateLimitPolicy) (status int, limited bool) {
	if !l.enabled.enabled() {
		return 0, false
	}
	var descriptors []router.Descriptor
	if len(l.exact)+len(l.dynamic) > 0 {
		policies := l.rateLimits
		if len(policies) == 0 {
			policies = routeLimits
		}
		descriptors = router.Descriptors(policies, req)
	}
	if l.allowed(descriptors) || !l.enforced.enabled() {
		return 0, false
	}
	return l.status, true
}

// allowed is LocalRateLimiterImpl::requestAllowed.
func (l *Local) allowed(descriptors []router.Descriptor) bool {
	var matched []*localDescriptor
	for _, d := range descriptors {
		if m := l.match(d); m != nil {
			matched = append(matched, m)
		}
	}
	slices.SortStableFunc(matched, func(a, b *localDescriptor) int {
		switch {
		case a.rate < b.rate:
			return -1
		case a.rate > b.rate:
			return 1
		}
		return 0
	})
	for _, m := range matched {
		if !m.bucket.consume() {
			return false
		}
	}
	if len(matched) == 0 || l.alwaysConsumeDefault {
		if l.defaultBucket == nil {
			return true
		}
		return l.defaultBucket.consume()
	}
	return true
}

// match finds the configured descriptor of a request descriptor: an exact
// one, else the first wildcard one it fits (its bucket for the value).
func (l *Local) match(d router.Descriptor) *localDescriptor {
	for _, e := range l.exact {
		if slices.Equal(e.entries, d) {
			return e
		}
	}
	for _, w := range l.dynamic {
		if m := w.get(d); m != nil {
			return m
		}
	}
	return nil
}
