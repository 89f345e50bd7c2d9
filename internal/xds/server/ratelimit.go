package server

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	rlsconfv3 "github.com/envoyproxy/go-control-plane/ratelimit/config/ratelimit/v3"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

// RateLimitNodeID is the node id the rate limit service presents
// (CONFIG_GRPC_XDS_NODE_ID): a node with this id and no cluster is served
// the rate limit configuration (RateLimitConfig resources), nothing else.
// The service's xDS client (CONFIG_TYPE=GRPC_XDS_SOTW) opens an ADS stream
// and subscribes to every RateLimitConfig (wildcard), with this node and
// no cluster.
const RateLimitNodeID = ir.RateLimitNodeID

// rateLimitKey is the snapshot key of the rate limit service. The ':'
// cannot appear in a fleet name (a namespace/name or a class name).
const rateLimitKey = ":ratelimit"

// UpdateRateLimit makes configs the rate limit service's configuration (one
// RateLimitConfig per domain). It reports whether anything changed: setting
// the same configuration again pushes nothing. The service gets a response
// only once this was called, even with no configuration: it waits for a
// first one before serving.
func (s *Server) UpdateRateLimit(configs []*rlsconfv3.RateLimitConfig) (changed bool, err error) {
	resources := make([]types.Resource, 0, len(configs))
	seen := make(map[string]bool, len(configs))
	for _, c := range configs {
		if c.GetName() == "" || seen[c.GetName()] {
			return false, fmt.Errorf("rate limit configuration %q: names must be set and unique", c.GetName())
		}
		if err := checkRateLimitConfig(c); err != nil {
			return false, fmt.Errorf("rate limit configuration %q: %w", c.GetName(), err)
		}
		seen[c.GetName()] = true
		resources = append(resources, c)
	}
	v, err := rateLimitVersion(resources)
	if err != nil {
		return false, fmt.Errorf("rate limit configuration: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rateLimitVersion == v {
		return false, nil
	}
	for _, name := range []string{envoyCache, namedCache} {
		snap := &cachev3.Snapshot{}
		snap.Resources[types.RateLimitConfig] = cachev3.NewResources(v, resources)
		if err := s.caches[name].SetSnapshot(context.Background(), rateLimitKey, snap); err != nil {
			return false, fmt.Errorf("rate limit configuration: setting snapshot: %w", err)
		}
	}
	s.rateLimitVersion = v
	s.metrics.updates.WithLabelValues(rateLimitKey).Inc()
	return true, nil
}

// rateLimitVersion hashes the names and deterministic encodings of
// resources, in order: the same configuration always gets the same version.
func rateLimitVersion(resources []types.Resource) (string, error) {
	h := sha256.New()
	var n [8]byte
	for _, r := range resources {
		b, err := deterministic.Marshal(r)
		if err != nil {
			return "", err
		}
		for _, part := range [][]byte{[]byte(cachev3.GetResourceName(r)), b} {
			binary.BigEndian.PutUint64(n[:], uint64(len(part)))
			h.Write(n[:])
			h.Write(part)
		}
	}
	return hex.EncodeToString(h.Sum(nil)[:8]), nil
}

// checkRateLimitConfig rejects what the rate limit service refuses when it
// loads a configuration (it would NACK the whole response): no domain, a
// descriptor without a key, two sibling descriptors with the same key and
// value, a limit without a unit.
func checkRateLimitConfig(c *rlsconfv3.RateLimitConfig) error {
	if c.GetDomain() == "" {
		return errors.New("domain is empty")
	}
	return checkDescriptors(c.GetDescriptors(), "descriptors")
}

func checkDescriptors(ds []*rlsconfv3.RateLimitDescriptor, path string) error {
	seen := make(map[string]bool, len(ds))
	for i, d := range ds {
		at := fmt.Sprintf("%s[%d]", path, i)
		// The service indexes descriptors by "<key>_<value>", or "<key>".
		k := d.GetKey()
		if d.GetValue() != "" {
			k += "_" + d.GetValue()
		}
		switch {
		case d.GetKey() == "":
			return fmt.Errorf("%s: key is empty", at)
		case seen[k]:
			return fmt.Errorf("%s: key %q and value %q repeat a sibling's composite key %q", at, d.GetKey(), d.GetValue(), k)
		case d.GetRateLimit() != nil && !d.GetRateLimit().GetUnlimited() && d.GetRateLimit().GetUnit() == rlsconfv3.RateLimitUnit_UNKNOWN:
			return fmt.Errorf("%s: rate limit has no unit", at)
		}
		seen[k] = true
		if err := checkDescriptors(d.GetDescriptors(), at+".descriptors"); err != nil {
			return err
		}
	}
	return nil
}
