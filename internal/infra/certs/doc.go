// Package certs owns the Kubernetes Secrets of the xDS mutual TLS
// connection: the server Secret mounted by the control plane
// (config/manager) and the client Secret mounted by every Envoy Deployment.
// It writes PEM bytes it is given, once; generating them is not its job.
package certs
