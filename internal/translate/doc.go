// Package translate owns the offline pipeline behind `envoy-gateway
// translate` and the xDS dump format shared with the admin /api/config_dump:
// input files are parsed and validated like the File provider does
// (internal/provider/file), translated by gatewayapi.Translate (and their
// EndpointSlices by gatewayapi.TranslateEndpoints) and, for xDS, by the xDS
// translator the server uses, which combines the two as the xDS runner does,
// then printed as YAML or JSON.
package translate
