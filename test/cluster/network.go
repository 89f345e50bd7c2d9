package cluster

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"syscall"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// NetworkRange is where every Network's block comes from: 198.18.0.0/15,
// which RFC 2544 reserves for benchmarking, so no real network uses it.
var NetworkRange = netip.MustParsePrefix("198.18.0.0/15")

// blockBits is the prefix length of one Network's block (4096 addresses).
const blockBits = 20

// Layout of a block b (offsets from its first address):
//
//	b+0.0/23    Service ClusterIPs (the API server's --service-cluster-ip-range)
//	b+2.0/24    load balancer ingress addresses: b+2.1 ... b+2.239 handed
//	            out in turn, b+2.240 ... b+2.254 requested by Services
//	            (spec.loadBalancerIP: static addresses)
//	b+3.1       the Node (its kubelet endpoint)
//	b+3.2       the control plane's "Pod"
//	b+4.0 ...   Pod IPs, handed out once each, never reused in a run
const (
	offsetLoadBalancers = 2 << 8
	// offsetStaticLBs is where the load balancer addresses that only
	// spec.loadBalancerIP requests start; the rest of the /24 is static.
	offsetStaticLBs    = offsetLoadBalancers + 240
	offsetNode         = 3<<8 + 1
	offsetControlPlane = 3<<8 + 2
	offsetPods         = 4 << 8
	blockSize          = 1 << (32 - blockBits)
)

// Network is a block of IPv4 addresses that this process owns on this
// machine for the lifetime of a simulated cluster: Pod IPs, Service
// ClusterIPs, load balancer addresses, the Node's and the control plane's.
//
// Pod IPs must be addresses the API server accepts in EndpointSlices, which
// refuses loopback ones, and that this machine can bind and reach. So the
// block is routed to the loopback interface as a local route of the
// kernel's local table (what `ip route add local <block> dev lo` does): every
// address in it can then be bound and connected to without configuring
// each one. That needs CAP_NET_ADMIN (root, as CI runs).
//
// Blocks are claimed with an abstract Unix socket named after the block,
// which the kernel releases when the process ends, so parallel test
// processes never share a block, and a crashed one frees its block.
type Network struct {
	block netip.Prefix
	claim *net.UnixListener
	route *netlink.Route

	mu       sync.Mutex
	nextPod  int
	nextLB   int
	released bool
	// staticLBs are the static load balancer addresses reserved, and by whom.
	staticLBs map[netip.Addr]string
}

// ClaimNetwork claims a free block of NetworkRange and routes it to the
// loopback interface. Release gives it back.
func ClaimNetwork() (*Network, error) {
	n := &Network{nextPod: offsetPods, nextLB: offsetLoadBalancers, staticLBs: map[netip.Addr]string{}}
	blocks := 1 << (blockBits - NetworkRange.Bits())
	first := rand.IntN(blocks) //nolint:gosec // spreading claims, not security
	for i := range blocks {
		block := blockAt((first + i) % blocks)
		l, err := net.ListenUnix("unix", &net.UnixAddr{Name: "@envoy-gateway-test-network-" + block.String(), Net: "unix"})
		if errors.Is(err, syscall.EADDRINUSE) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("claiming network block %s: %w", block, err)
		}
		n.block, n.claim = block, l
		break
	}
	if n.claim == nil {
		return nil, fmt.Errorf("every network block of %s is claimed by another process", NetworkRange)
	}
	if err := n.addRoute(); err != nil {
		_ = n.claim.Close()
		return nil, err
	}
	return n, nil
}

// blockAt returns the i-th block of NetworkRange.
func blockAt(i int) netip.Prefix {
	return netip.PrefixFrom(addrAt(NetworkRange.Addr(), i*blockSize), blockBits)
}

