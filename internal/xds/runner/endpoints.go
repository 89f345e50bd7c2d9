package runner

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/envoygw/envoy-gateway/internal/bus"
	"github.com/envoygw/envoy-gateway/internal/ir"
	"github.com/envoygw/envoy-gateway/internal/xds/translator"
)

// endpointsView is what fleets are translated with: the Services of the
// latest endpoints snapshot, plus the Services it does not cover that
// served clusters still use, as they were last seen. A provider stops
// covering a Service as soon as no route refers to it, which is before the
// result without those routes has been translated and applied; keeping the
// Service until then spares the routes still served a moment without
// endpoints (a route moving from one backend to another, say).
type endpointsView struct {
	// version is the topic version of the latest snapshot merged.
	version uint64
	// generation counts the changes of current; assignments computed with
	// an older generation are stale.
	generation uint64
	// latest is the latest snapshot in IR form; current is the view.
	latest, current *ir.Endpoints
}

// merge makes latest (topic version version) the latest snapshot. The view
// becomes latest plus the Services of the previous view that latest does not
// cover and keep holds; latest itself (no copy) when there are none.
//
// When the view is the previous latest snapshot itself and latest says
// which keys changed since (ir.Endpoints.Delta), only those keys can have
// become uncovered: the others are not looked at.
func (v *endpointsView) merge(version uint64, latest *ir.Endpoints, keep func(string) bool) {
	if latest == nil {
		latest = &ir.Endpoints{}
	}
	current := latest
	if v.current != nil {
		candidates := maps.Keys(v.current.Services)
		if changed, ok := latest.ChangedSince(v.current.ID); ok && v.current == v.latest {
			candidates = slices.Values(changed)
		}
		for k := range candidates {
			se, had := v.current.Services[k]
			if _, covered := latest.Services[k]; covered || !had || !keep(k) {
				continue
			}
			if current == latest {
				current = &ir.Endpoints{Services: maps.Clone(latest.Services)}
				if current.Services == nil {
					current.Services = map[string]*ir.ServiceEndpoints{}
				}
			}
			current.Services[k] = se
		}
	}
	v.version, v.latest, v.current = version, latest, current
	v.generation++
}

// prune drops from the view the Services the latest snapshot does not cover
// and served does not hold. Assignments of served clusters do not change,
// so the generation stays.
func (v *endpointsView) prune(served func(string) bool) {
	if v.current == nil || v.current == v.latest {
		return // the latest snapshot covers every Service of the view
	}
	var drop []string
	for k := range v.current.Services {
		if _, covered := v.latest.Services[k]; !covered && !served(k) {
			drop = append(drop, k)
		}
	}
	if len(drop) == 0 {
		return
	}
	current := &ir.Endpoints{Services: maps.Clone(v.current.Services)}
	for _, k := range drop {
		delete(current.Services, k)
	}
	v.current = current
}

// syncEndpoints merges the latest endpoints snapshot into the view when it
// is newer than the one merged, keeping Services the applied fleets or
// the fleets of extra (nil: none) use. It reports whether the view changed.
func (r *Runner) syncEndpoints(extra *bus.FleetSet) bool {
	if r.opts.Endpoints == nil {
		return false
	}
	eps, version := r.opts.Endpoints.Load()
	if version == r.endpoints.version {
		return false
	}
	r.endpoints.merge(version, eps, func(k string) bool { return r.resultUses(extra, k) || r.usesService(k) })
	return true
}

// resultUses reports whether the clusters of a fleet of result take their
// endpoints from Service k. It is asked only about Services the latest
// snapshot does not cover, seldom any: the Services of a result are
// computed then, not on every result.
func (r *Runner) resultUses(result *bus.FleetSet, k string) bool {
	if result == nil {
		return false
	}
	for _, f := range result.Fleets {
		if f != nil && f.Xds != nil && r.fleetServices(f.Xds)[k] {
			return true
		}
	}
	return false
}

// usesService reports whether the clusters of an applied fleet take their
// endpoints from Service k.
func (r *Runner) usesService(k string) bool {
	for _, x := range r.applied {
		if r.fleetServices(x)[k] {
			return true
		}
	}
	return false
}

// fleetServices are the Services the clusters of x take their endpoints
// from, computed once per IR (published IR is never modified).
func (r *Runner) fleetServices(x *ir.Xds) map[string]bool {
	if s, ok := r.services[x]; ok {
		return s
	}
	s := map[string]bool{}
	addServices(s, x)
	r.services[x] = s
	return s
}

// forgetServices drops the Services of IR no fleet is served from any more.
func (r *Runner) forgetServices() {
	used := make(map[*ir.Xds]bool, len(r.applied))
	for _, x := range r.applied {
		used[x] = true
	}
	maps.DeleteFunc(r.services, func(x *ir.Xds, _ map[string]bool) bool { return !used[x] })
}

func addServices(out map[string]bool, x *ir.Xds) {
	if x == nil {
		return
	}
	for _, c := range x.Clusters {
		if c != nil && c.EndpointSource != nil {
			out[c.EndpointSource.ServiceKey()] = true
		}
	}
}

// handleEndpoints recomputes the assignments of every served fleet (frozen
// ones too: their routes stay as they were, not their backends) when the
// endpoints snapshot changed. Nothing else is translated.
func (r *Runner) handleEndpoints() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.syncEndpoints(nil) {
		return
	}
	for _, name := range slices.Sorted(maps.Keys(r.applied)) {
		r.refreshEndpoints(name)
	}
}

// refreshEndpoints recomputes the assignments of a served fleet, from the
// clusters of the IR it was translated from, when the endpoints view changed
// since; the server replaces only them. On failure the fleet keeps its
// assignments and the next change tries again.
func (r *Runner) refreshEndpoints(name string) {
	x := r.applied[name]
	if x == nil || r.fleetEndpoints[name] == r.endpoints.generation {
		return
	}
	log := r.log.WithValues("fleet", name)
	start := time.Now()
	res, err := translateEndpointsSafely(r.cache(name), x.Clusters, r.endpoints.current)
	r.endpointTook.Observe(time.Since(start).Seconds())
	if err != nil {
		r.errors.WithLabelValues(name).Inc()
		log.Error(err, "endpoints translation failed; the fleet keeps its previous endpoints")
		return
	}
	changed, err := r.opts.Server.UpdateEndpoints(name, res.Endpoints)
	if err != nil {
		r.errors.WithLabelValues(name).Inc()
		log.Error(err, "updating the fleet's endpoints failed; the fleet keeps its previous endpoints")
		return
	}
	r.fleetEndpoints[name] = r.endpoints.generation
	if changed {
		for _, w := range res.Warnings {
			log.Info("xDS translation left something out", "warning", w)
		}
		log.V(1).Info("xDS endpoints updated", "clusterLoadAssignments", len(res.Endpoints))
	}
}

// translateEndpointsSafely turns a panic of the translator into an error.
func translateEndpointsSafely(c *translator.Cache, clusters []*ir.Cluster, eps *ir.Endpoints) (res *translator.Resources, err error) {
	defer func() {
		if p := recover(); p != nil {
			res, err = nil, fmt.Errorf("panic in xds endpoints translator: %v", p)
		}
	}()
	return c.TranslateEndpoints(clusters, eps)
}

// warmEndpointsSafely is Cache.WarmEndpoints, turning a panic into an
// error.
func warmEndpointsSafely(c *translator.Cache, clusters []*ir.Cluster, eps *ir.Endpoints) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in xds endpoints translator: %v", p)
		}
	}()
	c.WarmEndpoints(clusters, eps)
	return nil
}
