package dataplane

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	"github.com/go-logr/logr"
	"google.golang.org/grpc"

	"github.com/envoygw/envoy-gateway/test/dataplane/hcm"
	"github.com/envoygw/envoy-gateway/test/dataplane/listener"
	"github.com/envoygw/envoy-gateway/test/dataplane/upstream"
	"github.com/envoygw/envoy-gateway/test/dataplane/xdsclient"
)

// Options configure one proxy.
type Options struct {
	// Args is the Envoy command line after the binary name, as the
	// container runs it (environment variables already expanded by the
	// caller, like the kubelet does): -c/--config-path, --config-yaml,
	// --service-node, --service-cluster, --log-level, --drain-time-s,
	// --use-dynamic-base-id, --admin-address-path. An unknown flag is an
	// error.
	Args []string
	// ReadFile reads the container's filesystem (bootstrap, mounted
	// Secrets); nil means os.ReadFile.
	ReadFile func(path string) ([]byte, error)
	// WriteFile writes to it (--admin-address-path); nil means
	// os.WriteFile with mode 0644.
	WriteFile func(path string, data []byte) error
	// PodIP is the address of the proxy's network namespace. Sockets the
	// configuration binds on 0.0.0.0, ::, 127.0.0.1 or ::1 are bound on
	// PodIP (each emulated pod has its own loopback address, so several
	// proxies with the same configuration coexist in one process); any
	// other address is bound as given. Empty means 127.0.0.1 (host mode).
	PodIP netip.Addr
	// Resolver resolves DNS names (STRICT_DNS clusters, the xDS cluster);
	// nil means net.DefaultResolver.
	Resolver interface {
		LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
	}
	Logger logr.Logger
}

// Proxy is a running data plane.
type Proxy struct {
	opts      Options
	cl        *commandLine
	bootstrap *bootstrapv3.Bootstrap
	log       logr.Logger
	podIP     netip.Addr

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	clusters   *upstream.Manager
	listeners  *listener.Manager
	routes     *routeStore
	secrets    *secretStore
	background *hcm.Background
	xds        *xdsclient.Client
	conn       *grpc.ClientConn
	grpc       *grpcConns
	admin      *adminServer
	init       *initState

	live     atomic.Bool
	stopOnce sync.Once
}

// Start loads the bootstrap named by the command line, binds the admin
// interface and the static listeners, and starts the ADS client; it
// returns once the stream is being dialed. The proxy initializes as
// Envoy does (CDS and its clusters, then LDS and its listeners); Ready
// says when it has.
func Start(ctx context.Context, opts Options) (*Proxy, error) {
	if opts.ReadFile == nil {
		opts.ReadFile = os.ReadFile
	}
	if opts.WriteFile == nil {
		opts.WriteFile = func(p string, d []byte) error { return os.WriteFile(p, d, 0o644) }
	}
	if opts.Resolver == nil {
		opts.Resolver = net.DefaultResolver
	}
	if !opts.PodIP.IsValid() {
		opts.PodIP = netip.AddrFrom4([4]byte{127, 0, 0, 1})
	}
	cl, err := parseArgs(opts.Args)
	if err != nil {
		return nil, err
	}
	b, err := loadBootstrap(cl, opts.ReadFile)
	if err != nil {
		return nil, err
	}
	p := &Proxy{opts: opts, cl: cl, bootstrap: b, log: opts.Logger, podIP: opts.PodIP,
		routes: newRouteStore(), secrets: newSecretStore()}
	p.ctx, p.cancel = context.WithCancel(context.WithoutCancel(ctx))
	p.background = hcm.NewBackground(p.ctx)
	if err := p.start(); err != nil {
		_ = p.Stop(context.Background())
		return nil, err
	}
	return p, nil
}

