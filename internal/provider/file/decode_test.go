package file

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/envoygw/envoy-gateway/internal/intern"
	"github.com/envoygw/envoy-gateway/internal/validation"
)

const gatewayYAML = `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: eg
spec:
  controllerName: gateway.envoyproxy.io/gatewayclass-controller
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: eg
spec:
  gatewayClassName: eg
  listeners:
  - name: http
    protocol: HTTP
    port: 8080
`

const routeYAML = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: backend
  namespace: team-a
spec:
  parentRefs:
  - name: eg
    namespace: default
  rules:
  - backendRefs:
    - name: backend
      port: 3000
`

func parseOne(t *testing.T, name, data string) *Parsed {
	t.Helper()
	out, err := Parse(context.Background(), []FileData{{Name: name, Data: []byte(data)}}, ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return out[0]
}

func TestParseValidDocuments(t *testing.T) {
	p := parseOne(t, "gw.yaml", gatewayYAML+"---\n"+routeYAML)
	if len(p.Errors()) > 0 || len(p.Warnings()) > 0 {
		t.Fatalf("unexpected problems: %v %v", p.Errors(), p.Warnings())
	}
	if len(p.Objects) != 3 {
		t.Fatalf("got %d objects, want 3", len(p.Objects))
	}
	gw := p.Objects[1].Object.(*gwapiv1.Gateway)
	if gw.Namespace != DefaultNamespace {
		t.Errorf("gateway namespace = %q, want %q", gw.Namespace, DefaultNamespace)
	}
	if gw.Generation != 1 {
		t.Errorf("generation = %d, want 1", gw.Generation)
	}
	if gw.Spec.Listeners[0].AllowedRoutes == nil || *gw.Spec.Listeners[0].AllowedRoutes.Namespaces.From != gwapiv1.NamespacesFromSame {
		t.Errorf("allowedRoutes not defaulted: %+v", gw.Spec.Listeners[0].AllowedRoutes)
	}
	want := Source{File: "gw.yaml", Document: 3, Line: 19}
	if diff := cmp.Diff(want, p.Objects[2].Source); diff != "" {
		t.Errorf("route source (-want +got):\n%s", diff)
	}
}

func TestParseReportsFileDocumentAndField(t *testing.T) {
	bad := strings.Replace(routeYAML, "port: 3000", "port: 0", 1)
	p := parseOne(t, "routes.yaml", gatewayYAML+"---\n"+bad)
	if len(p.Errors()) != 1 {
		t.Fatalf("got errors %v, want 1", p.Errors())
	}
	got := p.Errors()[0].Error()
	want := "routes.yaml: document 3 (line 19): HTTPRoute team-a/backend: spec.rules[0].backendRefs[0].port (line 31): Invalid value: 0: spec.rules[0].backendRefs[0].port in body should be greater than or equal to 1"
	if got != want {
		t.Errorf("error:\n got %s\nwant %s", got, want)
	}
}

func TestParseYAMLSyntaxError(t *testing.T) {
	p := parseOne(t, "broken.yaml", gatewayYAML+"---\nkind: [\n")
	if len(p.Errors()) != 1 || p.Errors()[0].Document != 3 || !strings.Contains(p.Errors()[0].Message, "invalid YAML") {
		t.Fatalf("got %v, want one YAML error in document 3", p.Errors())
	}
}

func TestParseIgnoresOtherKinds(t *testing.T) {
	p := parseOne(t, "pod.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: c}\n")
	if len(p.Errors()) != 0 || len(p.Warnings()) != 1 || len(p.Objects) != 0 {
		t.Fatalf("got objects %v errors %v warnings %v, want one warning", p.Objects, p.Errors(), p.Warnings())
	}
}

func TestParseList(t *testing.T) {
	p := parseOne(t, "list.yaml", `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Namespace
  metadata: {name: team-a}
