package validation

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/cel-go/common/types"
	"github.com/google/go-cmp/cmp"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"k8s.io/apiserver/pkg/cel/common"
	"sigs.k8s.io/yaml"
)

// celCorpus are objects breaking (or keeping) CEL rules of the Gateway API CRDs.
var celCorpus = []string{
	minimalRoute,
	// Duplicate parentRefs.
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
`,
	`apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: eg, namespace: default}
spec:
  gatewayClassName: eg
  listeners:
  - name: https
    protocol: HTTPS
    port: 443
    hostname: "*.example.com"
    tls: {mode: Terminate, certificateRefs: [{name: cert}]}
    allowedRoutes: {namespaces: {from: Selector}}
`,
	`apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: {name: t, namespace: default}
spec:
  parentRefs: [{name: eg}]
  hostnames: ["a.example.com"]
  rules:
  - backendRefs: [{name: svc}]
`,
	`apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: eg}
spec:
  controllerName: gateway.envoyproxy.io/gatewayclass-controller
  parametersRef: {group: gateway.envoyproxy.io, kind: EnvoyProxy, name: p, namespace: default}
`,
	`apiVersion: gateway.networking.k8s.io/v1
kind: ReferenceGrant
metadata: {name: g, namespace: default}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: other}]
  to: [{group: "", kind: Service}]
