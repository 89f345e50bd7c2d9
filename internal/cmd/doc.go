// Package cmd owns the envoy-gateway command line: the cobra command tree
// (server, version, certgen, translate) and the flags of each command. Commands
// parse their flags and hand off to the packages that do the work.
package cmd