- apiVersion: v1
  kind: Service
  metadata: {name: Bad_Name}
  spec: {ports: [{port: 80}]}
`)
	if len(p.Objects) != 1 || len(p.Errors()) != 1 || p.Errors()[0].Field != "items[1].metadata.name" {
		t.Fatalf("got objects %d errors %v, want 1 object and an error on items[1].metadata.name", len(p.Objects), p.Errors())
	}
}

func TestParseReadsV1beta1AsV1(t *testing.T) {
	p := parseOne(t, "old.yaml", strings.Replace(routeYAML, "gateway.networking.k8s.io/v1", "gateway.networking.k8s.io/v1beta1", 1))
	if len(p.Errors()) != 0 || len(p.Objects) != 1 {
		t.Fatalf("got %v, want one object", p.Errors())
	}
	if _, ok := p.Objects[0].Object.(*gwapiv1.HTTPRoute); !ok || p.Objects[0].GVK().Version != "v1" {
		t.Errorf("v1beta1 HTTPRoute not read as v1: %v", p.Objects[0].GVK())
	}
}

func TestBuildImplicitNamespacesAndDuplicates(t *testing.T) {
	a := parseOne(t, "a.yaml", gatewayYAML+"---\n"+routeYAML)
	b := parseOne(t, "b.yaml", routeYAML+"---\napiVersion: v1\nkind: Namespace\nmetadata: {name: declared}\n")
	res, problems := Build([]*Parsed{a, b}, nil)
	if len(problems) != 1 || problems[0].File != "b.yaml" || !strings.Contains(problems[0].Message, "already defined in a.yaml document 3 (the first definition is used)") {
		t.Fatalf("problems = %v, want the duplicate route in b.yaml", problems)
	}
	names := make([]string, 0, len(res.Namespaces))
	for _, ns := range res.Namespaces {
		names = append(names, ns.Name)
		if ns.Labels[corev1.LabelMetadataName] != ns.Name {
			t.Errorf("namespace %s lacks its %s label", ns.Name, corev1.LabelMetadataName)
		}
	}
	if diff := cmp.Diff([]string{"declared", "default", "team-a"}, names); diff != "" {
		t.Errorf("namespaces (-want +got):\n%s", diff)
	}
	if len(res.HTTPRoutes) != 1 || len(res.Gateways) != 1 || len(res.GatewayClasses) != 1 {
		t.Errorf("unexpected resources: %+v", res)
	}
}

func TestParseCacheReusesUnchangedDocuments(t *testing.T) {
	cache := NewDocumentCache()
	parse := func(data string) *Parsed {
		out, err := Parse(context.Background(), []FileData{{Name: "f.yaml", Data: []byte(data)}}, ParseOptions{Cache: cache})
		if err != nil {
			t.Fatal(err)
		}
		return out[0]
	}
	first := parse(gatewayYAML + "---\n" + routeYAML)
	// A new document before the others shifts their index and line.
	second := parse(routeYAML + "---\n" + gatewayYAML + "---\n" + routeYAML)
	// The route is defined twice: Parse does not mind (Build reports it).
	if len(second.Errors()) != 0 || len(second.Objects) != 4 {
		t.Fatalf("second parse: %d objects, errors %v", len(second.Objects), second.Errors())
	}
	gw := second.Objects[2]
	if gw.Object != first.Objects[1].Object {
		t.Error("an unchanged document was decoded again")
	}
	if gw.Source.Document != 3 || gw.Source.Line != 22 {
		t.Errorf("reused document source = %+v, want document 3 line 22", gw.Source)
	}
}

// TestParseCacheSkipsFilesOfOneDocument checks that a file of one
// document leaves nothing in the cache, and that one growing to several
// documents, then back to one, keeps entries only while it has several.
func TestParseCacheSkipsFilesOfOneDocument(t *testing.T) {
	cache := NewDocumentCache()
	for _, tc := range []struct {
		data    string
		entries int
	}{
		{routeYAML, 0},
		{routeYAML + "---\n" + strings.Replace(routeYAML, "name: ", "name: other-", 1), 2},
		{routeYAML, 0},
	} {
		if _, err := Parse(context.Background(), []FileData{{Name: "f.yaml", Data: []byte(tc.data)}}, ParseOptions{Cache: cache}); err != nil {
			t.Fatal(err)
		}
		if len(cache.docs) != tc.entries || len(cache.keys["f.yaml"]) != tc.entries {
			t.Errorf("%d cached documents (%d keys), want %d", len(cache.docs), len(cache.keys["f.yaml"]), tc.entries)
		}
	}
}

func TestParseRejectsUnservedVersions(t *testing.T) {
	p := parseOne(t, "old.yaml", strings.Replace(routeYAML, "gateway.networking.k8s.io/v1", "gateway.networking.k8s.io/v1alpha1", 1))
	if len(p.Errors()) != 1 || p.Errors()[0].Field != "apiVersion" {
		t.Fatalf("errors = %v, want one apiVersion error", p.Errors())
	}
}

// TestTypedObjectsAreTheUnstructuredConversions checks, over the resource
// translator's test inputs, that each validated object decoded from its
// JSON (docResult.decodeTyped) equals the unstructured converter's object
// of the same content, nil and empty values told apart, with the values
// that repeat across the inputs shared (one intern.Table for all).
func TestTypedObjectsAreTheUnstructuredConversions(t *testing.T) {
	v, err := validation.Default()
	if err != nil {
		t.Fatal(err)
	}
	inputs, err := filepath.Glob("../../gatewayapi/testdata/*.in.yaml")
	if err != nil || len(inputs) < 50 {
		t.Fatalf("%d inputs (%v)", len(inputs), err)
	}
	converted := 0
	values := &intern.Table{}
	for _, in := range inputs {
		data, err := os.ReadFile(in)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range splitDocuments(data) {
			r := decodeDocument(context.Background(), v, Source{File: in, Document: int32(d.Index)}, d.Data)
			want := make([]client.Object, len(r.encoded))
			for i, e := range r.encoded {
				var content map[string]any
				if err := utiljson.Unmarshal(e.json, &content); err != nil {
					t.Fatal(err)
				}
				want[i] = r.objects[i].kind.newObject()
				if err := k8sruntime.DefaultUnstructuredConverter.FromUnstructured(content, want[i]); err != nil {
					t.Fatalf("%s document %d: %v", in, d.Index, err)
				}
			}
			r.decodeTyped(values)
			if len(r.objects) != len(want) {
				t.Fatalf("%s document %d: %d objects decoded of %d", in, d.Index, len(r.objects), len(want))
			}
			for i, o := range r.objects {
				if diff := cmp.Diff(want[i], o.Object); diff != "" {
					t.Errorf("%s document %d: decoded object differs from the converter's (-converter +decoded):\n%s", in, d.Index, diff)
				}
				converted++
			}
		}
	}
	t.Logf("%d objects of %d files compared", converted, len(inputs))
}

// TestDecodeTypedReportsObjectsThatDoNotConvert: an encoded object that
// does not fit its Go type is left out, with its problem.
func TestDecodeTypedReportsObjectsThatDoNotConvert(t *testing.T) {
	route := gatewayAPIv1.WithKind("HTTPRoute")
	src := Source{File: "routes.yaml", Document: 1, Line: 1}
	r := docResult{
		objects: []Object{{Source: src, kind: kinds[route]}, {Source: src, kind: kinds[route]}},
		encoded: []encodedObject{
			{json: []byte(`{"metadata":{"name":"good"},"spec":{"hostnames":["a.example.com"]}}`)},
			{json: []byte(`{"metadata":{"name":"bad"},"spec":{"hostnames":5}}`),
				problem: Problem{Source: src, Kind: "HTTPRoute", Name: "bad"}},
		},
	}
	r.decodeTyped(&intern.Table{})
	if len(r.objects) != 1 || r.objects[0].Object.GetName() != "good" || r.objects[0].Object.GetObjectKind().GroupVersionKind() != route {
		t.Fatalf("objects %+v, want the good route alone, with its kind", r.objects)
	}
	if len(r.errors) != 1 || r.errors[0].Name != "bad" || !strings.Contains(r.errors[0].Message, "hostnames") || r.encoded != nil {
		t.Fatalf("errors %+v (encoded %d), want the bad route's conversion error", r.errors, len(r.encoded))
	}
}

// TestParseLeavesEndpointSlicesNoRoom: an EndpointSlice's endpoints are
// held in an array of their size, not in the one decoding grew (room for 4
// after 3), which the provider would keep as long as the slice.
func TestParseLeavesEndpointSlicesNoRoom(t *testing.T) {
	p := parseOne(t, "slice.yaml", `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-1, namespace: ns, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
