// Package protovalidate owns the deep validation of Envoy protos: the
// protoc-gen-validate rules of a message and of every message packed in an
// Any inside it, as Envoy validates every resource and typed config it
// loads. The xDS translator and the test data plane both use it.
package protovalidate
