// Package render owns the pure translation of a fleet's infra IR
// (ir.Infra) into the Kubernetes objects that run it: a ServiceAccount, a
// ConfigMap holding the Envoy bootstrap, a Deployment and a Service. It makes
// no API calls; the same IR and Options always give the same objects. It also
// owns the naming and labelling rules that tie every object to its fleet.
package render
