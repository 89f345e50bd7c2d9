// Package conformance runs the upstream Gateway API conformance suite
// (sigs.k8s.io/gateway-api/conformance) against this control plane, in
// process, on an envtest kube-apiserver and etcd, with traffic.
//
// The harness (harness.go) installs the control plane as `make deploy`
// does (controlplane.go: the xDS Secrets from our certgen code, the xDS
// Service, mutual TLS, its own address) and surrounds envtest with a
// simulated cluster (test/cluster) that runs the Pods: the suite's backends
// as in-process stand-ins of their images (test/echo, test/coredns) and
// every Envoy fleet replica as a test data plane (test/dataplane) started
// from the bootstrap the infra manager renders; images.go maps images to
// them. The cluster's load balancer gives each fleet Service an address
// that Gateways report, so the suite's own clients send their requests,
// unchanged, through our xDS. The harness never reads or writes Gateway
// API objects or their status.
//
// skips.go lists the tests that cannot run here and why. The suite runs
// from TestConformance when EG_CONFORMANCE=1 (`make conformance`, `make
// test`); a plain `go test ./...` only runs the fast checks of the skip
// list.
package conformance
