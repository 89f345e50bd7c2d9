package validation

import (
	"math/rand/v2"
	"strings"
	"testing"

	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/yaml"
)

// TestOpenAPICheckNeverHidesErrors checks the one-sided guarantee of
// openAPICheck: whenever it says valid, kube-openapi finds no error. It
// runs over the CEL corpus, the resource translator's golden inputs and
// random mutations of every object in them (values replaced, keys removed or
// added), and checks that the quick check takes most valid objects.
func TestOpenAPICheckNeverHidesErrors(t *testing.T) {
	v, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var checked, quick, invalid, originals, originalsQuick int
	for _, doc := range corpusFiles(t) {
		obj, cv := prepared(t, v, doc)
		if cv == nil {
			continue
		}
		originals++
		if check(t, cv, obj, doc) {
			originalsQuick++
		}
		for range 40 {
			m := runtimeDeepCopy(obj)
			mutate(rng, m)
			checked++
			switch ok, valid := check(t, cv, m, doc), apiservervalidation.ValidateCustomResource(nil, m, cv.schema) == nil; {
			case ok:
				quick++
			case !valid:
				invalid++
			}
		}
	}
	t.Logf("%d objects (%d taken by the quick check), %d mutations (%d taken, %d invalid)", originals, originalsQuick, checked, quick, invalid)
	if originals < 50 || originalsQuick < originals/2 || quick < checked/10 || invalid < checked/4 {
		t.Errorf("the corpus does not exercise the quick check enough")
	}
}

// check compares the quick check with kube-openapi on obj.
func check(t *testing.T, cv *crdValidator, obj map[string]any, doc string) bool {
	t.Helper()
	if !cv.openAPI.valid(obj) {
		return false
	}
	if errs := apiservervalidation.ValidateCustomResource(nil, obj, cv.schema); len(errs) > 0 {
		js, _ := utiljson.Marshal(obj)
		t.Errorf("quick check says valid, kube-openapi says %v\nobject: %s\nfrom:\n%s", errs.ToAggregate(), js, doc)
	}
	return true
}

// prepared decodes a corpus document of a CRD kind, pruned and defaulted as
// Validate does before the schema validation.
func prepared(t *testing.T, v *Validator, doc string) (map[string]any, *crdValidator) {
	js, err := yaml.YAMLToJSON([]byte(doc))
	if err != nil {
		return nil, nil
	}
	var obj map[string]any
	if err := utiljson.Unmarshal(js, &obj); err != nil || obj == nil {
		return nil, nil
	}
	u := &unstructured.Unstructured{Object: obj}
	cv, ok := v.kinds[u.GroupVersionKind()].(*crdValidator)
	if !ok {
		return nil, nil
	}
	cv.once.Do(cv.compile)
	if cv.compileErr != nil {
		t.Fatal(cv.compileErr)
	}
	cv.coerce(u)
	structuraldefaulting.Default(u.Object, cv.structural)
	return u.Object, cv
}

// mutate changes one to three random places of obj.
func mutate(rng *rand.Rand, obj map[string]any) {
	for range 1 + rng.IntN(3) {
		var paths [][]any // containers and keys/indexes
		collect(obj, &paths)
		if len(paths) == 0 {
			return
		}
		p := paths[rng.IntN(len(paths))]
		parent, key := p[0], p[1]
		switch c := parent.(type) {
		case map[string]any:
			switch rng.IntN(4) {
			case 0:
				delete(c, key.(string))
			case 1:
				c[key.(string)+"x"] = randomValue(rng)
			default:
				c[key.(string)] = randomValue(rng)
			}
		case []any:
			i := key.(int)
			if len(c) > 1 && rng.IntN(2) == 0 { // a duplicate element
				c[i] = runtimeDeepCopy(map[string]any{"v": c[(i+1)%len(c)]})["v"]
			} else {
				c[i] = randomValue(rng)
			}
		}
	}
}

func collect(v any, out *[][]any) {
	switch t := v.(type) {
	case map[string]any:
		for k, child := range t {
			*out = append(*out, []any{t, k})
			collect(child, out)
		}
	case []any:
		for i, child := range t {
			*out = append(*out, []any{t, i})
			collect(child, out)
		}
	}
}

var randomStrings = []string{
	"", "a", "A", "eg", "default", "Service", "Gateway", "HTTP", "HTTPS", "PathPrefix", "Exact", "RegularExpression",
	"/", "/a", "a b", "-a", "a-", "a.b", "*.example.com", "example.com", "EXAMPLE.com", "1.2.3.4", "::1", "x_y",
	"RequestHeaderModifier", "gateway.networking.k8s.io", "2024-01-01T00:00:00Z", "not-a-date", "10s", "1h", "ms",
	strings.Repeat("a", 63), strings.Repeat("a", 64), strings.Repeat("a", 253), strings.Repeat("a", 254),
	strings.Repeat("b", 1025), "é", "日本",
}

func randomValue(rng *rand.Rand) any {
	switch rng.IntN(10) {
	case 0, 1, 2, 3:
		return randomStrings[rng.IntN(len(randomStrings))]
	case 4:
		return []int64{-1, 0, 1, 80, 65535, 65536, 1 << 31, 1<<31 - 1, 1 << 40, 1 << 62}[rng.IntN(10)]
	case 5:
		return rng.IntN(2) == 0
	case 6:
		return nil
	case 7:
		return 1.5
	case 8:
		return []any{randomStrings[rng.IntN(len(randomStrings))], map[string]any{"name": "x"}}
	}
	return map[string]any{"name": randomStrings[rng.IntN(len(randomStrings))], "kind": "Service"}
}