ports: [{name: http, port: 8080, protocol: TCP}]
endpoints:
- addresses: [10.0.0.1]
- addresses: [10.0.0.2]
- addresses: [10.0.0.3]
`)
	if len(p.Errors()) > 0 || len(p.Objects) != 1 {
		t.Fatalf("objects %d, errors %v", len(p.Objects), p.Errors())
	}
	s := p.Objects[0].Object.(*discoveryv1.EndpointSlice)
	if len(s.Endpoints) != 3 || cap(s.Endpoints) > 3 {
		t.Errorf("%d endpoints in an array of %d", len(s.Endpoints), cap(s.Endpoints))
	}
}

// TestObjectsShareTheirKindsStrings checks that decoded objects hold their
// kind's group/version/kind and TypeMeta strings, not copies of their own
// (50,000 objects held about 3 MB of copies), for a kind read as it is
// and one read as another version.
func TestObjectsShareTheirKindsStrings(t *testing.T) {
	v1beta1 := strings.Replace(routeYAML, "gateway.networking.k8s.io/v1", "gateway.networking.k8s.io/v1beta1", 1)
	for _, data := range []string{routeYAML, v1beta1} {
		o := parseOne(t, "f.yaml", data).Objects[0]
		k := o.kind
		tm := o.Object.GetObjectKind().(*metav1.TypeMeta)
		for _, s := range []struct{ got, held string }{
			{o.GVK().Group, k.gvk.Group}, {o.GVK().Kind, k.gvk.Kind}, {tm.APIVersion, k.typeMeta.APIVersion}, {tm.Kind, k.typeMeta.Kind},
		} {
			if s.got != s.held || unsafe.StringData(s.got) != unsafe.StringData(s.held) {
				t.Errorf("%q is not the kind's string %q", s.got, s.held)
			}
		}
		if tm.APIVersion != "gateway.networking.k8s.io/v1" || tm.Kind != "HTTPRoute" {
			t.Errorf("TypeMeta = %+v", tm)
		}
	}
}

// TestKindNamesAreDistinct checks what objectKey relies on: no two kinds
// the provider reads share a name.
func TestKindNamesAreDistinct(t *testing.T) {
	seen := map[string]schema.GroupVersionKind{}
	for gvk := range kinds {
		if other, dup := seen[gvk.Kind]; dup {
			t.Errorf("%v and %v share their name: objectKey would mix their objects", gvk, other)
		}
		seen[gvk.Kind] = gvk
	}
}

// TestObjectIsSmall keeps an Object at 48 bytes: the provider holds one
// per object read (50,000 at 10,000 routes), in slices of one per file,
// and one of 49 bytes or more takes the 64-byte size class.
func TestObjectIsSmall(t *testing.T) {
	if n := unsafe.Sizeof(Object{}); n > 48 {
		t.Fatalf("an Object is %d bytes, want at most 48", n)
	}
}
