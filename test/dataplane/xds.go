package dataplane

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/protobuf/proto"

	"github.com/envoygw/envoy-gateway/test/dataplane/hcm"
	"github.com/envoygw/envoy-gateway/test/dataplane/listener"
	"github.com/envoygw/envoy-gateway/test/dataplane/router"
	"github.com/envoygw/envoy-gateway/test/dataplane/strict"
	"github.com/envoygw/envoy-gateway/test/dataplane/tlssock"
	"github.com/envoygw/envoy-gateway/test/dataplane/upstream"
	"github.com/envoygw/envoy-gateway/test/dataplane/xdsclient"
)

// maxXDSMessage is the largest xDS response accepted (a 10,000-route RDS
// response is over 4 MiB; Envoy's own limit is far larger).
const maxXDSMessage = 1 << 30

// startXDS dials the ADS cluster named by dynamic_resources.ads_config
// and starts the client; the subscriptions start as initialization goes.
func (p *Proxy) startXDS() error {
	dyn := p.bootstrap.GetDynamicResources()
	if dyn == nil {
		return nil
	}
	ads := dyn.GetAdsConfig()
	if ads == nil && (dyn.GetLdsConfig() != nil || dyn.GetCdsConfig() != nil) {
		return errors.New("bootstrap: dynamic_resources: lds_config/cds_config use ads but there is no ads_config")
	}
	if ads == nil {
		return nil
	}
	if n := len(ads.GetGrpcServices()); n != 1 {
		return fmt.Errorf("bootstrap: dynamic_resources.ads_config.grpc_services: invalid: %d services; "+
			"exactly one is implemented", n)
	}
	name := ads.GetGrpcServices()[0].GetEnvoyGrpc().GetClusterName()
	cluster := p.clusters.Static(name)
	if cluster == nil {
		return fmt.Errorf("bootstrap: dynamic_resources.ads_config.grpc_services[0].envoy_grpc.cluster_name: "+
			"invalid: %q is not a static cluster", name)
	}
	if !cluster.HTTP2() {
		return fmt.Errorf("bootstrap: dynamic_resources.ads_config: cluster %q does not support HTTP/2 (gRPC needs it)", name)
	}
	opts := []grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()), // TLS, when configured, is the cluster's
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
			h, err := cluster.Pick()
			if err != nil {
				return nil, err
			}
			return cluster.DialTCP(ctx, h)
		}),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxXDSMessage)),
	}
	streamWindow, connWindow := cluster.HTTP2Windows()
	opts = append(opts, grpc.WithInitialWindowSize(streamWindow), grpc.WithInitialConnWindowSize(connWindow))
	if iv, to := cluster.Keepalive(); iv > 0 {
		ka := keepalive.ClientParameters{Time: iv, Timeout: to, PermitWithoutStream: true}
		opts = append(opts, grpc.WithKeepaliveParams(ka))
	}
	conn, err := grpc.NewClient("passthrough:///"+name, opts...)
	if err != nil {
		return fmt.Errorf("xDS client: %w", err)
	}
	p.conn = conn
	p.xds = xdsclient.New(xdsclient.Options{
		Node: xdsNode(p.bootstrap), Conn: conn, Logger: p.log.WithName("xds"),
		Handlers: map[string]xdsclient.Handler{
			xdsclient.ClusterType:  xdsclient.HandlerFunc(p.onCDS),
			xdsclient.EndpointType: xdsclient.HandlerFunc(p.onEDS),
			xdsclient.ListenerType: xdsclient.HandlerFunc(p.onLDS),
			xdsclient.RouteType:    xdsclient.HandlerFunc(p.onRDS),
			xdsclient.SecretType:   xdsclient.HandlerFunc(p.onSDS),
		},
	})
	p.wg.Go(func() { p.xds.Run(p.ctx) })
	return nil
}

// checkResource runs the strict walker and the protoc-gen-validate rules.
func checkResource(m proto.Message) error {
	if err := strict.Check(m); err != nil {
		return err
	}
	return strict.Validate(m)
}

// onCDS applies a CDS response as Envoy's CdsApiHelper: each cluster is
// added or updated on its own; the failures are reported together.
func (p *Proxy) onCDS(u xdsclient.Update) error {
	env := upstream.Env{ReadFile: p.opts.ReadFile, Resolver: p.opts.Resolver, Logger: p.log.WithName("upstream")}
	var ok []*upstream.Cluster
	var rejected, msgs []string
	for _, r := range u.Resources {
		pc := r.Msg.(*clusterv3.Cluster)
		err := checkResource(pc)
		var c *upstream.Cluster
		if err == nil {
			c, err = upstream.Compile(pc, env)
		}
		if err != nil {
			rejected = append(rejected, r.Name)
			msgs = append(msgs, fmt.Sprintf("%s: %v", r.Name, err))
			continue
		}
		ok = append(ok, c)
	}
	if err := p.clusters.ApplyCDS(ok, rejected); err != nil {
		msgs = append(msgs, err.Error())
	}
	p.init.cdsResponded()
	p.resubscribe()
	p.onChange()
	return joinMsgs("Error adding/updating cluster(s) ", msgs)
}

