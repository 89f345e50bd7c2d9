package validation

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	structurallisttype "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	structuralpruning "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/yaml"
)

// TestStructuralAlgorithmsMatchUpstream runs pruning, null pruning and
// defaulting on schemaTree and upstream's on the corpus and random
// mutations of it (unknown fields, nulls, duplicates, wrong types), and
// compares the objects and unknown field paths; the list check must never
// say valid where upstream's list validation finds an error.
func TestStructuralAlgorithmsMatchUpstream(t *testing.T) {
	v, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	var objects, unknown, listErrors, listQuick int
	for _, doc := range corpusFiles(t) {
		raw, cv := decoded(t, v, doc)
		if cv == nil {
			continue
		}
		for i := range 21 {
			obj := runtimeDeepCopy(raw)
			if i > 0 {
				mutate(rng, obj)
			}
			objects++
			want, got := runtimeDeepCopy(obj), runtimeDeepCopy(obj)
			opts := structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true}
			wantUnknown := structuralpruning.PruneWithOptions(want, cv.structural, true, opts)
			gotUnknown := cv.tree.pruneWithOptions(got, opts)
			if !slices.Equal(wantUnknown, gotUnknown) {
				t.Errorf("unknown fields %q, upstream %q\nfrom:\n%s", gotUnknown, wantUnknown, doc)
			}
			if len(wantUnknown) > 0 {
				unknown++
			}
			compareObjects(t, "pruning", got, want, doc)
			structuraldefaulting.PruneNonNullableNullsWithoutDefaults(want, cv.structural)
			cv.tree.pruneNulls(got)
			compareObjects(t, "null pruning", got, want, doc)
			structuraldefaulting.Default(want, cv.structural)
			cv.tree.defaultValues(got)
			compareObjects(t, "defaulting", got, want, doc)
			errs := structurallisttype.ValidateListSetsAndMaps(nil, cv.structural, want)
			quick := cv.tree.listsValid(got)
			if quick && len(errs) > 0 {
				t.Errorf("list check says valid, upstream says %v\nfrom:\n%s", errs.ToAggregate(), doc)
			}
			if len(errs) > 0 {
				listErrors++
			}
			if quick {
				listQuick++
			}
		}
	}
	t.Logf("%d objects, %d with unknown fields, %d with list errors, %d taken by the list check", objects, unknown, listErrors, listQuick)
	if unknown < objects/10 || listErrors < 20 || listQuick < objects/2 {
		t.Error("the corpus does not exercise the algorithms enough")
	}
}

func compareObjects(t *testing.T, step string, got, want map[string]any, doc string) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		gotJS, _ := utiljson.Marshal(got)
		wantJS, _ := utiljson.Marshal(want)
		t.Errorf("%s: got %s\nupstream %s\nfrom:\n%s", step, gotJS, wantJS, doc)
	}
}

// decoded decodes a corpus document of a CRD kind as it is read, before
// pruning and defaulting.
func decoded(t *testing.T, v *Validator, doc string) (map[string]any, *crdValidator) {
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
	return obj, cv
}
