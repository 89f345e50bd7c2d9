package controlplane

import (
	"github.com/envoygw/envoy-gateway/internal/applied"
	"github.com/envoygw/envoy-gateway/internal/runner"
	xdsrunner "github.com/envoygw/envoy-gateway/internal/xds/runner"
	xdsserver "github.com/envoygw/envoy-gateway/internal/xds/server"
)

// xdsRunners builds the xDS server (bound now, so a busy port fails start-up)
// and the runner that translates each result's fleets, and each endpoints
// snapshot's assignments, and updates it.
func (c *ControlPlane) xdsRunners() ([]runner.Runner, error) {
	c.applied = applied.New()
	serverOpts := xdsserver.OptionsFromConfig(c.cfg.XdsServer, c.registerer, c.log.WithName("xds-server"))
	serverOpts.OnProxyChange = c.applied.Notify
	server, err := xdsserver.New(serverOpts)
	if err != nil {
		return nil, err
	}
	if err := server.Listen(); err != nil {
		return nil, err
	}
	c.xdsServer = server
	r, err := xdsrunner.New(xdsrunner.Options{
		Results:    c.results,
		Endpoints:  c.endpoints,
		Server:     server,
		Registerer: c.registerer,
		Logger:     c.log.WithName("xds-runner"),
		OnServed:   c.applied.Notify,
	})
	if err != nil {
		return nil, err
	}
	c.applied.SetSources(applied.Sources{Served: r.Served, Proxies: server.FleetStatus})
	return []runner.Runner{server, r}, nil
}

// XdsAddress returns the bound xDS address.
func (c *ControlPlane) XdsAddress() string { return c.xdsServer.Addr().String() }
