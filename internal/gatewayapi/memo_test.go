package gatewayapi

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"weak"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/envoygw/envoy-gateway/internal/ir"
	xdstranslator "github.com/envoygw/envoy-gateway/internal/xds/translator"
)

// mutations is the number of kinds of changes mutate makes.
const mutations = 12

// mutate makes a change of kind kind (0 to mutations-1) of res, the way
// providers do (a changed object is a new object; the others keep their
// pointers), and returns the new snapshot. pool holds objects removed
// earlier, which may come back.
func mutate(rng *rand.Rand, kind int, res *Resources, pool *Resources) *Resources {
	out := *res
	switch kind {
	case 0, 1: // an HTTPRoute changes
		if len(res.HTTPRoutes) > 0 {
			out.HTTPRoutes = slices.Clone(res.HTTPRoutes)
			i := rng.IntN(len(out.HTTPRoutes))
			out.HTTPRoutes[i] = changedRoute(rng, out.HTTPRoutes[i])
		}
	case 2: // an HTTPRoute goes, or one comes back
		out.HTTPRoutes, pool.HTTPRoutes = moveOne(rng, res.HTTPRoutes, pool.HTTPRoutes)
	case 3: // a Service goes or comes back
		out.Services, pool.Services = moveOne(rng, res.Services, pool.Services)
	case 4: // a Service changes its ports: a number (a cluster of another
		// name), or its appProtocol (another cluster of the same name)
		if len(res.Services) > 0 {
			out.Services = slices.Clone(res.Services)
			i := rng.IntN(len(out.Services))
			svc := out.Services[i].DeepCopy()
			switch {
			case len(svc.Spec.Ports) == 0:
				svc.Spec.Ports = []corev1.ServicePort{{Port: 80}}
			case rng.IntN(2) == 0:
				svc.Spec.Ports[0].Port++
			case svc.Spec.Ports[0].AppProtocol == nil:
				svc.Spec.Ports[0].AppProtocol = new(appProtocolH2C)
			default:
				svc.Spec.Ports[0].AppProtocol = nil
			}
			out.Services[i] = svc
		}
	case 5: // a ReferenceGrant goes or comes back
		out.ReferenceGrants, pool.ReferenceGrants = moveOne(rng, res.ReferenceGrants, pool.ReferenceGrants)
	case 6: // a Gateway is written again, unchanged (a new object)
		if len(res.Gateways) > 0 {
			out.Gateways = slices.Clone(res.Gateways)
			i := rng.IntN(len(out.Gateways))
			out.Gateways[i] = out.Gateways[i].DeepCopy()
		}
	case 7: // the order of the lists changes
		return shuffled(res, rng)
	case 8: // a Gateway's first listener moves to another port
		if len(res.Gateways) > 0 && len(res.Gateways[0].Spec.Listeners) > 0 {
			out.Gateways = slices.Clone(res.Gateways)
			gw := out.Gateways[0].DeepCopy()
			gw.Generation++
			gw.Spec.Listeners[0].Port += 1000
			out.Gateways[0] = gw
		}
	case 9: // a Gateway's first listener allows routes from its own
		// namespace only, or from all: routes of other namespaces are
		// refused on it, or accepted again, without changing
		if len(res.Gateways) > 0 && len(res.Gateways[0].Spec.Listeners) > 0 {
			out.Gateways = slices.Clone(res.Gateways)
			gw := out.Gateways[0].DeepCopy()
			gw.Generation++
			l := &gw.Spec.Listeners[0]
			from := gwapiv1.NamespacesFromSame
			if l.AllowedRoutes != nil && l.AllowedRoutes.Namespaces != nil && l.AllowedRoutes.Namespaces.From != nil &&
				*l.AllowedRoutes.Namespaces.From == gwapiv1.NamespacesFromSame {
				from = gwapiv1.NamespacesFromAll
			}
			if l.AllowedRoutes == nil {
				l.AllowedRoutes = &gwapiv1.AllowedRoutes{}
			}
			l.AllowedRoutes.Namespaces = &gwapiv1.RouteNamespaces{From: &from}
			out.Gateways[0] = gw
		}
	case 10: // an HTTPRoute's status is written: a new object of the
		// same generation (the same route, for GenerationTracksSpec)
		if len(res.HTTPRoutes) > 0 {
			out.HTTPRoutes = slices.Clone(res.HTTPRoutes)
			i := rng.IntN(len(out.HTTPRoutes))
			out.HTTPRoutes[i] = statusWritten(out.HTTPRoutes[i])
		}
	default: // a Namespace goes or comes back
		out.Namespaces, pool.Namespaces = moveOne(rng, res.Namespaces, pool.Namespaces)
	}
	return &out
}

