// Package soak runs the control plane on an envtest kube-apiserver under
// random route churn for a long time (`make soak`, 30 minutes; not part of
// `make test`) with an ADS client connected, like an Envoy of the fleet.
//
// The churn creates, replaces and deletes HTTPRoutes, valid and invalid
// (backends that do not exist, cross-namespace backends without a
// ReferenceGrant, section names no listener has), moves EndpointSlice
// addresses, and toggles a ReferenceGrant and the HTTPS listener's Secret.
// At each checkpoint (every EG_SOAK_CHECK_EVERY, default 5 minutes, and at
// the end) the churn pauses until the control plane has converged, with a
// generous bound: the xDS resources the client holds must equal a fresh
// translation of what the API server holds (resource translator and xDS
// translator, with the same options as the control plane), and the stored
// status of the GatewayClass, the Gateway and every HTTPRoute must equal
// the translated one. A checkpoint that does not converge is a divergence
// and fails the test. The figures are printed as lines starting with SOAK:.
//
// TestSoak runs when EG_SOAK_DURATION is set (for example 30m); EG_SOAK_SEED
// replays a run.
package soak
