package hcm

import (
	"context"
	"io"

	"github.com/envoygw/envoy-gateway/test/dataplane/router"
)

// mirror sends the shadow requests of f, fire and forget: same method,
// path, headers and body as the forwarded request, the mirror's
// authority, the route's timeout; responses are discarded and a mirror
// cluster the proxy does not have is skipped. The body must be
// replayable: Envoy abandons shadows whose body exceeds the buffer limit.
func (s *stream) mirror(f *router.Forward, body *requestBody) {
	bg := s.h.deps.Background
	if bg == nil {
		return
	}
	for _, m := range f.Mirrors {
		c := s.h.deps.Clusters(m.Cluster)
		if c == nil {
			continue
		}
		headers := f.Headers.Clone()
		bg.Go(func(ctx context.Context) {
			if f.Timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, f.Timeout)
				defer cancel()
			}
			host, err := c.Pick()
			if err != nil {
				return
			}
			req := buildRequest(ctx, c, host.Address, f.Method, m.Authority, f.Path, headers, body.snapshot(), body.length)
			resp, err := c.HTTPTransport().RoundTrip(req)
			if err != nil {
				s.h.deps.Logger.V(1).Info("shadow request failed", "cluster", m.Cluster, "error", err.Error())
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
		})
	}
}
