// Package bootstrap owns the Envoy bootstrap of a proxy fleet, shared by the
// File provider's host processes (infra/host) and the Kubernetes ConfigMaps
// (infra/render): the node (cluster = fleet name), LDS and CDS over ADS to a
// static HTTP/2 cluster of the xDS server (plaintext or mutual TLS 1.3), the
// admin interface and an optional static readiness listener. Build is a pure
// function of its Options and YAML renders the result deterministically;
// where the files live and which ports are used is the callers' policy.
package bootstrap
