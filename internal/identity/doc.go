// Package identity tells whether two maps or slices are the same value,
// not merely equal ones. The pipeline's stages never modify what they hand
// on, so a stage that is given the same map or slice again knows its
// content without reading it.
package identity
