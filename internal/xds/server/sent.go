package server

import (
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

// resourceName returns the name of an encoded resource. Every type served
// has its name as field 1 (Listener, RouteConfiguration, Cluster and Secret
// name, ClusterLoadAssignment cluster_name), which deterministic
// marshalling writes first; the name is read from there without decoding
// the rest (a route configuration is megabytes at 10,000 routes). Anything
// else is decoded. "" when the resource cannot be decoded. A name that c
// (when not nil) serves under the type of a is its string in c, shared,
// instead of a copy: the tracker keeps the names of the last responses
// of every stream, and the first ones of a proxy name every cluster and
// assignment (40,000 at 10,000 routes).
func resourceName(a *anypb.Any, c *content) string {
	b := leadingBytes(a)
	if num, typ, n := protowire.ConsumeTag(b); n > 0 && num == 1 && typ == protowire.BytesType {
		if v, m := protowire.ConsumeBytes(b[n:]); m > 0 {
			if name, ok := c.servedName(a.GetTypeUrl(), v); ok {
				return name
			}
			return string(v)
		}
	}
	m, err := (&anypb.Any{TypeUrl: a.GetTypeUrl(), Value: valueOf(a)}).UnmarshalNew()
	if err != nil {
		return ""
	}
	return cachev3.GetResourceName(m)
}

// routeConfigurations decodes the route configurations of a response, for
// a NACK to name the routes it rejects. Those that cannot be decoded are
// left out.
func (r sentResponse) routeConfigurations() []*routev3.RouteConfiguration {
	var out []*routev3.RouteConfiguration
	for _, served := range r.routes {
		b, err := proto.Marshal(served)
		rc := &routev3.RouteConfiguration{}
		if err == nil && proto.Unmarshal(b, rc) == nil {
			out = append(out, rc)
		}
	}
	for _, a := range r.raw {
		rc := &routev3.RouteConfiguration{}
		if a.MessageIs(rc) && proto.Unmarshal(valueOf(a), rc) == nil {
			out = append(out, rc)
		}
	}
	return out
}
