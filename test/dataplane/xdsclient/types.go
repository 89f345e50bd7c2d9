package xdsclient

import (
	"fmt"

	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// The resource types of the data plane, in the order Envoy first
// subscribes to them.
const (
	ClusterType  = resourcev3.ClusterType
	EndpointType = resourcev3.EndpointType
	ListenerType = resourcev3.ListenerType
	RouteType    = resourcev3.RouteType
	SecretType   = resourcev3.SecretType
)

// Resource is one decoded resource of a response.
type Resource struct {
	Name string
	Msg  proto.Message
}

// Update is one response of a type, decoded.
type Update struct {
	TypeURL   string
	Version   string
	Resources []Resource
}

// Handler applies the responses of one type. OnUpdate returns an error to
// NACK the response; the error should name the resources and fields at
// fault (it becomes the NACK's error_detail).
type Handler interface {
	OnUpdate(u Update) error
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(Update) error

// OnUpdate calls f.
func (f HandlerFunc) OnUpdate(u Update) error { return f(u) }

// resourceName is the name a resource is subscribed by: its name, or
// cluster_name for a ClusterLoadAssignment.
func resourceName(m proto.Message) (string, error) {
	md := m.ProtoReflect().Descriptor()
	for _, field := range []protoreflect.Name{"name", "cluster_name"} {
		if fd := md.Fields().ByName(field); fd != nil && fd.Kind() == protoreflect.StringKind {
			return m.ProtoReflect().Get(fd).String(), nil
		}
	}
	return "", fmt.Errorf("%s has no name field", md.FullName())
}
