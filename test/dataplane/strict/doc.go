// Package strict owns the test data plane's table of implemented fields and
// the walker that enforces it: every xDS resource and the bootstrap are
// walked with protoreflect before they are used, and any populated field
// whose full proto name is not in the table, any unknown field, any enum
// value the data plane does not implement, and any google.protobuf.Any
// whose type (or whose filter or extension name) is not implemented is an
// error naming the field path, for example (one path, wrapped here)
//
//	filter_chains[1].filters[0].typed_config.
//	  (envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager).
//	  http_filters[0].typed_config
//
// The data plane NACKs the resource with that error. The table merges the
// route fields of package router (router.ImplementedFields) with the
// fields listed here, one file per proto package. Validate additionally
// runs the protoc-gen-validate rules Envoy applies to every resource,
// inside Any values too.
//
// Envoy selects an extension by the type URL of its typed_config and
// treats the name as a label; this package is stricter on purpose: a
// filter, listener filter, transport socket or protocol-options key must
// carry the extension's canonical name, so a mislabelled extension in what
// we emit fails loudly.
package strict
