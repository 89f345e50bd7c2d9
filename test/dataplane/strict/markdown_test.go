package strict_test

import (
	"os"
	"testing"

	"github.com/envoygw/envoy-gateway/internal/golden"
	"github.com/envoygw/envoy-gateway/test/dataplane/strict"
)

const fieldsDoc = "../FIELDS.md"

// TestPrintImplementedFields prints the implemented-field table (run it
// with -v).
func TestPrintImplementedFields(t *testing.T) {
	t.Log("\n" + strict.Markdown())
}

// TestFieldsDoc keeps FIELDS.md in step with the table.
func TestFieldsDoc(t *testing.T) {
	want := strict.Markdown()
	if golden.Update() {
		if err := os.WriteFile(fieldsDoc, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(fieldsDoc)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Fatal("FIELDS.md is out of date: go test ./test/dataplane/strict -run TestFieldsDoc -update")
	}
}