// statusWritten is the object the API server gives r once a status is
// written to it: a copy with that status and a new resourceVersion.
func statusWritten(r *gwapiv1.HTTPRoute) *gwapiv1.HTTPRoute {
	c := r.DeepCopy()
	c.ResourceVersion += "1"
	c.Status.Parents = append(c.Status.Parents, gwapiv1.RouteParentStatus{
		ParentRef: gwapiv1.ParentReference{Name: "eg"}, ControllerName: "example.com/other",
		Conditions: []metav1.Condition{{Type: "Accepted", Status: metav1.ConditionTrue, Reason: "Accepted"}},
	})
	return c
}

// asFromAPIServer makes res's HTTPRoutes objects as an API server holds
// them (a UID, generation 1 at least) and says generations track specs.
func asFromAPIServer(res *Resources) {
	res.GenerationTracksSpec = true
	for i, r := range res.HTTPRoutes {
		if r.UID == "" || r.Generation == 0 {
			c := r.DeepCopy()
			c.UID = types.UID("uid-" + r.Namespace + "-" + r.Name)
			c.Generation = max(c.Generation, 1)
			res.HTTPRoutes[i] = c
		}
	}
}

// changedRoute is a copy of r with one of its fields changed.
func changedRoute(rng *rand.Rand, r *gwapiv1.HTTPRoute) *gwapiv1.HTTPRoute {
	c := r.DeepCopy()
	c.Generation++
	switch rng.IntN(4) {
	case 0:
		c.Spec.Hostnames = append(c.Spec.Hostnames, gwapiv1.Hostname(fmt.Sprintf("h%d.example.com", rng.IntN(3))))
	case 1:
		if len(c.Spec.Rules) > 1 {
			c.Spec.Rules = c.Spec.Rules[1:]
		}
	case 2:
		for i := range c.Spec.Rules {
			for j := range c.Spec.Rules[i].BackendRefs {
				if p := c.Spec.Rules[i].BackendRefs[j].Port; p != nil {
					c.Spec.Rules[i].BackendRefs[j].Port = new(*p + 1)
				}
			}
		}
	default:
		c.Spec.Rules = append(c.Spec.Rules, gwapiv1.HTTPRouteRule{Matches: []gwapiv1.HTTPRouteMatch{{
			Headers: []gwapiv1.HTTPHeaderMatch{{Name: "x-added", Value: fmt.Sprint(rng.IntN(100))}},
		}}})
	}
	return c
}

// moveOne moves a random element from list to pool, or back when rng says so.
func moveOne[T any](rng *rand.Rand, list, pool []*T) ([]*T, []*T) {
	if len(pool) > 0 && (len(list) == 0 || rng.IntN(2) == 0) {
		i := rng.IntN(len(pool))
		return append(slices.Clone(list), pool[i]), slices.Delete(slices.Clone(pool), i, i+1)
	}
	if len(list) == 0 {
		return list, pool
	}
	i := rng.IntN(len(list))
	return slices.Delete(slices.Clone(list), i, i+1), append(slices.Clone(pool), list[i])
}

// TestTranslatorTranslatesAsTranslate runs random sequences of changes of
// every golden input through a Translator and compares each result with a
// fresh Translate: the memo is an optimisation only.
func TestTranslatorTranslatesAsTranslate(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for n, in := range goldenInputs(t) {
		t.Run(filepath.Base(in), func(t *testing.T) {
			data, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			res, opts := loadGoldenInput(t, data)
			if n%2 == 0 { // half the inputs as the Kubernetes provider gives them
				asFromAPIServer(res)
			}
			opts.DataPlane = xdstranslator.Checks{}
			tr := NewTranslator(opts)
			pool := &Resources{}
			for step := range 2 * mutations {
				want := marshalResult(t, Translate(res, opts))
				if got := marshalResult(t, tr.Translate(res)); !bytes.Equal(want, got) {
					t.Fatalf("step %d: the Translator's result differs:\n%s", step, cmp.Diff(string(want), string(got)))
				}
				assertKeepsOnlyUsed(t, step, tr)
				res = mutate(rng, step%mutations, res, pool)
			}
		})
	}
}

