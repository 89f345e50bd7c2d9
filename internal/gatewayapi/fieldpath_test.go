package gatewayapi

import (
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// TestFieldPathWritesAsFieldPath: a fieldPath reads as the *field.Path of
// the same steps, below and past maxPathSteps, and from a root path.
func TestFieldPathWritesAsFieldPath(t *testing.T) {
	got, want := newFieldPath("spec", "rules"), field.NewPath("spec", "rules")
	for i := range maxPathSteps + 3 {
		got, want = got.Index(i).Child("f"), want.Index(i).Child("f")
		if got.String() != want.String() {
			t.Fatalf("after %d steps: %q, want %q", 2*i+4, got.String(), want.String())
		}
	}
	rooted := fieldPath{root: field.NewPath("spec", "global")}.Child("rules").Index(1)
	if s := rooted.String(); s != "spec.global.rules[1]" {
		t.Errorf("rooted path %q", s)
	}
}
