package strict

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
)

// notImplemented ends every error about a field the data plane lacks.
const notImplemented = "not implemented by the test data plane"

var anyName = (&anypb.Any{}).ProtoReflect().Descriptor().FullName()

// Check walks m against the implemented-field table and returns an error
// naming the path of the first field that is not implemented (fields are
// visited in field-number order, list elements in order, map entries in
// key order). Paths are relative to m.
func Check(m proto.Message) error {
	return implemented.walk(m.ProtoReflect(), "")
}

func (t *table) walk(m protoreflect.Message, path string) error {
	if len(m.GetUnknown()) > 0 {
		return fmt.Errorf("%s: unknown fields (a newer API version?) are %s", orRoot(path, m), notImplemented)
	}
	var fields []protoreflect.FieldDescriptor
	m.Range(func(fd protoreflect.FieldDescriptor, _ protoreflect.Value) bool {
		fields = append(fields, fd)
		return true
	})
	slices.SortFunc(fields, func(a, b protoreflect.FieldDescriptor) int { return int(a.Number()) - int(b.Number()) })
	for _, fd := range fields {
		p := join(path, string(fd.Name()))
		f, ok := t.fields[fd.FullName()]
		if !ok {
			return fmt.Errorf("%s: field %s is %s", p, fd.FullName(), notImplemented)
		}
		if err := t.value(m, fd, f, m.Get(fd), p); err != nil {
			return err
		}
	}
	return nil
}

// value checks the value of one populated field.
func (t *table) value(parent protoreflect.Message, fd protoreflect.FieldDescriptor, f *Field,
	v protoreflect.Value, path string) error {
	switch {
	case fd.IsMap():
		return t.mapValue(fd, v.Map(), path)
	case fd.IsList():
		l := v.List()
		for i := range l.Len() {
			if err := t.single(parent, fd, f, l.Get(i), fmt.Sprintf("%s[%d]", path, i), ""); err != nil {
				return err
			}
		}
		return nil
	}
	return t.single(parent, fd, f, v, path, "")
}

// single checks one non-list, non-map value. key is the map key naming an
// Any's extension when the value is a map entry's value.
func (t *table) single(parent protoreflect.Message, fd protoreflect.FieldDescriptor, f *Field,
	v protoreflect.Value, path, key string) error {
	switch fd.Kind() {
	case protoreflect.EnumKind:
		return checkEnum(fd, f, v.Enum(), path)
	case protoreflect.MessageKind, protoreflect.GroupKind:
		msg := v.Message()
		if msg.Descriptor().FullName() == anyName {
			return t.anyValue(parent, fd, msg, path, key)
		}
		return t.walk(msg, path)
	}
	return nil
}

func checkEnum(fd protoreflect.FieldDescriptor, f *Field, n protoreflect.EnumNumber, path string) error {
	ev := fd.Enum().Values().ByNumber(n)
	if ev == nil {
		return fmt.Errorf("%s: unknown enum value %d of %s is %s", path, n, fd.Enum().FullName(), notImplemented)
	}
	if len(f.Values) == 0 || slices.Contains(f.Values, string(ev.Name())) {
		return nil
	}
	return fmt.Errorf("%s: value %s is %s (implemented: %s)", path, ev.Name(), notImplemented,
		strings.Join(f.Values, ", "))
}

// mapValue checks a map field: keys of an Any map name the extension of
// their value; other maps recurse into message values.
func (t *table) mapValue(fd protoreflect.FieldDescriptor, m protoreflect.Map, path string) error {
	var keys []protoreflect.MapKey
	m.Range(func(k protoreflect.MapKey, _ protoreflect.Value) bool {
		keys = append(keys, k)
		return true
	})
	slices.SortFunc(keys, func(a, b protoreflect.MapKey) int { return strings.Compare(a.String(), b.String()) })
	vd := fd.MapValue()
	for _, k := range keys {
		p := fmt.Sprintf("%s[%s]", path, strconv.Quote(k.String()))
		if vd.Kind() != protoreflect.MessageKind {
			continue
		}
		msg := m.Get(k).Message()
		if msg.Descriptor().FullName() == anyName {
			if err := t.anyValue(nil, fd, msg, p, k.String()); err != nil {
				return err
			}
			continue
		}
		if err := t.walk(msg, p); err != nil {
			return err
		}
	}
	return nil
}

// anyValue unpacks an Any, checks that its type is implemented where it
// stands and carries the extension's name (the sibling "name" field, or
// the map key), then walks its content.
func (t *table) anyValue(parent protoreflect.Message, fd protoreflect.FieldDescriptor, msg protoreflect.Message,
	path, key string) error {
	a, ok := msg.Interface().(*anypb.Any)
	if !ok {
		return fmt.Errorf("%s: not a google.protobuf.Any", path)
	}
	accepted := t.anys[fd.FullName()]
	inner, err := a.UnmarshalNew()
	if err != nil {
		return fmt.Errorf("%s: type %s is %s (implemented here: %s): %v", path, a.GetTypeUrl(), notImplemented,
			acceptedList(accepted), err)
	}
	name := inner.ProtoReflect().Descriptor().FullName()
	ext, ok := accepted[name]
	if !ok {
		return fmt.Errorf("%s: type %s is %s here (implemented here: %s)", path, a.GetTypeUrl(), notImplemented,
			acceptedList(accepted))
	}
	if want := "type.googleapis.com/" + string(name); a.GetTypeUrl() != want {
		return fmt.Errorf("%s: type URL %q is %s (want %q)", path, a.GetTypeUrl(), notImplemented, want)
	}
	label, where := key, "key"
	if parent != nil {
		label, where = siblingName(parent), "name"
	}
	if label != ext.Name {
		return fmt.Errorf("%s: %s %q is %s for %s (want %q)", path, where, label, notImplemented, name, ext.Name)
	}
	return t.walk(inner.ProtoReflect(), fmt.Sprintf("%s.(%s)", path, name))
}

// siblingName is the "name" field of the message holding a typed_config.
func siblingName(m protoreflect.Message) string {
	fd := m.Descriptor().Fields().ByName("name")
	if fd == nil || fd.Kind() != protoreflect.StringKind {
		return ""
	}
	return m.Get(fd).String()
}

func acceptedList(accepted map[protoreflect.FullName]Extension) string {
	if len(accepted) == 0 {
		return "none"
	}
	names := make([]string, 0, len(accepted))
	for n := range accepted {
		names = append(names, string(n))
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

func join(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

func orRoot(path string, m protoreflect.Message) string {
	if path == "" {
		return "(" + string(m.Descriptor().FullName()) + ")"
	}
	return path
}
