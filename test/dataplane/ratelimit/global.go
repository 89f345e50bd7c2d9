package ratelimit

import (
	"context"
	"fmt"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	commonratelimitv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/common/ratelimit/v3"
	ratelimitv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ratelimit/v3"
	rlsv3 "github.com/envoyproxy/go-control-plane/envoy/service/ratelimit/v3"
	"google.golang.org/grpc"

	"github.com/envoygw/envoy-gateway/test/dataplane/router"
)

// defaultTimeout is the rate limit filter's timeout when unset.
const defaultTimeout = 20 * time.Millisecond

// Global is a compiled RateLimit filter configuration.
type Global struct {
	// Domain is sent with every request.
	Domain string
	// Cluster is the rate limit service's cluster (envoy_grpc).
	Cluster string
	// Timeout bounds each call.
	Timeout time.Duration
	// FailureModeDeny answers 500 when the service fails.
	FailureModeDeny bool
}

// CompileGlobal checks a RateLimit filter configuration; path prefixes
// errors.
func CompileGlobal(c *ratelimitv3.RateLimit, path string) (*Global, error) {
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("%s: invalid: %w", path, err)
	}
	svc := c.GetRateLimitService()
	if svc.GetTransportApiVersion() != corev3.ApiVersion_V3 {
		return nil, fmt.Errorf("%s.rate_limit_service.transport_api_version: invalid: %s is not supported (V3 only)",
			path, svc.GetTransportApiVersion())
	}
	cluster := svc.GetGrpcService().GetEnvoyGrpc().GetClusterName()
	if cluster == "" {
		return nil, fmt.Errorf("%s.rate_limit_service.grpc_service.envoy_grpc.cluster_name: invalid: empty", path)
	}
	g := &Global{Domain: c.GetDomain(), Cluster: cluster, Timeout: defaultTimeout, FailureModeDeny: c.GetFailureModeDeny()}
	if c.GetTimeout() != nil {
		g.Timeout = c.GetTimeout().AsDuration()
	}
	return g, nil
}

// Status is the outcome of a call to the rate limit service.
type Status int

// Outcomes.
const (
	StatusOK Status = iota
	StatusOverLimit
	StatusError
)

// Result is the service's answer as the filter uses it.
type Result struct {
	Status Status
	// Err is the failure of a StatusError call.
	Err error
	// ResponseHeaders and RequestHeaders are the service's
	// response_headers_to_add and request_headers_to_add.
	ResponseHeaders, RequestHeaders []*corev3.HeaderValue
	// Body is the service's raw_body.
	Body []byte
}

// Call asks the service about the descriptors within the timeout: any
// overall code other than OVER_LIMIT is OK, as in Envoy's client; a gRPC
// failure or the timeout is an error.
func (g *Global) Call(ctx context.Context, conn grpc.ClientConnInterface, descriptors []router.Descriptor) Result {
	ctx, cancel := context.WithTimeout(ctx, g.Timeout)
	defer cancel()
	req := &rlsv3.RateLimitRequest{Domain: g.Domain}
	for _, d := range descriptors {
		rd := &commonratelimitv3.RateLimitDescriptor{}
		for _, e := range d {
			rd.Entries = append(rd.Entries, &commonratelimitv3.RateLimitDescriptor_Entry{Key: e.Key, Value: e.Value})
		}
		req.Descriptors = append(req.Descriptors, rd)
	}
	res, err := rlsv3.NewRateLimitServiceClient(conn).ShouldRateLimit(ctx, req)
	if err != nil {
		return Result{Status: StatusError, Err: err}
	}
	out := Result{Status: StatusOK, ResponseHeaders: res.GetResponseHeadersToAdd(),
		RequestHeaders: res.GetRequestHeadersToAdd(), Body: res.GetRawBody()}
	if res.GetOverallCode() == rlsv3.RateLimitResponse_OVER_LIMIT {
		out.Status = StatusOverLimit
	}
	return out
}
