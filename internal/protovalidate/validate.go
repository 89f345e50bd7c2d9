package protovalidate

import (
	"errors"
	"fmt"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
)

type allValidator interface{ ValidateAll() error }

// Deep runs ValidateAll on m and on every message packed in an Any anywhere
// inside it (protoc-gen-validate checks an Any's type URL but never looks
// inside it; Envoy does), and returns every violation found.
func Deep(m proto.Message) error {
	var errs []error
	if v, ok := m.(allValidator); ok {
		if err := v.ValidateAll(); err != nil {
			errs = append(errs, err)
		}
	}
	EachAny(m, func(a *anypb.Any) {
		inner, err := a.UnmarshalNew()
		if err != nil {
			errs = append(errs, fmt.Errorf("unpacking %s: %w", a.GetTypeUrl(), err))
			return
		}
		if err := Deep(inner); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", a.GetTypeUrl(), err))
		}
	})
	return errors.Join(errs...)
}

var anyName = (&anypb.Any{}).ProtoReflect().Descriptor().FullName()

// EachAny calls fn for every Any reachable from m without descending into
// the Anys themselves (Deep does that after unpacking).
func EachAny(m proto.Message, fn func(*anypb.Any)) {
	eachAny(m.ProtoReflect(), fn)
}

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