// start builds the managers, the static resources, the admin interface
// and the ADS client.
func (p *Proxy) start() error {
	p.clusters = upstream.NewManager(upstream.Env{
		ReadFile: p.opts.ReadFile, Resolver: p.opts.Resolver, Logger: p.log.WithName("upstream"),
	}, p.onChange)
	p.grpc = newGRPCConns(p.clusters)
	p.listeners = listener.NewManager(listener.Deps{
		HCM: hcm.Deps{
			Routes: p.routes.get, Clusters: p.clusters.Get, Live: p.live.Load,
			LocalAddress: localAddress(p.opts.PodIP), Background: p.background, Logger: p.log.WithName("hcm"),
			GRPC: p.grpc.get,
		},
		HasRoute: p.routes.has, HasSecret: p.secrets.has, DrainTime: p.cl.drainTime,
		OnChange: p.onChange, Logger: p.log.WithName("listener"),
	})
	p.init = newInitState(p)
	if err := p.addStatic(); err != nil {
		return err
	}
	admin, err := p.startAdmin()
	if err != nil {
		return err
	}
	p.admin = admin
	if err := p.startXDS(); err != nil {
		return err
	}
	p.init.enable()
	return nil
}

// addStatic compiles and adds the bootstrap's clusters and listeners.
func (p *Proxy) addStatic() error {
	env := upstream.Env{ReadFile: p.opts.ReadFile, Resolver: p.opts.Resolver, Logger: p.log.WithName("upstream")}
	for i, pc := range p.bootstrap.GetStaticResources().GetClusters() {
		c, err := upstream.Compile(pc, env)
		if err != nil {
			return fmt.Errorf("bootstrap: static_resources.clusters[%d]: %w", i, err)
		}
		p.clusters.AddStatic(c)
	}
	for i, pl := range p.bootstrap.GetStaticResources().GetListeners() {
		l, err := listener.Compile(pl, p.compileEnv())
		if err != nil {
			return fmt.Errorf("bootstrap: static_resources.listeners[%d]: %w", i, err)
		}
		if err := p.listeners.AddStatic(l); err != nil {
			return fmt.Errorf("bootstrap: static_resources.listeners[%d]: %w", i, err)
		}
	}
	return nil
}

func (p *Proxy) compileEnv() listener.CompileEnv {
	return listener.CompileEnv{PodIP: p.podIP, Secrets: p.secrets, ReadFile: p.opts.ReadFile}
}

// Ready reports what Envoy's /ready says: the server initialized (the
// initial CDS and LDS responses and their clusters and listeners warmed,
// or their initial fetch timeouts passed) and listeners accept.
func (p *Proxy) Ready() bool { return p.live.Load() }

// AdminAddr is the address the admin interface listens on.
func (p *Proxy) AdminAddr() netip.AddrPort { return p.admin.addr }

// ListenerAddr returns the bound address of an active listener (a
// listener bound on port 0 got its port from the kernel).
func (p *Proxy) ListenerAddr(name string) (netip.AddrPort, bool) { return p.listeners.Addr(name) }

// Stop closes every socket, connection and goroutine of the proxy. In
// flight requests are cut, as when Envoy exits; it returns when all is
// closed or ctx is done.
func (p *Proxy) Stop(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		p.stopOnce.Do(p.stop)
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return errors.New("stopping the data plane: " + ctx.Err().Error())
	}
}

func (p *Proxy) stop() {
	p.live.Store(false)
	p.cancel()
	if p.admin != nil {
		p.admin.close()
	}
	p.wg.Wait()
	if p.conn != nil {
		_ = p.conn.Close()
	}
	if p.init != nil {
		p.init.stop()
	}
	if p.listeners != nil {
		p.listeners.Stop()
	}
	if p.grpc != nil {
		p.grpc.close()
	}
	p.background.Wait()
	if p.clusters != nil {
		p.clusters.Stop()
	}
}

// localAddress is the address Envoy appends to x-forwarded-for for
// loopback peers: its own (the pod's) address.
func localAddress(podIP netip.Addr) netip.Addr {
	return podIP
}
