// Package controllers is the Kubernetes provider: controller-runtime
// controllers that watch the Gateway API objects and everything they
// reference, gather them into one immutable gatewayapi.Resources snapshot per
// batch of events, and write the translator's statuses back through the
// status subresource.
package controllers
