package strict

import (
	"errors"
	"fmt"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
)

type allValidator interface{ ValidateAll() error }

// Validate runs the protoc-gen-validate rules of m and of every message
// packed in an Any inside it, as Envoy validates every resource and every
// typed config it loads. It returns every violation found.
func Validate(m proto.Message) error {
	var errs []error
	if v, ok := m.(allValidator); ok {
		if err := v.ValidateAll(); err != nil {
			errs = append(errs, err)
		}
	}
	eachAny(m.ProtoReflect(), func(a *anypb.Any) {
		inner, err := a.UnmarshalNew()
		if err != nil {
			errs = append(errs, fmt.Errorf("unpacking %s: %w", a.GetTypeUrl(), err))
			return
		}
		if err := Validate(inner); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", a.GetTypeUrl(), err))
		}
	})
	return errors.Join(errs...)
}

// eachAny calls fn for every Any reachable from m without descending into
// the Anys themselves.
func eachAny(m protoreflect.Message, fn func(*anypb.Any)) {
	visit := func(mv protoreflect.Message) {
		if mv.Descriptor().FullName() == anyName {
			if a, ok := mv.Interface().(*anypb.Any); ok {
				fn(a)
			}
			return
		}
		eachAny(mv, fn)
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsMap():
			if fd.MapValue().Kind() == protoreflect.MessageKind {
				v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
					visit(mv.Message())
					return true
				})
			}
		case fd.Kind() != protoreflect.MessageKind && fd.Kind() != protoreflect.GroupKind:
		case fd.IsList():
			l := v.List()
			for i := range l.Len() {
				visit(l.Get(i).Message())
			}
		default:
			visit(v.Message())
		}
		return true
	})
}
