package controlplane

import (
	"fmt"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
	"github.com/envoygw/envoy-gateway/internal/applied"
	"github.com/envoygw/envoy-gateway/internal/gatewayapi"
	"github.com/envoygw/envoy-gateway/internal/idlegc"
	"github.com/envoygw/envoy-gateway/internal/runner"
	xdsrunner "github.com/envoygw/envoy-gateway/internal/xds/runner"
	xdsserver "github.com/envoygw/envoy-gateway/internal/xds/server"
)

// xdsRunners builds the xDS server (bound now, so a busy port fails start-up)
// and the runner that translates each result's fleets, and each endpoints
// snapshot's assignments, and updates it.
func (c *ControlPlane) xdsRunners() ([]runner.Runner, error) {
	c.applied = applied.New()
	serverOpts := xdsServerOptions(c.cfg.XdsServer, c.registerer, c.log.WithName("xds-server"))
	serverOpts.OnProxyChange = c.applied.Notify
	gc := idlegc.New()
	for _, m := range gc.Collectors() {
		if err := c.registerer.Register(m); err != nil {
			return nil, fmt.Errorf("registering the idle collector's metrics: %w", err)
		}
	}
	serverOpts.OnPropagated = gc.AfterChange
	server, err := xdsserver.New(serverOpts)
	if err != nil {
		return nil, err
	}
	if err := server.Listen(); err != nil {
		return nil, err
	}
	c.xdsServer = server
	r, err := xdsrunner.New(xdsrunner.Options{
		Fleets:     c.fleets,
		Endpoints:  c.endpoints,
		Server:     server,
		Registerer: c.registerer,
		Logger:     c.log.WithName("xds-runner"),
		OnServed:   c.applied.Notify,
	})
	if err != nil {
		return nil, err
	}
	c.applied.SetSources(applied.Sources{Served: func(fleet string) *gatewayapi.Result {
		set := r.Served(fleet)
		if set == nil {
			return nil
		}
		result, _ := set.Source.(*gatewayapi.Result)
		return result
	}, Proxies: server.FleetStatus})
	atRest := runner.Func{RunnerName: "memory-at-rest", Run: gc.ReturnMemoryAtRest}
	return []runner.Runner{server, r, atRest}, nil
}

// XdsAddress returns the bound xDS address.
func (c *ControlPlane) XdsAddress() string { return c.xdsServer.Addr().String() }

// xdsServerOptions builds the xDS server's options from the static
// configuration's xdsServer section (nil means the server defaults).
func xdsServerOptions(c *egv1a1.XdsServer, reg prometheus.Registerer, log logr.Logger) xdsserver.Options {
	o := xdsserver.Options{Registerer: reg, Logger: log}
	if c == nil {
		return o
	}
	o.Address, o.Port, o.Plaintext = c.Address, int(c.Port), c.Plaintext
	if c.TLS != nil {
		o.TLS = &xdsserver.TLSFiles{CertFile: c.TLS.CertFile, KeyFile: c.TLS.KeyFile, CAFile: c.TLS.CAFile}
	}
	return o
}
