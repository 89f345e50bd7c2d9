package strict

import (
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/envoygw/envoy-gateway/test/dataplane/router"
)

// Field is an implemented field.
type Field struct {
	// Name is the field's full proto name.
	Name string
	// Values, for an enum field, are the names of the enum values the data
	// plane implements; any other value is rejected. Every enum field of
	// this package's tables lists them (the router's enum fields implement
	// every value).
	Values []string
}

// Extension is an implemented typed config: a message packed in a
// google.protobuf.Any.
type Extension struct {
	// Msg is an instance of the packed message (its type is what is
	// implemented; it also links the type into the binary).
	Msg proto.Message
	// Name is the canonical extension name the configuration must give it
	// (filter name, transport socket name or protocol options key).
	Name string
	// In lists the full names of the Any fields (or map fields of Any)
	// where this extension is accepted.
	In []string
}

// TypeName is the full name of the extension's message.
func (e Extension) TypeName() string { return string(e.Msg.ProtoReflect().Descriptor().FullName()) }

// table is the merged table the walker enforces.
type table struct {
	fields map[protoreflect.FullName]*Field
	// anys maps an Any field's full name to the extensions accepted there,
	// by message full name.
	anys map[protoreflect.FullName]map[protoreflect.FullName]Extension
}

// implemented is the table of this package merged with the router's.
var implemented = mustBuild(allFields(), Extensions)

// allFields is the fields of every table of this package plus the router's.
func allFields() []Field {
	var out []Field
	for _, group := range [][]Field{
		bootstrapFields, coreFields, clusterFields, endpointFields,
		listenerFields, hcmFields, httpFilterFields, rateLimitFields, tcpProxyFields, tlsFields, upstreamHTTPFields,
		wellKnownFields,
	} {
		out = append(out, group...)
	}
	for _, name := range router.ImplementedFields {
		out = append(out, Field{Name: name})
	}
	return out
}

// mustBuild builds the table and panics on an inconsistent one (a
// programming error caught by every test of this package).
func mustBuild(fields []Field, exts []Extension) *table {
	t, err := build(fields, exts)
	if err != nil {
		panic(err)
	}
	return t
}

func build(fields []Field, exts []Extension) (*table, error) {
	t := &table{
		fields: map[protoreflect.FullName]*Field{},
		anys:   map[protoreflect.FullName]map[protoreflect.FullName]Extension{},
	}
	for i := range fields {
		f := &fields[i]
		name := protoreflect.FullName(f.Name)
		if prev, ok := t.fields[name]; ok {
			// The router's table and ours may both list a shared field;
			// keep the one carrying enum values.
			if len(prev.Values) == 0 {
				t.fields[name] = f
			}
			continue
		}
		t.fields[name] = f
	}
	for name, f := range t.fields {
		if err := checkField(name, f); err != nil {
			return nil, err
		}
	}
	for _, e := range exts {
		for _, in := range e.In {
			holder := protoreflect.FullName(in)
			if _, ok := t.fields[holder]; !ok {
				return nil, fmt.Errorf("extension %s is accepted in %s, which is not an implemented field", e.TypeName(), in)
			}
			if t.anys[holder] == nil {
				t.anys[holder] = map[protoreflect.FullName]Extension{}
			}
			t.anys[holder][protoreflect.FullName(e.TypeName())] = e
		}
	}
	return t, nil
}

// checkField checks that a table entry names an existing field and that
// its enum values exist.
func checkField(name protoreflect.FullName, f *Field) error {
	fd, err := findField(name)
	if err != nil {
		return err
	}
	if fd.Kind() != protoreflect.EnumKind {
		if len(f.Values) > 0 {
			return fmt.Errorf("%s is not an enum field but lists values", name)
		}
		return nil
	}
	for _, v := range f.Values {
		if fd.Enum().Values().ByName(protoreflect.Name(v)) == nil {
			return fmt.Errorf("%s: enum %s has no value %s", name, fd.Enum().FullName(), v)
		}
	}
	return nil
}

// findField resolves a field's full name through the global registry.
func findField(name protoreflect.FullName) (protoreflect.FieldDescriptor, error) {
	msgName := name.Parent()
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(msgName)
	if err != nil {
		return nil, fmt.Errorf("table entry %s: message %s: %w", name, msgName, err)
	}
	md, ok := d.(protoreflect.MessageDescriptor)
	if !ok {
		return nil, fmt.Errorf("table entry %s: %s is not a message", name, msgName)
	}
	fd := md.Fields().ByName(name.Name())
	if fd == nil {
		return nil, fmt.Errorf("table entry %s: message %s has no field %s", name, msgName, name.Name())
	}
	return fd, nil
}

// Fields returns every implemented field, sorted by full name, with its
// implemented enum values (empty for a router enum field: all values).
func Fields() []Field {
	out := make([]Field, 0, len(implemented.fields))
	for _, f := range implemented.fields {
		out = append(out, *f)
	}
	slices.SortFunc(out, func(a, b Field) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Implemented reports whether the field with this full name is implemented.
func Implemented(fullName string) bool {
	_, ok := implemented.fields[protoreflect.FullName(fullName)]
	return ok
}
