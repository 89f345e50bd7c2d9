// Package xds is the parent of the xDS layer: translator turns the xDS IR of
// one proxy fleet into Envoy resources, server serves them to the fleet's
// proxies over ADS, and runner connects the two to the message bus.
package xds
