// Package admin owns the control plane's admin HTTP listener: liveness
// (/healthz), readiness (/readyz, from checks the runners register),
// Prometheus metrics (/metrics) and any extra read-only handlers a provider
// mounts (the File provider's /api/status and /api/config_dump).
package admin
