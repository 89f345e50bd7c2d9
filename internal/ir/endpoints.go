package ir

import (
	"errors"
	"fmt"
	"sync/atomic"
)

// EndpointSource says where the endpoints of an EDS cluster come from: the
// entry of a Service in the endpoints snapshot (Endpoints), and which of its
// EndpointSlice ports the cluster uses. EndpointSlices name their ports
// after the Service port and give the resolved targetPort as the number, so
// the port is picked by PortName and Protocol.
type EndpointSource struct {
	// Namespace and Name are the Service's.
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// Port is the Service port the cluster stands for. It does not take part
	// in the lookup (the endpoints' port is the targetPort), it says which
	// Service port PortName and Protocol were taken from.
	Port uint32 `json:"port"`
	// PortName is the Service port's name, empty for an unnamed port.
	PortName string `json:"portName,omitempty"`
	// Protocol is the Service port's protocol; empty means TCP.
	Protocol Protocol `json:"protocol,omitempty"`
}

// ServiceKey is the key of the Service in Endpoints.Services.
func (s *EndpointSource) ServiceKey() string { return ServiceKey(s.Namespace, s.Name) }

func (s *EndpointSource) validate() error {
	switch {
	case s.Namespace == "" || s.Name == "":
		return errors.New("namespace and name are required")
	case s.Port == 0 || s.Port > 65535:
		return fmt.Errorf("port %d is out of range 1-65535", s.Port)
	}
	return nil
}

// ServiceKey is the key of a Service in Endpoints.Services: "<namespace>/<name>".
func ServiceKey(namespace, name string) string { return namespace + "/" + name }

// Endpoints is the endpoints snapshot in IR form: for each Service a provider
// reports on, its ready endpoints per EndpointSlice port. It changes with
// endpoint churn, independently of the Xds of the fleets; the xDS layer
// combines the two into ClusterLoadAssignments. Values are built once and
// then treated as immutable.
type Endpoints struct {
	// Services maps ServiceKey to the Service's endpoints. A Service listed
	// is complete: no ports means no ready endpoints. A Service not listed is
	// one the snapshot says nothing about.
	Services map[string]*ServiceEndpoints `json:"services,omitempty"`
	// ID identifies the snapshot for Delta, 0 when it has no identity (a
	// snapshot built without NewEndpointsID). Not part of its content.
	ID uint64 `json:"-"`
	// Delta, when set, says which keys of Services may differ from those
	// of an earlier snapshot: a consumer holding what it computed from that
	// one may redo the changed keys only. Not part of the content.
	Delta *EndpointsDelta `json:"-"`
}

// EndpointsDelta says how a snapshot's Services differ from those of the
// snapshot whose ID is From: every key not in Changed has the same entry
// (the same pointer, or absent from both); keys in Changed were added,
// replaced or removed.
type EndpointsDelta struct {
	From    uint64
	Changed []string
}

// endpointsIDs numbers snapshots across the process.
var endpointsIDs atomic.Uint64

// NewEndpointsID returns an ID no other snapshot of the process has.
func NewEndpointsID() uint64 { return endpointsIDs.Add(1) }

// ChangedSince returns the keys whose entries may differ from those of the
// snapshot with ID from, and false when e does not say (no delta from that
// snapshot, or either has no identity).
func (e *Endpoints) ChangedSince(from uint64) ([]string, bool) {
	if e == nil || e.ID == 0 || from == 0 || e.Delta == nil || e.Delta.From != from {
		return nil, false
	}
	return e.Delta.Changed, true
}

// ServiceEndpoints are the ready endpoints of one Service.
type ServiceEndpoints struct {
	// Ports are sorted by name, then protocol; name and protocol are unique.
	Ports []*PortEndpoints `json:"ports,omitempty"`
}

// PortEndpoints are the ready endpoints of the EndpointSlice ports of one
// name and protocol (each slice gives the port number its endpoints listen on).
type PortEndpoints struct {
	Name     string   `json:"name,omitempty"`
	Protocol Protocol `json:"protocol"`
	// Endpoints are sorted by address, then port, without duplicates.
	Endpoints []*Endpoint `json:"endpoints,omitempty"`
}

// Lookup returns the endpoints of src and whether e knows src's Service at all.
// A nil Endpoints knows no Service.
func (e *Endpoints) Lookup(src *EndpointSource) (endpoints []*Endpoint, known bool) {
	if e == nil || src == nil {
		return nil, false
	}
	svc, ok := e.Services[src.ServiceKey()]
	if !ok {
		return nil, false
	}
	return svc.PortEndpoints(src), true
}

// PortEndpoints is the endpoints of the EndpointSlice port matching src's
// PortName and Protocol (TCP when empty); nil when there is no such port
// or s is nil.
func (s *ServiceEndpoints) PortEndpoints(src *EndpointSource) []*Endpoint {
	if s == nil {
		return nil
	}
	proto := src.Protocol
	if proto == "" {
		proto = ProtocolTCP
	}
	for _, p := range s.Ports {
		if p.Name == src.PortName && p.Protocol == proto {
			return p.Endpoints
		}
	}
	return nil
}
