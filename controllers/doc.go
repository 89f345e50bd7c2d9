// Package controllers is the Kubernetes provider: controller-runtime
// controllers that watch the Gateway API objects and everything they
// reference, gather them into one immutable gatewayapi.Resources snapshot per
// batch of events, and write the translator's statuses back through the
// status subresource. The EndpointSlices of the referenced Services go into
// a separate endpoints snapshot (ir.Endpoints), published with each Resources
// snapshot and alone per batch of EndpointSlice events (endpoints.go), so
// that endpoint churn does not translate routes again.
package controllers
