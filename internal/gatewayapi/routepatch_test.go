package gatewayapi

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	xdstranslator "github.com/envoygw/envoy-gateway/internal/xds/translator"
)

// TestTranslatorPatchesRouteChanges runs sequences of HTTPRoute changes
// through a Translator and checks, at every step, that its result is
// Translate's and whether the step was patched (patchRoutes) or translated
// in full: lists with a repeated or nil route, GRPCRoutes and too many
// changes at once take the full translation.
func TestTranslatorPatchesRouteChanges(t *testing.T) {
	changed := func(res *Resources, i int) *Resources {
		out := *res
		out.HTTPRoutes = slices.Clone(res.HTTPRoutes)
		c := res.HTTPRoutes[i].DeepCopy()
		c.Generation++
		c.Spec.Hostnames = append(c.Spec.Hostnames, "more.example.com")
		out.HTTPRoutes[i] = c
		return &out
	}
	withRoutes := func(res *Resources, routes []*gwapiv1.HTTPRoute) *Resources {
		out := *res
		out.HTTPRoutes = routes
		return &out
	}
	type step struct {
		name    string
		next    func(res *Resources) *Resources
		patched bool
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"changes in place, added and removed routes", []step{
			{"one route changes", func(r *Resources) *Resources { return changed(r, 3) }, true},
			{"two far apart", func(r *Resources) *Resources { return changed(changed(r, 1), 38) }, true},
			{"the same snapshot", func(r *Resources) *Resources { return r }, true},
			{"a route goes", func(r *Resources) *Resources {
				return withRoutes(r, slices.Delete(slices.Clone(r.HTTPRoutes), 5, 6))
			}, true},
			{"it comes back at the end", func(r *Resources) *Resources {
				return withRoutes(r, append(slices.Clone(r.HTTPRoutes), benchRoute(5, 4, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))))
			}, true},
			{"a route moves to another namespace's listener rules", func(r *Resources) *Resources {
				c := r.HTTPRoutes[7].DeepCopy()
				c.Spec.ParentRefs[0].SectionName = new(gwapiv1.SectionName("alt"))
				routes := slices.Clone(r.HTTPRoutes)
				routes[7] = c
				return withRoutes(r, routes)
			}, true},
			{"a route detaches", func(r *Resources) *Resources {
				c := r.HTTPRoutes[8].DeepCopy()
				c.Spec.ParentRefs[0].Name = "other"
				routes := slices.Clone(r.HTTPRoutes)
				routes[8] = c
				return withRoutes(r, routes)
			}, true},
			{"the Gateway is written again", func(r *Resources) *Resources {
				out := *r
				out.Gateways = []*gwapiv1.Gateway{r.Gateways[0].DeepCopy()}
				return &out
			}, false},
			{"and a route changes after it", func(r *Resources) *Resources { return changed(r, 0) }, true},
		}},
		{"repeated and nil routes", []step{
			{"a second route of the same name comes", func(r *Resources) *Resources {
				c := r.HTTPRoutes[2].DeepCopy()
				c.Spec.Hostnames = []gwapiv1.Hostname{"twin.example.com"}
				return withRoutes(r, append(slices.Clone(r.HTTPRoutes), c))
			}, false},
			{"the first of them changes", func(r *Resources) *Resources { return changed(r, 2) }, false},
			{"the first goes: the second takes over", func(r *Resources) *Resources {
				return withRoutes(r, slices.Delete(slices.Clone(r.HTTPRoutes), 2, 3))
			}, false},
			{"a route changes", func(r *Resources) *Resources { return changed(r, 4) }, true},
			{"a nil route comes", func(r *Resources) *Resources {
				return withRoutes(r, slices.Insert(slices.Clone(r.HTTPRoutes), 3, nil))
			}, false},
			{"a route changes next to it", func(r *Resources) *Resources { return changed(r, 4) }, false},
		}},
		{"many changes at once", []step{
			{"every route changes", func(r *Resources) *Resources {
				for i := range r.HTTPRoutes {
					r = changed(r, i)
				}
				return r
			}, true}, // 40 routes: within maxPatchedRoutes
			{"a route changes", func(r *Resources) *Resources { return changed(r, 9) }, true},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := Options{DataPlane: xdstranslator.Checks{}}
			res := benchResources(40)
			tr := NewTranslator(opts)
			tr.Translate(res)
			for _, s := range tc.steps {
				res = s.next(res)
				got := marshalResult(t, tr.Translate(res))
				if want := marshalResult(t, Translate(res, opts)); !bytes.Equal(want, got) {
					t.Fatalf("%s: the Translator's result differs:\n%s", s.name, cmp.Diff(string(want), string(got)))
				}
				if tr.Patched() != s.patched {
					t.Errorf("%s: patched %v, want %v", s.name, tr.Patched(), s.patched)
				}
				assertKeepsOnlyUsed(t, 0, tr)
				assertMemoHoldsInput(t, tr, res)
			}
		})
	}
}

