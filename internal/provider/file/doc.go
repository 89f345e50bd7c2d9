// Package file owns the File provider: it reads Gateway API, core,
// EnvoyProxy and RateLimitFilter objects from YAML files and folders, validates each object as
// the API server would (internal/validation), and publishes immutable
// gatewayapi.Resources snapshots, and the EndpointSlices as separate
// gatewayapi.Endpoints snapshots: a change of EndpointSlices alone publishes
// only the latter, which translates no route. It watches the paths (fsnotify), debounces
// bursts of events, and keeps the last good content of every file: a file
// that fails to parse or validate is reported (file, document, field and
// the field's line, from go.yaml.in/yaml/v3 node positions) and
// its previous content stays in force; a deleted file's objects go away.
//
// The same decoding (Parse, Build) backs the offline `translate` command.
package file
