package ratelimit

import (
	"fmt"

	localratelimitv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/local_ratelimit/v3"
	"google.golang.org/protobuf/types/known/anypb"
)

// LocalFilterName is the local rate limit filter's name, the key of its
// route configurations.
const LocalFilterName = "envoy.filters.http.local_ratelimit"

// PerRouteCompiler returns router.CompileOptions.PerFilterConfig for the
// filters that have route configurations here: the local rate limit
// filter (its LocalRateLimit); clock nil is the system's.
func PerRouteCompiler(clock Clock) func(name string, config *anypb.Any, path string) (any, error) {
	return func(name string, config *anypb.Any, path string) (any, error) {
		if name != LocalFilterName {
			return nil, fmt.Errorf("%s: a route configuration for filter %q is not implemented by the test data plane",
				path, name)
		}
		c := &localratelimitv3.LocalRateLimit{}
		if err := config.UnmarshalTo(c); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return CompileLocal(c, true, clock, fmt.Sprintf("%s.(%s)", path, c.ProtoReflect().Descriptor().FullName()))
	}
}