`,
}

// corpusFiles adds the resource translator's golden inputs when present.
func corpusFiles(t *testing.T) []string {
	docs := slices.Clone(celCorpus)
	files, _ := filepath.Glob(filepath.Join("..", "gatewayapi", "testdata", "*.in.yaml"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, strings.Split(string(data), "\n---\n")...)
	}
	return docs
}

// TestCELMatchesUpstream checks that celValidator reports exactly what
// k8s.io/apiextensions-apiserver's cel.Validator reports.
func TestCELMatchesUpstream(t *testing.T) {
	v, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	upstream := map[*crdValidator]*cel.Validator{}
	checked, failing := 0, 0
	for i, doc := range corpusFiles(t) {
		js, err := yaml.YAMLToJSON([]byte(doc))
		if err != nil {
			continue
		}
		var obj map[string]any
		if err := utiljson.Unmarshal(js, &obj); err != nil || obj == nil {
			continue
		}
		u := &unstructured.Unstructured{Object: obj}
		cv, ok := v.kinds[u.GroupVersionKind()].(*crdValidator)
		if !ok {
			continue
		}
		cv.once.Do(cv.compile)
		if upstream[cv] == nil {
			upstream[cv] = cel.NewValidator(cv.structural, true, celconfig.PerCallLimit)
		}
		structuraldefaulting.Default(u.Object, cv.structural)
		want, wantBudget := upstream[cv].Validate(context.Background(), nil, cv.structural, u.Object, nil, celconfig.RuntimeCELCostBudget)
		got, gotBudget := cv.cel.validate(context.Background(), nil, u.Object, celconfig.RuntimeCELCostBudget)
		if diff := cmp.Diff(sortedErrors(want.ToAggregate()), sortedErrors(got.ToAggregate())); diff != "" {
			t.Errorf("document %d (%s): errors differ (-upstream +ours):\n%s", i, u.GetKind(), diff)
		}
		if wantBudget != gotBudget {
			t.Errorf("document %d: remaining budget %d, upstream %d", i, gotBudget, wantBudget)
		}
		checked++
		if len(want) > 0 {
			failing++
		}
	}
	if failing < 4 {
		t.Errorf("only %d documents break CEL rules; the corpus should exercise failures", failing)
	}
	if checked < len(celCorpus) {
		t.Fatalf("checked %d documents, want at least %d", checked, len(celCorpus))
	}
	t.Logf("checked %d documents, %d with CEL errors", checked, failing)
}

func sortedErrors(agg interface{ Errors() []error }) []string {
	if agg == nil {
		return nil
	}
	var out []string
	for _, e := range agg.Errors() {
		out = append(out, e.Error())
	}
	slices.Sort(out)
	return out
}

// TestCELQuickValidNeverHidesErrors checks quickValid against validate on
// the corpus and random mutations of it: when quickValid says valid (on an
// object CEL runs on: no blocking schema error), validate finds no error
// and the cost it charges stays within the static bound quickValid summed.
func TestCELQuickValidNeverHidesErrors(t *testing.T) {
	v, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(3, 4))
	var objects, quick, mutations, mutationsQuick int
	for _, doc := range corpusFiles(t) {
		obj, cv := prepared(t, v, doc)
		if cv == nil || cv.cel == nil {
			continue
		}
		for i := range 21 {
			m := obj
			if i > 0 {
				m = runtimeDeepCopy(obj)
				mutate(rng, m)
			}
			if blocking(apiservervalidation.ValidateCustomResource(nil, m, cv.schema)) {
				continue
			}
			var bound uint64
			ok := cv.cel.quickValid(m, celconfig.PerCallLimit, &bound)
			errs, remaining := cv.cel.validate(ctx, nil, m, celconfig.RuntimeCELCostBudget)
			if ok {
				if len(errs) > 0 {
					t.Errorf("quickValid says valid, validate says %v\nfrom:\n%s", errs.ToAggregate(), doc)
				}
				if used := uint64(celconfig.RuntimeCELCostBudget - remaining); used > bound {
					t.Errorf("cost %d beyond the static bound %d\nfrom:\n%s", used, bound, doc)
				}
			}
			if i == 0 {
				objects++
				if ok {
					quick++
				}
			} else {
				mutations++
				if ok {
					mutationsQuick++
				}
			}
		}
	}
	t.Logf("%d objects (%d quick), %d mutations (%d quick)", objects, quick, mutations, mutationsQuick)
	if quick < objects/2 || mutationsQuick < mutations/4 {
		t.Error("the corpus does not exercise quickValid enough")
	}
}

// TestUnmeteredProgramsTrackNoCost checks that withoutCostTracking takes
// effect: the programs quickValid runs report no cost, the metered ones do.
func TestUnmeteredProgramsTrackNoCost(t *testing.T) {
	if withoutCostTracking == nil {
		t.Fatal("cel-go's program type changed: update clearEvalOption")
	}
	v, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	obj, cv := prepared(t, v, minimalRoute)
	spec := cv.cel.properties["spec"]
	refs := spec.properties["parentRefs"]
	if refs == nil {
		t.Fatal("no CEL validator for spec.parentRefs")
	}
	refs.compile()
	if len(refs.unmetered) == 0 || refs.unmetered[0] == nil {
		t.Fatal("no unmetered program for the spec.parentRefs rules")
	}
	self := common.UnstructuredToVal(obj["spec"].(map[string]any)["parentRefs"], refs.activationSchema)
	activation := &celActivation{self: self}
	_, details, err := refs.unmetered[0].Eval(activation)
	if err != nil {
		t.Fatal(err)
	}
	if details != nil && details.ActualCost() != nil {
		t.Errorf("unmetered program tracked a cost of %d", *details.ActualCost())
	}
	_, details, _ = refs.compiled[0].Program.Eval(activation)
	if details == nil || details.ActualCost() == nil {
		t.Error("metered program tracked no cost")
	}
}

// TestQuickValuesMatchUpstream evaluates every rule of the corpus objects
// and of mutations of them on values made by quickVal and by upstream's
// common.UnstructuredToVal: the results must be the same.
func TestQuickValuesMatchUpstream(t *testing.T) {
	v, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	evaluated := 0
	for _, doc := range corpusFiles(t) {
		obj, cv := prepared(t, v, doc)
		if cv == nil || cv.cel == nil {
			continue
		}
		for i := range 11 {
			m := obj
			if i > 0 {
				m = runtimeDeepCopy(obj)
				mutate(rng, m)
			}
			evaluated += compareRuleValues(t, cv.cel, m, doc)
		}
	}
	t.Logf("%d rule evaluations compared", evaluated)
	if evaluated < 10000 {
		t.Error("too few rule evaluations compared")
	}
}

// compareRuleValues evaluates the rules of v and below on obj with both
// kinds of values and reports differences; it returns how many it compared.
func compareRuleValues(t *testing.T, v *celValidator, obj any, doc string) int {
	t.Helper()
	if v == nil || obj == nil {
		return 0
	}
	v.compile()
	n := 0
	for i, prog := range v.unmetered {
		if prog == nil {
			continue
		}
		quick, _, quickErr := prog.Eval(&celActivation{self: quickVal(obj, v.activationSchema), hasOldSelf: true, oldSelf: types.OptionalNone})
		want, _, wantErr := prog.Eval(&celActivation{self: common.UnstructuredToVal(obj, v.activationSchema), hasOldSelf: true, oldSelf: types.OptionalNone})
		if (quickErr == nil) != (wantErr == nil) || quickErr == nil && quick.Equal(want) != types.True {
			t.Errorf("rule %q: quick values give %v (%v), upstream values %v (%v)\nfrom:\n%s", v.rules[i].Rule, quick, quickErr, want, wantErr, doc)
		}
		n++
	}
	for _, a := range v.allOf {
		n += compareRuleValues(t, a, obj, doc)
	}
	switch o := obj.(type) {
	case []any:
		for _, item := range o {
			n += compareRuleValues(t, v.items, item, doc)
		}
	case map[string]any:
		for k, val := range o {
			if v.additionalProperties != nil {
				n += compareRuleValues(t, v.additionalProperties, val, doc)
			}
			if sub, ok := v.properties[k]; ok {
				n += compareRuleValues(t, sub, val, doc)
			}
		}
	}
	return n
}

func TestCanonicalKey(t *testing.T) {
	distinct := []any{
		nil, true, false, "", "1", int64(1), float64(1), []any{}, map[string]any{}, []any{nil}, []any{"a,"},
		[]any{"a", ""}, map[string]any{"a": "b"}, map[string]any{"a": []any{"b"}}, map[string]any{"a,": "b"},
		map[string]any{"a": "b", "c": int64(1)}, map[string]any{"a": "b", "c": float64(1)}, `"quoted"`,
	}
	seen := map[string]any{}
	for _, v := range distinct {
		k := canonicalKey(v)
		if k == "" {
			t.Fatalf("no key for %#v", v)
		}
		if prev, dup := seen[k]; dup {
			t.Errorf("%#v and %#v share the key %q", prev, v, k)
		}
		seen[k] = v
	}
	a := map[string]any{"x": int64(1), "y": []any{"z", map[string]any{"p": true, "q": nil}}}
	b := map[string]any{"y": []any{"z", map[string]any{"q": nil, "p": true}}, "x": int64(1)}
	if canonicalKey(a) != canonicalKey(b) {
		t.Error("equal maps have different keys")
	}
	if canonicalKey(strings.Repeat("x", maxKeyLen)) != "" || canonicalKey(int32(1)) != "" {
		t.Error("a large or non-JSON value has a key")
	}
}

// TestCELMemoizedNodes checks that a node remembering the values that pass
// its rules answers and charges the same the second time.
func TestCELMemoizedNodes(t *testing.T) {
	v, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	obj, cv := prepared(t, v, minimalRoute)
	refs := cv.cel.properties["spec"].properties["parentRefs"]
	refs.compile()
	if !refs.memoized {
		t.Fatalf("spec.parentRefs (static cost %d) is not memoized", refs.staticCost)
	}
	var first, second uint64
	if !cv.cel.quickValid(obj, celconfig.PerCallLimit, &first) || !cv.cel.quickValid(obj, celconfig.PerCallLimit, &second) {
		t.Fatal("minimal route not quickly valid")
	}
	if first != second {
		t.Errorf("bound %d, then %d from the memo", first, second)
	}
	if _, ok := refs.memo.Load(canonicalKey(obj["spec"].(map[string]any)["parentRefs"])); !ok {
		t.Error("parentRefs value not remembered")
	}
}
