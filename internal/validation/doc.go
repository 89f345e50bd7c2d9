// Package validation owns offline validation of input objects as the
// Kubernetes API server would perform it on create.
//
// Custom resources (the Gateway API experimental channel, a superset of the
// standard channel, and our EnvoyProxy CRD,
// embedded in crds/) go through the API server's own code from
// k8s.io/apiextensions-apiserver, called directly: the structural schema,
// the decoder's pruning (unknown fields are errors, as with kubectl's
// default strict field validation), metadata coercion and defaulting, then
// the custom resource strategy's PrepareForCreate and rest.ValidateCreate
// (metadata, OpenAPI schema, embedded objects, list types and the CEL
// rules of x-kubernetes-validations). Errors are therefore the API
// server's; TestErrorsMatchAPIServer compares them with a real
// kube-apiserver's on a corpus and random mutations of it.
//
// For the core kinds the translator reads (Namespace, Service,
// EndpointSlice, Secret) it applies the API server's defaults and a subset
// of its validation (the full built-in validation lives in
// k8s.io/kubernetes, which is not importable as a library).
//
// The embedded CRDs are copies kept in sync by `go generate` (gencrds.go) and
// checked by TestEmbeddedCRDsInSync. Each kind (and version) is compiled
// once, on first use (schema validators and CEL programs), and validators
// are safe for concurrent use.
package validation

//go:generate go run gencrds.go
