// Package config owns the static configuration of the control plane: loading
// the EnvoyGateway file with strict decoding, applying defaults, and
// validating every field with errors that name the field path.
package config
