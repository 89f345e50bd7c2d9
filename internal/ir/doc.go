// Package ir owns the intermediate representation between the resource
// translator (internal/gatewayapi) and the backends that act on it: the xDS
// translator (internal/xds/translator) and the infra manager (internal/infra).
//
// Xds says what one proxy fleet must do; Infra says what proxies to run. Both are
// plain Go structs with json tags and a Validate method. Nothing Gateway-API
// shaped and nothing Envoy-proto shaped crosses this package. Values are built
// once by the translator and then treated as immutable by every reader.
package ir
