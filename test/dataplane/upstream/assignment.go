package upstream

import (
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
)

// Assignment is a validated ClusterLoadAssignment (an EDS resource).
type Assignment struct {
	Proto *endpointv3.ClusterLoadAssignment
	hosts []*Host
}

// CompileAssignment validates an EDS ClusterLoadAssignment: every
// endpoint must be an IP socket address, as Envoy's EDS requires.
func CompileAssignment(cla *endpointv3.ClusterLoadAssignment) (*Assignment, error) {
	specs, err := parseAssignment(cla, true, "")
	if err != nil {
		return nil, err
	}
	return &Assignment{Proto: cla, hosts: hostsOf(specs)}, nil
}
