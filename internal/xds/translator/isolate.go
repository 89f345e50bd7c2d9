package translator

import (
	"errors"
	"fmt"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

// validIR returns the part of x that keeps the IR's invariants
// (ir.Xds.Validate), leaving out each element that breaks them: an invalid
// or repeated cluster, an invalid or repeated listener, and each route that
// is invalid or refers to a cluster left out; an invalid rate limit service,
// and with it each route with global rate limits. x is not modified.
func (t *translation) validIR(x *ir.Xds) *ir.Xds {
	out := &ir.Xds{}
	var clusters map[string]bool
	out.Clusters, clusters = t.validClusters(x.Clusters)
	if g := x.GlobalRateLimit; g != nil {
		if err := g.Validate(); err != nil {
			t.leaveOut("rate limit service", "", RateLimitClusterName, err)
		} else {
			out.GlobalRateLimit = g
		}
	}
	listeners := map[string]bool{}
	var set uint64
	if t.cache != nil {
		set = t.cache.clusterSet(out.Clusters)
	}
	for _, l := range x.HTTP {
		if !t.validListener(listeners, l.Name, l.ValidateOwn()) {
			continue
		}
		c := *l
		rateLimit := out.GlobalRateLimit != nil
		c.Routes = t.validHTTPRoutes(l, set, rateLimit, func(r *ir.HTTPRoute) error {
			err := r.Validate(clusters)
			if err == nil && !rateLimit && r.RateLimit != nil && len(r.RateLimit.Global) > 0 {
				err = errors.New("the route has global rate limits, but the fleet has no valid rate limit service")
			}
			return err
		})
		out.HTTP = append(out.HTTP, &c)
	}
	for _, l := range x.TLS {
		if !t.validListener(listeners, l.Name, l.ValidateOwn()) {
			continue
		}
		c := *l
		c.Routes = validRoutes(t, l.Routes, func(r *ir.TLSRoute) (string, error) {
			return r.Name, r.Validate(clusters)
		})
		out.TLS = append(out.TLS, &c)
	}
	for _, l := range x.TCP {
		if !t.validListener(listeners, l.Name, l.ValidateOwn()) {
			continue
		}
		c := *l
		if c.Route != nil {
			if err := c.Route.Validate(clusters); err != nil {
				t.leaveOut("route", "route", c.Route.Name, err)
				c.Route = nil
			}
		}
		out.TCP = append(out.TCP, &c)
	}
	return out
}

// validListener records a listener that is invalid (err) or repeats a name
// seen, and reports whether it is kept.
func (t *translation) validListener(seen map[string]bool, name string, err error) bool {
	if err == nil && seen[name] {
		err = fmt.Errorf("duplicate listener name %q", name)
	}
	if err != nil {
		t.leaveOut("listener", "listener", name, err)
		return false
	}
	seen[name] = true
	return true
}

// validRoutes returns the routes (routes is not modified) for which check
// returns no error, recording each one left out under the name check
// returns.
func validRoutes[R any](t *translation, routes []R, check func(R) (string, error)) []R {
	out := make([]R, 0, len(routes))
	for _, r := range routes {
		if name, err := check(r); err != nil {
			t.leaveOut("route", "route", name, err)
			continue
		}
		out = append(out, r)
	}
	return out
}
