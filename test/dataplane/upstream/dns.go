package upstream

import (
	"context"
	"net/netip"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
)

// dnsConfig is how a STRICT_DNS cluster resolves.
type dnsConfig struct {
	family  clusterv3.Cluster_DnsLookupFamily
	refresh time.Duration
}

// resolveLoop resolves the cluster's hostnames now and every refresh
// period until ctx is done. The cluster is initialized after the first
// round, whatever its outcome; a failed lookup keeps that hostname's
// previous addresses.
func (c *Cluster) resolveLoop(ctx context.Context) {
	last := make([][]netip.Addr, len(c.endpoints))
	for {
		var hosts []*Host
		for i, e := range c.endpoints {
			addrs, err := c.resolve(ctx, e.host)
			if ctx.Err() != nil {
				return
			}
			if err != nil {
				c.env.Logger.Info("DNS resolution failed; keeping the previous addresses", "cluster", c.Name,
					"host", e.host, "error", err.Error())
				addrs = last[i]
			}
			last[i] = addrs
			for _, a := range addrs {
				hosts = append(hosts, &Host{Address: hostPort(a.String(), e.port), Weight: e.weight,
					Health: e.health, Locality: e.locality})
			}
		}
		c.setHosts(hosts)
		select {
		case <-ctx.Done():
			return
		case <-time.After(c.dns.refresh):
		}
	}
}

// resolve returns the addresses of host of the families the cluster asks
// for; an IP literal is its own answer.
func (c *Cluster) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, c.dns.refresh+5*time.Second)
	defer cancel()
	addrs, err := c.env.Resolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, err
	}
	return selectFamily(addrs, c.dns.family), nil
}

// selectFamily applies dns_lookup_family to a lookup's answer.
func selectFamily(addrs []netip.Addr, family clusterv3.Cluster_DnsLookupFamily) []netip.Addr {
	var v4, v6 []netip.Addr
	for _, a := range addrs {
		a = a.Unmap()
		if a.Is4() {
			v4 = append(v4, a)
		} else {
			v6 = append(v6, a)
		}
	}
	pick := func(first, second []netip.Addr) []netip.Addr {
		if len(first) > 0 {
			return first
		}
		return second
	}
	switch family {
	case clusterv3.Cluster_V4_ONLY:
		return v4
	case clusterv3.Cluster_V6_ONLY:
		return v6
	case clusterv3.Cluster_V4_PREFERRED:
		return pick(v4, v6)
	case clusterv3.Cluster_ALL:
		return append(v4, v6...)
	}
	return pick(v6, v4) // AUTO
}
