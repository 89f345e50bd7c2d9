// Package fastyaml converts between YAML and JSON exactly as sigs.k8s.io/yaml
// does (same values, same bytes), several times faster, for the input it
// handles: YAMLToUnstructured reads the block-style YAML people write, and
// JSONToYAML prints JSON the way yaml.v2 does. Both report ok=false for
// anything outside what they handle, and callers then use sigs.k8s.io/yaml,
// which also produces the error messages for invalid input. Tests compare
// both with sigs.k8s.io/yaml on corpora and by fuzzing.
package fastyaml
