package validation

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/envoygw/envoy-gateway/internal/testenv"
)

// invalidCorpus are objects breaking schema, list-type and CEL rules of
// the Gateway API CRDs and ours (and some valid ones).
var invalidCorpus = []string{
	minimalRoute,
	minimalRoute + "  bogus: 1\n",
	strings.Replace(minimalRoute, "metadata: {name: r, namespace: default}", "metadata: {name: r, namespace: default, bogus: 1}", 1),
	strings.Replace(minimalRoute, "name: r,", "name: Not_Valid,", 1),
	strings.Replace(minimalRoute, "port: 80", "port: 70000", 1),
	strings.Replace(minimalRoute, "port: 80", "port: eighty", 1),
	strings.Replace(minimalRoute, "parentRefs: [{name: eg}]", "parentRefs: [{name: eg}, {name: eg}]", 1),
	`apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: default}
spec:
  parentRefs: [{name: eg, sectionName: http}]
  rules:
  - matches:
    - path: {type: PathPrefix, value: "/a//b"}
    - path: {type: Exact, value: "/x/../y"}
    - path: {type: RegularExpression, value: "^/re"}
    filters:
    - type: RequestHeaderModifier
      requestHeaderModifier: {set: [{name: a, value: b}]}
    - type: RequestHeaderModifier
      requestHeaderModifier: {add: [{name: c, value: d}]}
    - type: RequestRedirect
      requestRedirect: {statusCode: 301, path: {type: ReplaceFullPath, replacePrefixMatch: /x}}
    - type: URLRewrite
      responseHeaderModifier: {set: [{name: a, value: b}]}
    backendRefs:
    - {name: svc, port: 80}
    - {group: "", kind: Service, name: noport}
    timeouts: {request: 1s, backendRequest: 2s}
`,
	`apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: eg, namespace: default}
spec:
  gatewayClassName: eg
  listeners:
  - {name: http, protocol: HTTP, port: 80, tls: {certificateRefs: [{name: cert}]}}
  - {name: https, protocol: HTTPS, port: 443}
  - {name: tcp, protocol: TCP, port: 9000, hostname: example.com}
  - {name: dup, protocol: HTTP, port: 80}
  - {name: dup, protocol: HTTP, port: 81}
`,
	`apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: eg, namespace: default}
spec:
  listeners: []
`,
	`apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: {name: t, namespace: default}
spec:
  parentRefs: [{name: eg}]
  hostnames: ["a.example.com", "*.b.example.com", "bad..name"]
  rules:
  - backendRefs: [{name: svc}]
`,
	`apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: eg}
spec:
  controllerName: not a domain/path
  parametersRef: {group: gateway.envoyproxy.io, kind: EnvoyProxy, name: p, namespace: default}
`,
	`apiVersion: gateway.networking.k8s.io/v1
kind: ReferenceGrant
metadata: {name: g, namespace: default}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: other}]
  to: [{group: "", kind: Service}]
`,
	`apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyProxy
metadata: {name: p, namespace: default}
spec: {mergeGateways: "yes", unknown: {}}
`,
}

// TestErrorsMatchAPIServer creates the corpus (invalidCorpus, the resource
// translator's golden inputs and random mutations of them) on a real
// kube-apiserver (envtest, dry run, strict field validation) and checks
// that Validate reports exactly the errors the API server reports, for
// every custom resource.
func TestErrorsMatchAPIServer(t *testing.T) {
	c := startAPIServer(t)
	v, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	docs := crdDocuments(t, v)
	docs = append(docs, mutations(docs, 300)...)
	createNamespaces(t, c, docs)
	rejected := 0
	for _, obj := range docs {
		want := apiServerErrors(t, c, obj)
		got := validatorErrors(v, obj)
		if want != nil {
			rejected++
		}
		if diff := cmp.Diff(want, got); diff != "" {
			js, _ := utiljson.Marshal(obj)
			t.Errorf("%s: errors differ from the API server's (-apiserver +ours):\n%s", js, diff)
		}
	}
	t.Logf("%d objects, %d rejected", len(docs), rejected)
	if rejected < len(docs)/10 || rejected == len(docs) {
		t.Errorf("%d of %d objects rejected: the corpus does not exercise both outcomes", rejected, len(docs))
	}
}