// onEDS applies the assignments of the subscribed names.
func (p *Proxy) onEDS(u xdsclient.Update) error {
	var ok []*upstream.Assignment
	var msgs []string
	for _, r := range u.Resources {
		cla := r.Msg.(*endpointv3.ClusterLoadAssignment)
		err := checkResource(cla)
		var a *upstream.Assignment
		if err == nil {
			a, err = upstream.CompileAssignment(cla)
		}
		if err != nil {
			msgs = append(msgs, fmt.Sprintf("%s: %v", r.Name, err))
			continue
		}
		ok = append(ok, a)
	}
	p.clusters.ApplyEDS(ok)
	return joinMsgs("Error applying cluster load assignment(s) ", msgs)
}

// onLDS applies an LDS response as Envoy's LdsApiImpl.
func (p *Proxy) onLDS(u xdsclient.Update) error {
	var ok []*listener.Listener
	var rejected, msgs []string
	for _, r := range u.Resources {
		pl := r.Msg.(*listenerv3.Listener)
		err := checkResource(pl)
		var l *listener.Listener
		if err == nil {
			l, err = listener.Compile(pl, p.compileEnv())
		}
		if err != nil {
			rejected = append(rejected, r.Name)
			msgs = append(msgs, fmt.Sprintf("%s: %v", r.Name, err))
			continue
		}
		ok = append(ok, l)
	}
	if err := p.listeners.ApplyLDS(ok, rejected); err != nil {
		msgs = append(msgs, err.Error())
	}
	p.init.ldsResponded()
	p.resubscribe()
	p.onChange()
	return joinMsgs("Error adding/updating listener(s) ", msgs)
}

// onRDS applies the route configurations of the subscribed names; a
// rejected one keeps its previous version.
func (p *Proxy) onRDS(u xdsclient.Update) error {
	wanted := p.listeners.RouteNames()
	var msgs []string
	for _, r := range u.Resources {
		if !contains(wanted, r.Name) {
			continue
		}
		rc := r.Msg.(*routev3.RouteConfiguration)
		err := checkResource(rc)
		var t *router.Table
		if err == nil {
			t, err = router.CompileWith(rc, hcm.RouteOptions())
		}
		if err != nil {
			msgs = append(msgs, fmt.Sprintf("%s: %v", r.Name, err))
			continue
		}
		p.routes.set(r.Name, t, rc)
	}
	p.listeners.Reconcile()
	p.onChange()
	return joinMsgs("", msgs)
}

// onSDS applies the TLS certificate secrets of the subscribed names.
func (p *Proxy) onSDS(u xdsclient.Update) error {
	wanted := p.listeners.SecretNames()
	var msgs []string
	for _, r := range u.Resources {
		if !contains(wanted, r.Name) {
			continue
		}
		sec := r.Msg.(*tlsv3.Secret)
		err := checkResource(sec)
		if err == nil {
			c, perr := tlssock.ParseSecret(sec, p.opts.ReadFile)
			if perr == nil {
				p.secrets.set(r.Name, c, sec)
			}
			err = perr
		}
		if err != nil {
			msgs = append(msgs, fmt.Sprintf("%s: %v", r.Name, err))
		}
	}
	p.listeners.Reconcile()
	p.onChange()
	return joinMsgs("", msgs)
}

// resubscribe points the EDS, RDS and SDS subscriptions at what the
// clusters and listeners reference now, and forgets what they no longer
// do.
func (p *Proxy) resubscribe() {
	if p.xds == nil {
		return
	}
	p.xds.Subscribe(xdsclient.EndpointType, p.clusters.EDSNames())
	routes, secrets := p.listeners.RouteNames(), p.listeners.SecretNames()
	p.routes.keep(routes)
	p.secrets.keep(secrets)
	p.xds.Subscribe(xdsclient.RouteType, routes)
	p.xds.Subscribe(xdsclient.SecretType, secrets)
}

func joinMsgs(prefix string, msgs []string) error {
	if len(msgs) == 0 {
		return nil
	}
	return errors.New(prefix + strings.Join(msgs, ", "))
}

func contains(list []string, s string) bool { return slices.Contains(list, s) }
