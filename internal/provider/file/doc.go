// Package file owns the File provider: it reads Gateway API, core,
// EnvoyProxy and RateLimitFilter objects from YAML files and folders, validates each object as
// the API server would (internal/validation), and publishes immutable
// gatewayapi.Resources snapshots, and the ready endpoints of the
// EndpointSlices as separate ir.Endpoints snapshots: a change of
// EndpointSlices alone publishes only the latter, which translates no
// route. It watches the paths (fsnotify), debounces bursts of events, and
// keeps the last good content of every file: a file that fails to parse or
// validate is reported (file, document, field and the field's line, from
// go.yaml.in/yaml/v3 node positions) and its previous content stays in
// force; a deleted file's objects go away.
//
// A change costs about what changed: a batch of events reads only the paths
// the events name (a new folder is walked; an event on a hidden folder or
// link, as when a mounted ConfigMap swaps its ..data link, re-reads every
// path), and the content in force (inForce) is kept indexed file by file,
// so that a snapshot is assembled from the objects in force without
// parsing or hashing the files that did not change (the objects of a kind
// none of whose objects changed are those of the previous snapshot), and the endpoints
// snapshot recomputes only the entries of the Services whose slices
// changed. The periodic resync skips files whose size and modification
// time did not change. A test checks the snapshots equal Build's over
// random sequences of changes.
//
// The same decoding (Parse, Build) backs the offline `translate` command.
package file
