package translator

import (
	"errors"
	"fmt"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
)

type allValidator interface{ ValidateAll() error }

// validateDeep runs ValidateAll on m and on every message packed in an Any
// anywhere inside it: protoc-gen-validate checks an Any's type URL but never
// looks inside it, and Envoy does.
func validateDeep(m proto.Message) error {
	var errs []error
	if v, ok := m.(allValidator); ok {
		if err := v.ValidateAll(); err != nil {
			errs = append(errs, err)
		}
	}
	walkAnys(m.ProtoReflect(), func(a *anypb.Any) {
		inner, err := a.UnmarshalNew()
		if err != nil {
			errs = append(errs, fmt.Errorf("unpacking %s: %w", a.GetTypeUrl(), err))
			return
		}
		if err := validateDeep(inner); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", a.GetTypeUrl(), err))
		}
	})
	return errors.Join(errs...)
}

var anyFullName = (&anypb.Any{}).ProtoReflect().Descriptor().FullName()

// walkAnys calls fn for every Any message reachable from m (not descending
// into the Any itself; validateDeep does that after unpacking).
func walkAnys(m protoreflect.Message, fn func(*anypb.Any)) {
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if fd.Kind() != protoreflect.MessageKind && fd.Kind() != protoreflect.GroupKind {
			return true
		}
		visit := func(mv protoreflect.Message) {
			if mv.Descriptor().FullName() == anyFullName {
				if a, ok := mv.Interface().(*anypb.Any); ok {
					fn(a)
				}
				return
			}
			walkAnys(mv, fn)
		}
		switch {
		case fd.IsList():
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				visit(l.Get(i).Message())
			}
		case fd.IsMap():
			if fd.MapValue().Kind() != protoreflect.MessageKind {
				return true
			}
			v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
				visit(mv.Message())
				return true
			})
		default:
			visit(v.Message())
		}
		return true
	})
}
