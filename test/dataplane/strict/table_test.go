package strict

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/envoygw/envoy-gateway/test/dataplane/router"
)

// TestOwnEnumFieldsListValues: every enum field of this package's tables
// says which values are implemented (only the router's enum fields may
// implement them all).
func TestOwnEnumFieldsListValues(t *testing.T) {
	routerFields := map[string]bool{}
	for _, f := range router.ImplementedFields {
		routerFields[f] = true
	}
	for _, f := range allFields() {
		if routerFields[f.Name] {
			continue
		}
		fd, err := findField(protoreflect.FullName(f.Name))
		if err != nil {
			t.Fatal(err)
		}
		if fd.Kind() == protoreflect.EnumKind && len(f.Values) == 0 {
			t.Errorf("%s is an enum field without implemented values", f.Name)
		}
	}
}

func TestBuildRejectsBadTables(t *testing.T) {
	tests := []struct {
		name    string
		fields  []Field
		exts    []Extension
		wantErr string
	}{
		{"no such field", []Field{{Name: "envoy.config.cluster.v3.Cluster.nope"}}, nil, "has no field nope"},
		{"no such message", []Field{{Name: "envoy.nope.Msg.f"}}, nil, "message envoy.nope.Msg"},
		{"no such enum value", []Field{{Name: "envoy.config.cluster.v3.Cluster.type", Values: []string{"NOPE"}}}, nil, "has no value NOPE"},
		{"values on a non-enum", []Field{{Name: "envoy.config.cluster.v3.Cluster.name", Values: []string{"X"}}}, nil, "not an enum field"},
		{"extension outside the table", nil, Extensions[:1], "not an implemented field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := build(tt.fields, tt.exts)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("build error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}
