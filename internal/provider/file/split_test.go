package file

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSplitDocuments(t *testing.T) {
	in := "# leading comment\n---\na: 1\n---\n# only a comment\n---   # trailing comment\nb: 2\n--- \n\n---\nc: 3\nd: |\n  ---not a separator\n"
	got := splitDocuments([]byte(in))
	want := []rawDocument{
		{Index: 1, Line: 3, Data: []byte("a: 1\n")},
		{Index: 3, Line: 7, Data: []byte("b: 2\n")},
		{Index: 5, Line: 11, Data: []byte("c: 3\nd: |\n  ---not a separator\n")},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("splitDocuments (-want +got):\n%s", diff)
	}
}

func TestSplitDocumentsWithoutSeparator(t *testing.T) {
	got := splitDocuments([]byte("a: 1\nb: 2"))
	want := []rawDocument{{Index: 1, Line: 1, Data: []byte("a: 1\nb: 2")}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("splitDocuments (-want +got):\n%s", diff)
	}
}