// assertKeepsOnlyUsed checks that tr keeps what its last call used and
// nothing older: every route memo and every IR route set it holds was used.
func assertKeepsOnlyUsed(t *testing.T, step int, tr *Translator) {
	t.Helper()
	for obj, m := range tr.http {
		if m.gen != tr.gen {
			t.Fatalf("step %d: the memo of %s/%s, unused, is kept", step, obj.Namespace, obj.Name)
		}
		for _, e := range m.emitted {
			if e.gen != tr.gen {
				t.Fatalf("step %d: the IR routes of %s/%s on %v, unused, are kept", step, obj.Namespace, obj.Name, e.key)
			}
			if n := len(slices.DeleteFunc(slices.Clone(m.emitted), func(o *emittedRoutes) bool { return o.key != e.key })); n != 1 {
				t.Fatalf("step %d: %s/%s holds %d IR route sets for %v", step, obj.Namespace, obj.Name, n, e.key)
			}
		}
		if m.emittedUsed != len(m.emitted) {
			t.Fatalf("step %d: %s/%s counts %d IR route sets used of %d", step, obj.Namespace, obj.Name, m.emittedUsed, len(m.emitted))
		}
		if m.built.meta.meta != &obj.ObjectMeta {
			t.Fatalf("step %d: the model of %s/%s reads another object's metadata", step, obj.Namespace, obj.Name)
		}
	}
}

// TestTranslatorTakesOverStatusWrittenRoutes: when generations track
// specs, a route given again as a new object of the same generation (its
// status written) keeps its memo: the call is a patch, every IR route is
// the same pointer, the result is Translate's, and the Translator no
// longer holds the old object. Without GenerationTracksSpec the new object
// is built again.
func TestTranslatorTakesOverStatusWrittenRoutes(t *testing.T) {
	for _, tracks := range []bool{true, false} {
		res := benchResources(20)
		asFromAPIServer(res)
		res.GenerationTracksSpec = tracks
		tr := NewTranslator(Options{DataPlane: xdstranslator.Checks{}})
		before := resultRoutes(tr.Translate(res))
		next := *res
		next.HTTPRoutes = slices.Clone(res.HTTPRoutes)
		next.HTTPRoutes[3] = statusWritten(res.HTTPRoutes[3])
		gone := weak.Make(res.HTTPRoutes[3])
		goneRules := weak.Make(&res.HTTPRoutes[3].Spec.Rules[0])
		res = nil
		out := tr.Translate(&next)
		if want, got := marshalResult(t, Translate(&next, tr.opts)), marshalResult(t, out); !bytes.Equal(want, got) {
			t.Fatalf("tracks %v: the result differs:\n%s", tracks, cmp.Diff(string(want), string(got)))
		}
		renewed := 0
		for k, r := range resultRoutes(out) {
			if before[k] != r {
				renewed++
			}
		}
		if tracks && (renewed != 0 || !tr.Patched()) {
			t.Fatalf("a status write renewed %d IR routes (patched: %v), want none, patched", renewed, tr.Patched())
		}
		if !tracks && renewed == 0 {
			t.Fatal("without GenerationTracksSpec, the new object's IR routes are the old ones")
		}
		runtime.GC()
		if tracks && (gone.Value() != nil || goneRules.Value() != nil) {
			t.Fatal("the Translator holds the route's old object")
		}
		runtime.KeepAlive(tr)
	}
}

// resultRoutes are a result's IR routes by listener, name and hostname.
func resultRoutes(out *Result) map[string]*ir.HTTPRoute {
	m := map[string]*ir.HTTPRoute{}
	for _, f := range out.Fleets {
		for _, l := range f.Xds.HTTP {
			for _, r := range l.Routes {
				m[l.Name+" "+r.Name+" "+r.Hostname] = r
			}
		}
	}
	return m
}

