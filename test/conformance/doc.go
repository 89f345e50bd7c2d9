// Package conformance runs the upstream Gateway API conformance suite
// (sigs.k8s.io/gateway-api/conformance) against this control plane, in
// process, on an envtest kube-apiserver and etcd.
//
// Only the tests that check what the controller writes to the API run: there
// is no Envoy here, so every test that sends traffic through a Gateway is
// skipped (skips.go lists them with their reasons). Nothing runs Pods either,
// so a workload stand-in (workload.go) plays the parts of the cluster that
// envtest lacks: it creates the Pods of Deployments, marks them Ready and
// marks the Deployments Available, all through the API (status
// subresources). It never reads or writes Gateway API objects.
//
// The suite runs from TestConformance when EG_CONFORMANCE=1 (`make
// conformance`); a plain `go test ./...` only runs the fast checks of the
// skip list.
package conformance
