package file

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/envoygw/envoy-gateway/internal/gatewayapi"
)

// randomFile is a file of one to three objects among a small set of keys,
// so that files define the same objects (duplicates) and slices of the same
// Services.
func randomFile(rng *rand.Rand, name string) *Parsed {
	p := &Parsed{}
	for d := range 1 + rng.IntN(3) {
		ns := fmt.Sprintf("ns-%d", rng.IntN(3))
		var obj client.Object
		switch rng.IntN(5) {
		case 0:
			obj = &gwapiv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("r%d", rng.IntN(4))}}
		case 1:
			obj = &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("s%d", rng.IntN(3))}}
		case 2:
			labels := map[string]string{discoveryv1.LabelServiceName: fmt.Sprintf("s%d", rng.IntN(3))}
			if rng.IntN(5) == 0 {
				labels = nil
			}
			obj = &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("e%d", rng.IntN(4)), Labels: labels}}
		case 3:
			obj = &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}
		default:
			obj = &gwapiv1.Gateway{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "gw"}}
		}
		p.Objects = append(p.Objects, Object{Source: Source{File: name, Document: int32(d + 1), Line: 1}, kind: kinds[gvkOf(obj)], Object: obj})
	}
	return p
}

func gvkOf(obj client.Object) schema.GroupVersionKind {
	switch obj.(type) {
	case *gwapiv1.HTTPRoute:
		return gatewayAPIv1.WithKind("HTTPRoute")
	case *gwapiv1.Gateway:
		return gatewayAPIv1.WithKind("Gateway")
	case *corev1.Service:
		return serviceGVK
	case *corev1.Namespace:
		return namespaceGVK
	}
	return endpointSliceGVK
}

// TestInForceGivesWhatBuildGives changes random files of a folder and
// checks, after each change, that the incremental snapshots are those Build
// and EndpointsOf compute from scratch.
func TestInForceGivesWhatBuildGives(t *testing.T) {
	for seed := range uint64(30) {
		rng := rand.New(rand.NewPCG(seed, 7))
		var prevEps *gatewayapi.Endpoints
		var prev *gatewayapi.Resources
		var prevLists map[string][]any
		prevImplicit := map[string]*corev1.Namespace{}
		f := newInForce()
		good := map[string]*Parsed{}
		for step := range 40 {
			name := fmt.Sprintf("f%02d.yaml", rng.IntN(12))
			if rng.IntN(4) == 0 {
				delete(good, name)
				f.set(name, nil)
			} else {
				p := randomFile(rng, name)
				good[name] = p
				f.set(name, p)
			}
			files := make([]*Parsed, 0, len(good))
			for _, n := range slices.Sorted(maps.Keys(good)) {
				files = append(files, good[n])
			}
			want, wantDups := Build(files, nil)
			wantEps := EndpointsOf(want)
			want.EndpointSlices = nil
			got := f.resources(nil)
			if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("seed %d step %d: resources differ (-Build +inForce):\n%s", seed, step, diff)
			}
			// Snapshots share the lists of unchanged kinds: taking this
			// one changed none of the last one's.
			if prev != nil && !reflect.DeepEqual(listsOf(prev), prevLists) {
				t.Fatalf("seed %d step %d: the last snapshot's lists changed", seed, step)
			}
			prev, prevLists = got, listsOf(got)
			prevImplicit = checkImplicitKept(t, prevImplicit, got.Namespaces, files)
			eps := f.endpointsSnapshot()
			if diff := cmp.Diff(wantEps.Services, eps.Services, cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("seed %d step %d: endpoints differ (-EndpointsOf +inForce):\n%s", seed, step, diff)
			}
			// A snapshot taken again unchanged is the same snapshot.
			if eps.Delta != nil && eps != prevEps {
				if err := gatewayapi.CheckDeltaFrom(prevEps, eps); err != nil {
					t.Fatalf("seed %d step %d: %v", seed, step, err)
				}
			}
			prevEps = eps
			if diff := cmp.Diff(wantDups, f.duplicates(), cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("seed %d step %d: duplicates differ (-Build +inForce):\n%s", seed, step, diff)
			}
			for _, o := range allObjects(files) {
				key := gatewayapi.ObjectKey{Namespace: o.Object.GetNamespace(), Name: o.Object.GetName()}
				if _, ok := f.source(o.GVK().Kind, key); !ok {
					t.Fatalf("seed %d step %d: no source for %s %v", seed, step, o.GVK().Kind, key)
				}
			}
		}
	}
}

// listsOf returns the elements of every list of r (pointers), by field.
func listsOf(r *gatewayapi.Resources) map[string][]any {
	out := map[string][]any{}
	v := reflect.ValueOf(r).Elem()
	for i := range v.NumField() {
		field := v.Field(i)
		if field.Kind() != reflect.Slice {
			continue
		}
		elems := make([]any, field.Len())
		for j := range elems {
			elems[j] = field.Index(j).Interface()
		}
		out[v.Type().Field(i).Name] = elems
	}
	return out
}

// checkImplicitKept checks that the implicit Namespaces of a snapshot (not
// objects of files) that were implicit in the last one are the same
// objects, and returns them by name.
func checkImplicitKept(t *testing.T, prev map[string]*corev1.Namespace, namespaces []*corev1.Namespace, files []*Parsed) map[string]*corev1.Namespace {
	t.Helper()
	declared := map[*corev1.Namespace]bool{}
	for _, o := range allObjects(files) {
		if ns, ok := o.Object.(*corev1.Namespace); ok {
			declared[ns] = true
		}
	}
	out := map[string]*corev1.Namespace{}
	for _, ns := range namespaces {
		if declared[ns] {
			continue
		}
		if p := prev[ns.Name]; p != nil && p != ns {
			t.Fatalf("the implicit Namespace %s is a new object, though it was implicit before", ns.Name)
		}
		out[ns.Name] = ns
	}
	return out
}

func allObjects(files []*Parsed) []Object {
	var out []Object
	for _, p := range files {
		out = append(out, p.Objects...)
	}
	return out
}
