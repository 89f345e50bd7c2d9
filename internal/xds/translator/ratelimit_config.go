package translator

import (
	"cmp"
	"maps"
	"slices"

	rlsconfv3 "github.com/envoyproxy/go-control-plane/ratelimit/config/ratelimit/v3"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

// rlsUnits are the rate limit service's units of the IR units.
var rlsUnits = map[ir.RateLimitUnit]rlsconfv3.RateLimitUnit{
	ir.RateLimitSecond: rlsconfv3.RateLimitUnit_SECOND,
	ir.RateLimitMinute: rlsconfv3.RateLimitUnit_MINUTE,
	ir.RateLimitHour:   rlsconfv3.RateLimitUnit_HOUR,
	ir.RateLimitDay:    rlsconfv3.RateLimitUnit_DAY,
}

// RateLimitConfigs are the rate limit service's configuration for the
// global rate limits of fleets: one RateLimitConfig per domain (named after
// it) with a descriptor tree per rule, as RateLimitActions produce them (see
// ratelimit.go). A rule appearing in several fleets or routes (one HTTPRoute
// rule on several listeners) is configured once: the first one met, fleets
// in the given order, wins. The result is sorted by name, rules by name.
func RateLimitConfigs(fleets []*ir.Xds) []*rlsconfv3.RateLimitConfig {
	byDomain := map[string]map[string]*ir.RateLimitRule{}
	for _, x := range fleets {
		if x == nil || x.GlobalRateLimit == nil {
			continue
		}
		rules := byDomain[x.GlobalRateLimit.Domain]
		if rules == nil {
			rules = map[string]*ir.RateLimitRule{}
			byDomain[x.GlobalRateLimit.Domain] = rules
		}
		for _, l := range x.HTTP {
			for _, r := range l.Routes {
				if r.RateLimit == nil {
					continue
				}
				for _, rule := range r.RateLimit.Global {
					if _, seen := rules[rule.Name]; !seen {
						rules[rule.Name] = rule
					}
				}
			}
		}
	}
	out := make([]*rlsconfv3.RateLimitConfig, 0, len(byDomain))
	for domain, rules := range byDomain {
		out = append(out, RateLimitConfig(domain, slices.Collect(maps.Values(rules))))
	}
	slices.SortFunc(out, func(a, b *rlsconfv3.RateLimitConfig) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

// RateLimitConfig is the configuration of one domain: a descriptor tree per
// rule, sorted by rule name.
func RateLimitConfig(domain string, rules []*ir.RateLimitRule) *rlsconfv3.RateLimitConfig {
	sorted := slices.Clone(rules)
	slices.SortFunc(sorted, func(a, b *ir.RateLimitRule) int { return cmp.Compare(a.Name, b.Name) })
	c := &rlsconfv3.RateLimitConfig{Name: domain, Domain: domain}
	for _, r := range sorted {
		c.Descriptors = append(c.Descriptors, RateLimitDescriptor(r))
	}
	return c
}

// RateLimitDescriptor is the descriptor tree of one rule: one level per
// entry of its descriptor, the limit on the last.
func RateLimitDescriptor(r *ir.RateLimitRule) *rlsconfv3.RateLimitDescriptor {
	entries := descriptorEntries(r)
	var root, leaf *rlsconfv3.RateLimitDescriptor
	for _, e := range entries {
		d := &rlsconfv3.RateLimitDescriptor{Key: e.Key, Value: e.Value}
		if root == nil {
			root = d
		} else {
			leaf.Descriptors = []*rlsconfv3.RateLimitDescriptor{d}
		}
		leaf = d
	}
	leaf.RateLimit = &rlsconfv3.RateLimitPolicy{Unit: rlsUnits[r.Limit.Unit], RequestsPerUnit: r.Limit.Requests}
	return root
}
