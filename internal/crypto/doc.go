// Package crypto owns the certificates of the xDS mTLS connection between the
// proxies and the control plane: Generate makes an ECDSA P-256 CA with a
// server certificate (for the xDS server) and a client certificate (for the
// proxies), and WriteDir writes them as PEM files. Generation is separate from
// writing so the same certificates can be stored elsewhere (Kubernetes
// Secrets) with ServerFiles and ClientFiles.
package crypto
