package gatewayapi

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
)

// maxFuzzInput bounds fuzz inputs; golden inputs are far smaller.
const maxFuzzInput = 64 << 10

// FuzzTranslate feeds mutated golden inputs to the translator: whatever
// LoadResources accepts must translate without panicking, into IR that passes
// its own validation, and deterministically.
func FuzzTranslate(f *testing.F) {
	for _, p := range goldenInputs(f) {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxFuzzInput {
			return
		}
		res, opts, err := parseGoldenInput(data)
		if err != nil {
			return
		}
		first := Translate(res, opts)
		validateResult(t, first)
		a, err := json.Marshal(first)
		if err != nil {
			t.Fatalf("marshaling result: %v", err)
		}
		b, err := json.Marshal(Translate(res, opts))
		if err != nil {
			t.Fatalf("marshaling result: %v", err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("two translations of the same input differ")
		}
	})
}
