// Package olm checks the committed OLM bundle (bundle/, made by `make bundle`
// from config/manifests): it must pass the operator-framework validators
// that `operator-sdk bundle validate --select-optional suite=operatorframework`
// runs, and everything it copies from config/ (the CRD, the RBAC, the
// control-plane Deployment, Service and static configuration, the samples)
// must still be what config/ says, so that a change to config/ without
// `make bundle` fails `make test`. It needs no cluster and takes about a
// second.
package olm
