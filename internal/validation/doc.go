// Package validation owns offline validation of input objects as the
// Kubernetes API server would perform it on create: for custom resources
// (the Gateway API standard channel and our EnvoyProxy CRD, embedded in crds/)
// it prunes and reports unknown fields, applies the schema defaults, checks
// the metadata, the OpenAPI structural schema, list-type invariants and the
// CEL rules (x-kubernetes-validations); for the core kinds the translator
// reads (Namespace, Service, EndpointSlice, Secret) it applies the API
// server's defaults and a subset of its validation.
//
// The embedded CRDs are copies kept in sync by `go generate` (gencrds.go) and
// checked by TestEmbeddedCRDsInSync. Validators are compiled once per kind, on
// first use, and are safe for concurrent use.
package validation

//go:generate go run gencrds.go
