// Package traffic holds the end-to-end traffic tests: the conformance
// harness (our control plane on envtest, the simulated cluster, echo
// backends and the test data plane) with requests sent through the
// Gateway's load balancer address while routes and endpoints change; and
// the benchmark of the time from applying an HTTPRoute to its first 200
// (`make bench-traffic`). Only test files live here.
package traffic
