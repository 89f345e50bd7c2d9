// Package bus holds the values the runners exchange over message topics
// (internal/message) between the providers and resource translator on one
// side and the xDS and infra layers on the other. They are neutral: IR and
// plain Go values, nothing Gateway-API-, Kubernetes- or Envoy-shaped, so
// internal/xds and internal/infra depend on no provider or translator.
//
// The topics of a control plane (internal/controlplane) are:
//   - resources (*gatewayapi.Resources): provider -> resource translator;
//   - results (*gatewayapi.Result): resource translator -> status writers;
//   - fleets (*FleetSet): resource translator -> xDS runner and infra;
//   - endpoints (*ir.Endpoints): provider -> xDS runner.
//
// Infra reports each fleet's InfraState back to its provider directly.
// Values are published once and never mutated afterwards.
package bus