// addrAt returns the address offset addresses after base.
func addrAt(base netip.Addr, offset int) netip.Addr {
	b := base.As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	v += uint32(offset) //nolint:gosec // offsets stay inside NetworkRange
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// addRoute adds the local route of the block on the loopback interface,
// replacing one a crashed process may have left.
func (n *Network) addRoute() error {
	lo, err := netlink.LinkByName("lo")
	if err != nil {
		return fmt.Errorf("finding the loopback interface: %w", err)
	}
	n.route = &netlink.Route{
		LinkIndex: lo.Attrs().Index,
		Dst:       &net.IPNet{IP: n.block.Addr().AsSlice(), Mask: net.CIDRMask(blockBits, 32)},
		Type:      unix.RTN_LOCAL,
		Table:     unix.RT_TABLE_LOCAL,
		Scope:     netlink.SCOPE_HOST,
	}
	if err := netlink.RouteReplace(n.route); err != nil {
		return fmt.Errorf("adding the local route %s dev lo (the simulated cluster's addresses; needs CAP_NET_ADMIN, "+
			"that is root, as CI runs): %w", n.block, err)
	}
	return nil
}

// Block is the block this Network owns.
func (n *Network) Block() netip.Prefix { return n.block }

// ServiceCIDR is the range of Service ClusterIPs, for the API server.
func (n *Network) ServiceCIDR() netip.Prefix { return netip.PrefixFrom(n.block.Addr(), 23) }

// NodeIP is the address of the simulated Node and its kubelet.
func (n *Network) NodeIP() netip.Addr { return addrAt(n.block.Addr(), offsetNode) }

// ControlPlaneIP is the address the control plane serves xDS on, as its Pod would.
func (n *Network) ControlPlaneIP() netip.Addr { return addrAt(n.block.Addr(), offsetControlPlane) }

// AllocatePodIP returns a Pod IP never handed out before in this Network.
func (n *Network) AllocatePodIP() (netip.Addr, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	a, ok := n.next(&n.nextPod, blockSize)
	if !ok {
		return netip.Addr{}, fmt.Errorf("network %s has no Pod IPs left", n.block)
	}
	return a, nil
}

// AllocateLoadBalancerIP returns a load balancer address never handed out
// before in this Network.
func (n *Network) AllocateLoadBalancerIP() (netip.Addr, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	a, ok := n.next(&n.nextLB, offsetStaticLBs)
	if !ok {
		return netip.Addr{}, fmt.Errorf("network %s has no load balancer addresses left", n.block)
	}
	return a, nil
}

// StaticLoadBalancerIPs are the load balancer addresses that Services may
// request with spec.loadBalancerIP (static addresses), in order.
func (n *Network) StaticLoadBalancerIPs() []netip.Addr {
	var out []netip.Addr
	for off := offsetStaticLBs; off < offsetLoadBalancers+255; off++ {
		out = append(out, addrAt(n.block.Addr(), off))
	}
	return out
}

// ReserveLoadBalancerIP gives the static load balancer address ip to owner
// (a Service), or fails when ip is not one of StaticLoadBalancerIPs or
// another owner has it. Reserving an address again for its owner is fine.
func (n *Network) ReserveLoadBalancerIP(ip netip.Addr, owner string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	first := addrAt(n.block.Addr(), offsetStaticLBs)
	last := addrAt(n.block.Addr(), offsetLoadBalancers+254)
	switch {
	case ip.Compare(first) < 0 || ip.Compare(last) > 0:
		return fmt.Errorf("%s is not a static load balancer address of network %s (%s-%s)", ip, n.block, first, last)
	case n.staticLBs[ip] != "" && n.staticLBs[ip] != owner:
		return fmt.Errorf("load balancer address %s is taken by %s", ip, n.staticLBs[ip])
	}
	n.staticLBs[ip] = owner
	return nil
}

// next hands out the address at *offset and moves it on, skipping
// addresses ending in .0 or .255 (valid, but easy to misread); ok is false
// once *offset reaches end.
func (n *Network) next(offset *int, end int) (netip.Addr, bool) {
	for ; *offset < end; *offset++ {
		if last := *offset % 256; last != 0 && last != 255 {
			a := addrAt(n.block.Addr(), *offset)
			*offset++
			return a, true
		}
	}
	return netip.Addr{}, false
}

// Release deletes the block's route and gives the block back.
func (n *Network) Release() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.released {
		return nil
	}
	n.released = true
	var errs []error
	if err := netlink.RouteDel(n.route); err != nil && !errors.Is(err, syscall.ESRCH) {
		errs = append(errs, fmt.Errorf("deleting the local route %s: %w", n.block, err))
	}
	return errors.Join(append(errs, n.claim.Close())...)
}
