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
// first use (CEL rules once per schema node, when a value first reaches it),
// and are safe for concurrent use.
//
// Validation is fast because the common case, a valid object, takes quick
// paths that answer only "certainly valid" or "don't know": a compiled
// OpenAPI check (openapi.go), CEL rules evaluated without cost tracking when
// the static cost estimates rule out every limit (cel.go, celvalues.go), a
// path-free list-type check (structural.go). On "don't know" the upstream
// apiextensions code runs, so every error and message is upstream's. Pruning
// and defaulting are upstream's algorithms over a pointer tree of the schema
// (structural.go). Tests compare each quick path with upstream on the corpus
// of golden inputs and random mutations of it.
package validation

//go:generate go run gencrds.go
