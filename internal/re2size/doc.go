// Package re2size checks regular expressions the way Envoy does before it
// takes them: RE2 syntax, and an RE2 program no bigger than Envoy's limit.
// Envoy measures a regex by RE2's ProgramSize, which Go cannot call; the
// package estimates it from Go's own compilation of the same syntax (see
// Estimate) and is tested against sizes given by RE2 itself
// (testdata/program-sizes.tsv, made by hack/re2-program-size). The resource
// translator uses it to reject such regexes with a status, the xDS
// translator to leave out any route that still holds one.
package re2size