// startAPIServer starts envtest with our CRDs and the Gateway API ones.
func startAPIServer(t *testing.T) client.Client {
	t.Helper()
	env, err := testenv.NewEnvironment()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := env.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Error(err)
		}
	})
	c, err := client.New(cfg, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// crdDocuments returns invalidCorpus and the CRD-kind documents of the
// resource translator's golden inputs, decoded.
func crdDocuments(t *testing.T, v *Validator) []map[string]any {
	t.Helper()
	texts := slices.Clone(invalidCorpus)
	files, err := filepath.Glob(filepath.Join("..", "gatewayapi", "testdata", "*.in.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden inputs (%v)", err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		texts = append(texts, strings.Split(string(data), "\n---\n")...)
	}
	var docs []map[string]any
	for _, text := range texts {
		js, err := yaml.YAMLToJSONStrict([]byte(text))
		if err != nil {
			t.Fatalf("%v:\n%s", err, text)
		}
		var obj map[string]any
		if err := utiljson.Unmarshal(js, &obj); err != nil || obj == nil {
			continue // comments only
		}
		u := &unstructured.Unstructured{Object: obj}
		if cv, ok := v.kinds[u.GroupVersionKind()].(*crdValidator); ok {
			if cv.scoped && u.GetNamespace() == "" {
				u.SetNamespace("default") // the API server takes it from the request
			}
			docs = append(docs, obj)
		}
	}
	return docs
}

// mutations returns n copies of random documents, each with one random
// change: a value replaced by one of another type or out of range, a field
// removed, a list element duplicated, an unknown field added.
func mutations(docs []map[string]any, n int) []map[string]any {
	rng := rand.New(rand.NewPCG(1, 2))
	out := make([]map[string]any, 0, n)
	for len(out) < n {
		doc := runtimeDeepCopy(docs[rng.IntN(len(docs))])
		spec, ok := doc["spec"].(map[string]any)
		if !ok {
			continue
		}
		mutate(rng, spec)
		out = append(out, doc)
	}
	return out
}

// mutate changes one value somewhere below v.
func mutate(rng *rand.Rand, v any) {
	switch t := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if len(keys) == 0 || rng.IntN(4) == 0 {
			mutateMap(rng, t, keys)
			return
		}
		k := keys[rng.IntN(len(keys))]
		if child, ok := t[k].(map[string]any); ok {
			mutate(rng, child)
			return
		}
		if child, ok := t[k].([]any); ok && len(child) > 0 && rng.IntN(3) > 0 {
			if rng.IntN(4) == 0 {
				t[k] = append(child, runtimeDeepCopyValue(child[0]))
				return
			}
			mutate(rng, child[rng.IntN(len(child))])
			return
		}
		t[k] = replacement(rng, t[k])
	case []any:
		if len(t) > 0 {
			mutate(rng, t[rng.IntN(len(t))])
		}
	}
}

func mutateMap(rng *rand.Rand, m map[string]any, keys []string) {
	switch {
	case len(keys) > 0 && rng.IntN(2) == 0:
		delete(m, keys[rng.IntN(len(keys))])
	default:
		m[fmt.Sprintf("unknown%d", rng.IntN(3))] = "x"
	}
}

// replacement returns a value to put in place of old.
func replacement(rng *rand.Rand, old any) any {
	candidates := []any{"", "x", "/a//b", "UPPER_case", strings.Repeat("a", 300), int64(0), int64(-1), int64(70000), true, nil, map[string]any{}, []any{}}
	if s, ok := old.(string); ok && s != "" {
		candidates = append(candidates, s+"/..", "*."+s)
	}
	return candidates[rng.IntN(len(candidates))]
}

func runtimeDeepCopyValue(v any) any {
	return runtimeDeepCopy(map[string]any{"v": v})["v"]
}

// createNamespaces creates the namespaces the documents use.
func createNamespaces(t *testing.T, c client.Client, docs []map[string]any) {
	t.Helper()
	seen := map[string]bool{}
	for _, obj := range docs {
		ns := (&unstructured.Unstructured{Object: obj}).GetNamespace()
		if ns == "" || seen[ns] {
			continue
		}
		seen[ns] = true
		err := c.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
		if err != nil && !apierrors.IsAlreadyExists(err) && !apierrors.IsInvalid(err) {
			t.Fatal(err)
		}
	}
}

// apiServerErrors creates obj with a dry run and returns the errors, as
// "field: detail" sorted (nil when accepted). A strict decoding error (the
// request fails before validation) is returned as one string.
func apiServerErrors(t *testing.T, c client.Client, obj map[string]any) []string {
	t.Helper()
	u := &unstructured.Unstructured{Object: runtimeDeepCopy(obj)}
	err := c.Create(context.Background(), u, client.DryRunAll, client.FieldValidation(metav1.FieldValidationStrict))
	if err == nil {
		return nil
	}
	var status apierrors.APIStatus
	if !errors.As(err, &status) {
		t.Fatalf("creating %s: %v", u.GetName(), err)
	}
	s := status.Status()
	if s.Reason != metav1.StatusReasonInvalid || s.Details == nil {
		// "<Kind> in version ... cannot be handled as a <Kind>: strict decoding error: ..."
		if i := strings.Index(s.Message, "strict decoding error: "); i >= 0 {
			return []string{s.Message[i:]}
		}
		return []string{s.Message}
	}
	out := make([]string, 0, len(s.Details.Causes))
	for _, cause := range s.Details.Causes {
		out = append(out, cause.Field+": "+cause.Message)
	}
	slices.Sort(out)
	return out
}

// validatorErrors validates a copy of obj and returns the errors in the
// form of apiServerErrors.
func validatorErrors(v *Validator, obj map[string]any) []string {
	errs := v.Validate(context.Background(), &unstructured.Unstructured{Object: runtimeDeepCopy(obj)})
	if len(errs) == 0 {
		return nil
	}
	var unknown []string
	for _, e := range errs {
		if e.Type == field.ErrorTypeForbidden && e.Detail == "unknown field" {
			unknown = append(unknown, fmt.Sprintf("unknown field %q", e.Field))
		}
	}
	if len(unknown) == len(errs) { // the decoder's error, before validation
		return []string{"strict decoding error: " + strings.Join(unknown, ", ")}
	}
	out := make([]string, 0, len(errs))
	for _, e := range errs {
		out = append(out, e.Field+": "+e.ErrorBody())
	}
	slices.Sort(out)
	return out
}