// TestTranslatorKeepsUnchangedRoutes checks that a route that did not
// change keeps its IR routes (their pointers), and that a changed one gets
// new ones.
func TestTranslatorKeepsUnchangedRoutes(t *testing.T) {
	res := benchResources(20)
	tr := NewTranslator(Options{DataPlane: xdstranslator.Checks{}})
	first := tr.Translate(res)
	changed := *res
	changed.HTTPRoutes = slices.Clone(res.HTTPRoutes)
	changed.HTTPRoutes[3] = changedRoute(rand.New(rand.NewPCG(1, 2)), res.HTTPRoutes[3])
	second := tr.Translate(&changed)
	before := map[string]any{}
	for _, l := range first.Fleets[0].Xds.HTTP {
		for _, r := range l.Routes {
			before[l.Name+" "+r.Name+" "+r.Hostname] = r
		}
	}
	kept, renewed := 0, 0
	prefix := "httproute/" + res.HTTPRoutes[3].Namespace + "/" + res.HTTPRoutes[3].Name + "/"
	for _, l := range second.Fleets[0].Xds.HTTP {
		for _, r := range l.Routes {
			old, ok := before[l.Name+" "+r.Name+" "+r.Hostname]
			isChanged := strings.HasPrefix(r.Name, prefix)
			switch {
			case isChanged && ok && old == any(r):
				t.Errorf("changed route %s kept its IR route", r.Name)
			case !isChanged && (!ok || old != any(r)):
				t.Errorf("unchanged route %s got a new IR route", r.Name)
			case isChanged:
				renewed++
			default:
				kept++
			}
		}
	}
	if kept == 0 || renewed == 0 {
		t.Fatalf("kept %d, renewed %d: the test does not test", kept, renewed)
	}
}

