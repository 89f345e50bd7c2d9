package strict

import (
	"google.golang.org/protobuf/proto"

	"github.com/envoygw/envoy-gateway/internal/protovalidate"
)

// Validate runs the protoc-gen-validate rules of m and of every message
// packed in an Any inside it, as Envoy validates every resource and every
// typed config it loads. It returns every violation found.
func Validate(m proto.Message) error {
	return protovalidate.Deep(m)
}
