// Package controlplane owns the wiring of the `server` command: from a static
// configuration it builds the message topics and the runners (admin,
// provider, resource translator, xDS server, infra manager, status writer)
// and runs them as one group.
package controlplane
