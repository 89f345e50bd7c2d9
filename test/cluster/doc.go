// Package cluster is test-only code that plays the parts of a Kubernetes
// cluster envtest lacks, so that workloads really run next to an envtest
// API server: the Deployment controller, the scheduler and one Node's
// kubelet, the endpoint slice controller, the cluster DNS, kube-proxy and a
// cloud load balancer. It reads the API and writes only what those
// components write (Pods and their bindings and status, Deployment status,
// EndpointSlices, the Node, Service load balancer status); Gateway API
// objects are none of its business.
//
// Network. A Cluster owns a Network: a /20 of 198.18.0.0/15 (reserved for
// benchmarking, RFC 2544) that the process claims for itself (an abstract
// Unix socket named after the block, freed by the kernel when the process
// ends, so parallel test processes never share one) and routes to the
// loopback interface as a local route, so that every address in it can be
// bound and reached on this machine. Pod IPs cannot be loopback addresses:
// the API server refuses those in EndpointSlices. Adding the route needs
// CAP_NET_ADMIN (root, as CI runs); without it ClaimNetwork fails and says
// so. The block holds the Service range (the API server's
// --service-cluster-ip-range, so ClusterIPs are real addresses here), the
// load balancer addresses, the Node's address and Pod IPs (each handed out
// once per run).
//
// Kubelet. Every Pod (in the configured namespaces) is bound to the Node
// through the binding subresource and gets a Pod IP. Each container runs
// in this process through the Runtime of its image (Images); the runtime
// gets the container's command and args with $(VAR) expanded, its
// environment (env, envFrom, downward API, ConfigMap and Secret keys), its
// ConfigMap and Secret volumes as a ReadFile function, the Pod IP to bind
// to, the cluster DNS, and a writer for its output. A Pod is Ready when
// all its containers report Ready (probed every 200 ms); an image without
// a runtime leaves its container waiting with reason ImageNotSupported and
// a log line, never Ready. A failed start is retried with a doubling
// back-off. A deleted Pod's containers are stopped and the deletion is
// completed (grace period 0), as the kubelet confirms it; preStop hooks and
// grace periods are not waited for.
//
// Pod logs. The Node's kubelet endpoint (its InternalIP, port 10250, TLS
// with a CA of the Cluster's own) serves /containerLogs, so the API
// server's pods/log (and kubectl logs, and the conformance suite's log
// reader) work unchanged: APIServerFlags gives the API server the
// --kubelet-certificate-authority and client certificate flags for it.
// Timestamps, sinceTime, sinceSeconds, tailLines and limitBytes are
// honoured; follow and previous are refused with the reason.
//
// Deployments. The Deployment's Pods are named
// <deployment>-<template hash>-<index>; a changed template is rolled out by
// creating the new Pods and deleting the old ones once the new ones are
// Ready. Status reports replicas and the Available condition.
//
// EndpointSlices. For every Service with a selector: one slice per address
// type and set of resolved ports, with ready/serving/terminating
// conditions, as the endpoint slice controller writes them (a placeholder
// slice when no Pod matches). Services without a selector keep the slices
// their authors write.
//
// DNS. Resolver gives a Pod's view: <service>.<namespace>.svc.cluster.local
// resolves to the ClusterIPs, to the ready endpoints of a headless
// Service, and through an ExternalName Service to its target; search
// domains and ndots:5 as in a Pod's resolv.conf. Nothing outside the
// cluster resolves (there is no upstream DNS).
//
// Services. The service proxy listens on every ClusterIP and TCP or UDP
// port and forwards connections round robin to the ready endpoints of the
// Service's EndpointSlices (a Service without any resets connections); a
// UDP port keeps a session per client address, as connection tracking
// does: its first datagram picks the endpoint, replies come back from the
// Service's address, and 30 s without a datagram ends it (a Service
// without endpoints drops datagrams). For a
// LoadBalancer Service it allocates an address of the Network (the one
// spec.loadBalancerIP requests when it is one of the Network's static load
// balancer addresses and free; none at all when it is another), listens on
// it at each Service port the same way, and then writes it into
// status.loadBalancer.ingress; a port it cannot bind (a privileged port
// without root, for instance) is logged and kept in Problems, and the
// status is not written. SCTP ports are not proxied.
package cluster