// TestTranslatorSeesWhatRoutesRead checks, on inputs where it matters,
// that a memoized route is built again when what it read changed while the
// route did not: its ReferenceGrant goes and comes back, its Service goes
// and comes back, its Gateway's listener (which it redirects to) moves.
func TestTranslatorSeesWhatRoutesRead(t *testing.T) {
	cases := []struct {
		input string
		edit  func(res *Resources) *Resources
	}{
		{"httproute-backend-cross-namespace-grant", func(res *Resources) *Resources {
			out := *res
			out.ReferenceGrants = nil
			return &out
		}},
		{"httproute-backend-cross-namespace-grant", func(res *Resources) *Resources {
			out := *res
			out.Services = nil
			return &out
		}},
		{"httproute-ratelimit", func(res *Resources) *Resources {
			out := *res
			out.RateLimitFilters = nil
			return &out
		}},
		{"httproute-redirect", func(res *Resources) *Resources {
			out := *res
			out.Gateways = slices.Clone(res.Gateways)
			gw := out.Gateways[0].DeepCopy()
			for i := range gw.Spec.Listeners {
				gw.Spec.Listeners[i].Port += 1000
			}
			out.Gateways[0] = gw
			return &out
		}},
	}
	for _, tc := range cases {
		data, err := os.ReadFile(filepath.Join("testdata", tc.input+".in.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		res, opts := loadGoldenInput(t, data)
		tr := NewTranslator(opts)
		edited := tc.edit(res)
		for i, step := range []*Resources{res, edited, res} {
			want := marshalResult(t, Translate(step, opts))
			if got := marshalResult(t, tr.Translate(step)); !bytes.Equal(want, got) {
				t.Fatalf("%s step %d: the Translator's result differs:\n%s", tc.input, i, cmp.Diff(string(want), string(got)))
			}
			if i == 1 && bytes.Equal(want, marshalResult(t, Translate(res, opts))) {
				t.Fatalf("%s: the edit changes nothing; the case tests nothing", tc.input)
			}
		}
	}
}

// TestTranslatorOrdersListenersAsTranslate runs a longer random sequence of
// changes over many routes sharing two listeners, so that the ordered
// routes of a listener are merged from the last order with routes coming,
// going and changing (several per step), and compares every result with a
// fresh Translate.
func TestTranslatorOrdersListenersAsTranslate(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	res := benchResources(60)
	tr := NewTranslator(Options{DataPlane: xdstranslator.Checks{}})
	pool := &Resources{}
	for step := range 60 {
		want := marshalResult(t, Translate(res, Options{DataPlane: xdstranslator.Checks{}}))
		if got := marshalResult(t, tr.Translate(res)); !bytes.Equal(want, got) {
			t.Fatalf("step %d: the Translator's result differs:\n%s", step, cmp.Diff(string(want), string(got)))
		}
		for range 1 + rng.IntN(3) {
			res = mutate(rng, []int{0, 2, 7}[rng.IntN(3)], res, pool)
		}
	}
}

// TestTranslatorSharesUnchangedListenerRoutes checks that a listener whose
// routes did not change gets the same IR route slice as the last call, and
// a new one when a route changed.
func TestTranslatorSharesUnchangedListenerRoutes(t *testing.T) {
	res := benchResources(20)
	tr := NewTranslator(Options{})
	first := tr.Translate(res).Fleets[0].Xds.HTTP
	again := *res
	second := tr.Translate(&again).Fleets[0].Xds.HTTP
	for i, l := range second {
		if &l.Routes[0] != &first[i].Routes[0] {
			t.Errorf("listener %s: unchanged routes, new slice", l.Name)
		}
	}
	changed := again
	changed.HTTPRoutes = slices.Clone(res.HTTPRoutes)
	changed.HTTPRoutes[3] = changedRoute(rand.New(rand.NewPCG(1, 2)), res.HTTPRoutes[3])
	third := tr.Translate(&changed).Fleets[0].Xds.HTTP
	for i, l := range third {
		if &l.Routes[0] == &second[i].Routes[0] {
			t.Errorf("listener %s: a route changed, same slice", l.Name)
		}
	}
}

// TestTranslatorKeepsTheIndexOfUnchangedKinds checks that a call takes over
// the previous call's maps of the kinds whose objects did not change, with
// their gens (so route memos are not checked again), and builds anew, with a
// new gen, the map of a kind that changed.
func TestTranslatorKeepsTheIndexOfUnchangedKinds(t *testing.T) {
	res := benchResources(50)
	tr := NewTranslator(Options{})
	tr.Translate(res)
	first := tr.idx
	next := *res
	next.HTTPRoutes = slices.Clone(res.HTTPRoutes)
	next.HTTPRoutes[3] = changedRoute(rand.New(rand.NewPCG(1, 2)), res.HTTPRoutes[3])
	tr.Translate(&next)
	if reflect.ValueOf(tr.idx.services).UnsafePointer() != reflect.ValueOf(first.services).UnsafePointer() || tr.idx.gens != first.gens {
		t.Fatalf("a route change rebuilt the index of Services (gens %v, were %v)", tr.idx.gens, first.gens)
	}
	moved := next
	moved.Services = slices.Clone(next.Services)
	svc := moved.Services[0].DeepCopy()
	svc.Spec.Ports[0].Port++
	moved.Services[0] = svc
	tr.Translate(&moved)
	if tr.idx.services[keyOf(svc.Namespace, svc.Name)] != svc || tr.idx.gens.services == first.gens.services {
		t.Fatalf("a Service change kept the old index of Services (gens %v, were %v)", tr.idx.gens, first.gens)
	}
	if tr.idx.gens.grants != first.gens.grants || tr.idx.gens.filters != first.gens.filters {
		t.Fatalf("a Service change rebuilt other maps (gens %v, were %v)", tr.idx.gens, first.gens)
	}
}

// TestTranslatorKeepsEqualClusters checks that a route built again (a new
// object) gives the IR clusters of the last call for its unchanged Service
// ports, not equal copies: the xDS translator skips the clusters it saw.
func TestTranslatorKeepsEqualClusters(t *testing.T) {
	res := benchResources(20)
	tr := NewTranslator(Options{DataPlane: xdstranslator.Checks{}})
	first := tr.Translate(res)
	changed := *res
	changed.HTTPRoutes = slices.Clone(res.HTTPRoutes)
	for i, r := range changed.HTTPRoutes {
		changed.HTTPRoutes[i] = r.DeepCopy() // every route is built again
	}
	second := tr.Translate(&changed)
	a, b := first.Fleets[0].Xds.Clusters, second.Fleets[0].Xds.Clusters
	if len(a) == 0 || !slices.Equal(a, b) {
		t.Fatalf("the clusters are not the same IR clusters: %d then %d", len(a), len(b))
	}
}

// TestTranslatorListenersShareIRRoutes checks that a route attached to two
// listeners with the same hostnames gives both the same IR routes, unless
// a rule redirects to the listener's port: then each listener has its own,
// with its port.
func TestTranslatorListenersShareIRRoutes(t *testing.T) {
	res := benchResources(20)
	redirecting := res.HTTPRoutes[5].DeepCopy()
	redirecting.Spec.Rules[0].Filters = []gwapiv1.HTTPRouteFilter{{
		Type:            gwapiv1.HTTPRouteFilterRequestRedirect,
		RequestRedirect: &gwapiv1.HTTPRequestRedirectFilter{Hostname: new(gwapiv1.PreciseHostname("elsewhere.example.com"))},
	}}
	redirecting.Spec.Rules[0].BackendRefs = nil
	res.HTTPRoutes[5] = redirecting
	prefix := "httproute/" + redirecting.Namespace + "/" + redirecting.Name + "/"

	want := Translate(res, Options{}).Fleets[0].Xds.HTTP
	got := NewTranslator(Options{}).Translate(res).Fleets[0].Xds.HTTP
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("the Translator's listeners differ from Translate's (-want +got):\n%s", diff)
	}
	if len(got) != 2 || got[0].Port == got[1].Port {
		t.Fatalf("want two HTTP listeners on two ports, got %d", len(got))
	}
	byName := map[string]*ir.HTTPRoute{}
	for _, r := range got[0].Routes {
		byName[r.Name+" "+r.Hostname] = r
	}
	shared, own := 0, 0
	for _, r := range got[1].Routes {
		other := byName[r.Name+" "+r.Hostname]
		switch {
		case other == nil:
			t.Errorf("route %s is on one listener only", r.Name)
		case strings.HasPrefix(r.Name, prefix): // all its rules: one redirects to the listener's port
			if other == r {
				t.Errorf("route %s redirects to the listener's port through one IR route", r.Name)
			}
			if r.Redirect != nil {
				ports := []uint32{*other.Redirect.Port, *r.Redirect.Port}
				if !slices.Equal(ports, []uint32{8080, 80}) && !slices.Equal(ports, []uint32{80, 8080}) {
					t.Errorf("route %s redirects to ports %v, want the listeners' 80 and 8080", r.Name, ports)
				}
			}
			own++
		case other != r:
			t.Errorf("route %s: one IR route per listener", r.Name)
		default:
			shared++
		}
	}
	if shared == 0 || own == 0 {
		t.Fatalf("%d shared, %d own: the test does not test", shared, own)
	}
}

// TestTranslatorSharesAcceptedConditions checks that the statuses of
// routes accepted with every reference resolved, at the same generation,
// hold one conditions slice, equal to Translate's, and that a route with
// an unresolved reference has its own.
func TestTranslatorSharesAcceptedConditions(t *testing.T) {
	res := benchResources(20)
	broken := res.HTTPRoutes[4].DeepCopy()
	broken.Spec.Rules[0].BackendRefs[0].Name = "no-such-service"
	res.HTTPRoutes[4] = broken
	want := Translate(res, Options{}).Statuses.HTTPRoutes.Slice()
	got := NewTranslator(Options{}).Translate(res).Statuses.HTTPRoutes.Slice()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("the Translator's route statuses differ from Translate's (-want +got):\n%s", diff)
	}
	var shared *metav1.Condition
	sharing := 0
	for _, s := range got {
		conds := s.Parents[0].Conditions
		if s.Name == broken.Name {
			if shared != nil && &conds[0] == shared {
				t.Errorf("route %s with an unresolved reference holds the accepted conditions", s.Name)
			}
			continue
		}
		if shared == nil {
			shared = &conds[0]
		}
		if &conds[0] == shared && cap(conds) == len(conds) {
			sharing++
		}
	}
	if sharing != len(got)-1 {
		t.Fatalf("%d of %d accepted routes share their conditions (clipped), want all", sharing, len(got)-1)
	}
}

// TestRulesEmitTheirTemplates checks that each rule's first emitted IR
// route is its template (no copy kept besides the routes), and that the
// result is Translate's.
func TestRulesEmitTheirTemplates(t *testing.T) {
	res := benchResources(20)
	tr := NewTranslator(Options{})
	got := tr.Translate(res).Fleets[0].Xds.HTTP
	if diff := cmp.Diff(Translate(res, Options{}).Fleets[0].Xds.HTTP, got); diff != "" {
		t.Fatalf("the Translator's listeners differ from Translate's (-want +got):\n%s", diff)
	}
	rules := 0
	for route, memo := range tr.http {
		emitted := map[*ir.HTTPRoute]bool{}
		for _, e := range memo.emitted {
			for _, o := range e.routes {
				emitted[o.route] = true
			}
		}
		for _, r := range memo.built.rules {
			rules++
			if !emitted[r.template] {
				t.Errorf("route %s rule %d: the template is not one of the emitted routes", route.Name, r.index)
			}
		}
	}
	if rules == 0 {
		t.Fatal("no rule: the test does not test")
	}
}
