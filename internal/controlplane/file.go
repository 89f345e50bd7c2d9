package controlplane

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/envoygw/envoy-gateway/internal/gatewayapi"
	"github.com/envoygw/envoy-gateway/internal/infra/host"
	"github.com/envoygw/envoy-gateway/internal/provider/file"
	"github.com/envoygw/envoy-gateway/internal/translate"
)

// addFileRunners adds the runners of the File provider: the file watcher that
// publishes resource snapshots, and the host infrastructure (a bootstrap and,
// with an Envoy binary, an Envoy process per fleet) whose observed states go
// back into the snapshots. It mounts GET /api/status and GET
// /api/config_dump on the admin listener.
func (c *ControlPlane) addFileRunners() error {
	fc := c.cfg.Provider.File
	provider := file.New(file.Options{
		Paths:     fc.Paths,
		Debounce:  c.batchDelay(),
		Resources: c.resources,
		Endpoints: c.endpoints,
		Logger:    c.log.WithName("file-provider"),
	})
	for _, m := range provider.Collectors() {
		if err := c.registerer.Register(m); err != nil {
			return fmt.Errorf("registering file provider metrics: %w", err)
		}
	}
	xds, err := c.hostXdsTarget()
	if err != nil {
		return err
	}
	infra, err := host.New(host.Options{
		Fleets:        c.fleets,
		StateDir:      fc.StateDir,
		EnvoyPath:     fc.EnvoyPath,
		Xds:           xds,
		OnStates:      provider.SetInfraStates,
		Logger:        c.log.WithName("host-infra"),
		RateLimit:     c.cfg.RateLimit,
		RateLimitPath: fc.RateLimitPath,
	})
	if err != nil {
		return err
	}
	c.admin.AddReadinessCheck("file-provider", provider.Synced)
	c.admin.Handle("GET /api/status", file.StatusHandler(file.StatusHandlerOptions{
		Provider: provider, Resources: c.resources, Results: c.results, Applied: c.applied,
	}))
	c.admin.Handle("GET /api/config_dump", c.configDumpHandler())
	c.runners = append(c.runners, provider, infra)
	return nil
}

// hostXdsTarget is where proxies on this host reach the xDS server: its
// bound address (loopback for a wildcard one), with the client certificate
// from certgen's layout unless xDS is plaintext.
func (c *ControlPlane) hostXdsTarget() (host.XdsTarget, error) {
	hostPart, portPart, err := net.SplitHostPort(c.XdsAddress())
	if err != nil {
		return host.XdsTarget{}, fmt.Errorf("xds address: %w", err)
	}
	port, err := strconv.ParseUint(portPart, 10, 16)
	if err != nil {
		return host.XdsTarget{}, fmt.Errorf("xds port: %w", err)
	}
	if ip := net.ParseIP(hostPart); ip != nil && ip.IsUnspecified() {
		hostPart = "127.0.0.1"
		if ip.To4() == nil {
			hostPart = "::1"
		}
	}
	t := host.XdsTarget{Host: hostPart, Port: uint32(port)}
	if !c.cfg.XdsServer.Plaintext && c.cfg.XdsServer.TLS != nil {
		t.TLS = host.ClientTLSFor(c.cfg.XdsServer.TLS.CertFile)
		if _, err := os.Stat(t.TLS.CertFile); err != nil {
			c.log.Info("the proxies' xDS client certificate is missing: write it with `envoy-gateway certgen`",
				"expected", t.TLS.CertFile)
		}
	}
	return t, nil
}

// configDumpHandler serves the Envoy resources of every fleet of the latest
// translation result with the latest endpoints snapshot in proto-JSON, keyed
// by fleet name, as translated by the xDS translator the xDS runner uses
// (private keys redacted); a fleet the translator rejects shows its error.
// ?fleet=NAME restricts to one fleet (404 when there is none of that name);
// ?type=listener,route,... to some types (400 for a type that is not one).
func (c *ControlPlane) configDumpHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		types, err := dumpTypes(r.URL.Query().Get("type"))
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		result, _ := c.results.Load()
		if result == nil {
			result = &gatewayapi.Result{}
		}
		if name := r.URL.Query().Get("fleet"); name != "" {
			one := onlyFleet(result, name)
			if len(one.Fleets) == 0 {
				writeJSON(w, http.StatusNotFound, map[string]string{
					"error": fmt.Sprintf("fleet %q not found; the fleets are %s", name, fleetNames(result)),
				})
				return
			}
			result = one
		}
		eps, _ := c.endpoints.Load()
		writeJSON(w, http.StatusOK, translate.ConfigDump(result, eps, types))
	})
}

// dumpTypes parses ?type: comma-separated xDS resource types, or all.
func dumpTypes(param string) ([]string, error) {
	if param == "" {
		return nil, nil
	}
	valid := append(slices.Clone(translate.ResourceTypes), translate.TypeAll)
	types := strings.Split(param, ",")
	for _, t := range types {
		if !slices.Contains(valid, t) {
			return nil, fmt.Errorf("type %q is not one of %s", t, strings.Join(valid, ", "))
		}
	}
	return types, nil
}

// fleetNames lists the result's fleet names for a message.
func fleetNames(r *gatewayapi.Result) string {
	if len(r.Fleets) == 0 {
		return "none"
	}
	names := make([]string, 0, len(r.Fleets))
	for _, f := range r.Fleets {
		names = append(names, fmt.Sprintf("%q", f.Name))
	}
	return strings.Join(names, ", ")
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(body)
}

func onlyFleet(r *gatewayapi.Result, name string) *gatewayapi.Result {
	out := &gatewayapi.Result{Statuses: r.Statuses}
	for _, f := range r.Fleets {
		if f.Name == name {
			out.Fleets = append(out.Fleets, f)
		}
	}
	return out
}
