// Package infra owns the Kubernetes side of the Envoy fleets: it applies the
// objects rendered by package render with server-side apply (field manager
// "envoy-gateway"), deletes the objects of fleets that are gone, runs as a
// Runner subscribed to the fleets topic (bus.FleetSet), and observes the
// Deployments and Services of the fleets to report each fleet's
// bus.InfraState (ready, addresses) back to the provider. Its input is IR
// only: it reads no Gateway API object. Rendering itself is pure and lives
// in infra/render; the xDS certificate Secrets are written by infra/certs.
package infra
