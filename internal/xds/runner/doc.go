// Package runner owns the xDS runner: it subscribes to the resource
// translator's results on the message bus, translates each fleet's xDS IR into
// Envoy resources and hands them to the xDS server, and stops serving fleets
// that disappeared. A fleet whose translation fails keeps serving its previous
// configuration; the error is logged and counted.
package runner