// TestTranslatorPatchesLongSequences runs long random sequences of route
// changes, additions and removals, several at a time, through one
// Translator: patch after patch, with a full translation now and then.
func TestTranslatorPatchesLongSequences(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	opts := Options{DataPlane: xdstranslator.Checks{}}
	res := benchResources(30)
	pool := &Resources{}
	tr := NewTranslator(opts)
	patched := 0
	for step := range 120 {
		got := marshalResult(t, tr.Translate(res))
		if tr.Patched() {
			patched++
		}
		if want := marshalResult(t, Translate(res, opts)); !bytes.Equal(want, got) {
			t.Fatalf("step %d: the Translator's result differs:\n%s", step, cmp.Diff(string(want), string(got)))
		}
		assertKeepsOnlyUsed(t, step, tr)
		assertMemoHoldsInput(t, tr, res)
		kind := rng.IntN(mutations)
		if step%10 != 9 {
			kind = rng.IntN(3) // route changes only (mutate's kinds 0-2)
		}
		for range 1 + rng.IntN(3) {
			res = mutate(rng, kind, res, pool)
		}
	}
	if patched < 60 {
		t.Errorf("%d of 120 steps patched, want most", patched)
	}
	t.Logf("%d of 120 steps patched", patched)
}

// assertMemoHoldsInput checks that tr memoizes only HTTPRoutes of res, its
// last input: a patch forgets the routes it removes.
func assertMemoHoldsInput(t *testing.T, tr *Translator, res *Resources) {
	t.Helper()
	for obj := range tr.http {
		if !slices.Contains(res.HTTPRoutes, obj) {
			t.Fatalf("the memo of %s/%s is kept, but the route is not in the input", obj.Namespace, obj.Name)
		}
	}
}

// TestRouteChangesKeepTheInfraIR checks that route changes, patched or
// translated in full, give each fleet an infra IR equal to the last one's:
// the infra runner skips the fleet sets whose infra did not change.
func TestRouteChangesKeepTheInfraIR(t *testing.T) {
	res := benchResources(40)
	tr := NewTranslator(Options{})
	last := tr.Translate(res)
	for i, full := range []bool{false, true, false} {
		next := *res
		next.HTTPRoutes = slices.Clone(res.HTTPRoutes)
		c := res.HTTPRoutes[i*7].DeepCopy()
		c.Generation++
		c.Spec.Hostnames = append(c.Spec.Hostnames, "more.example.com")
		next.HTTPRoutes[i*7] = c
		if full {
			tr = NewTranslator(Options{})
		}
		got := tr.Translate(&next)
		if len(got.Fleets) != len(last.Fleets) || len(got.Fleets) == 0 {
			t.Fatalf("step %d: %d fleets, then %d", i, len(last.Fleets), len(got.Fleets))
		}
		for k, f := range got.Fleets {
			if diff := cmp.Diff(last.Fleets[k].Infra, f.Infra); diff != "" {
				t.Fatalf("step %d (full %v): fleet %s's infra IR changed (-last +got):\n%s", i, full, f.Name, diff)
			}
		}
		res, last = &next, got
	}
}
