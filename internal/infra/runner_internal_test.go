package infra

import (
	"testing"

	"github.com/envoygw/envoy-gateway/internal/bus"
	"github.com/envoygw/envoy-gateway/internal/ir"
)

func TestInfraInputSame(t *testing.T) {
	infraOf := func(serviceType string) *ir.Infra {
		return &ir.Infra{Proxy: &ir.ProxyInfra{Name: "ns/eg", Config: ir.ProxyConfig{ServiceType: serviceType, Replicas: 1}}}
	}
	set := func(serviceType string, x *ir.Xds, frozen ...string) *bus.FleetSet {
		return &bus.FleetSet{Fleets: []*bus.Fleet{{Name: "ns/eg", Infra: infraOf(serviceType), Xds: x}}, FrozenGatewayClasses: frozen}
	}
	ready := map[string]bus.InfraState{"ns/eg": {Ready: true}}
	base := newInfraInput(set("LoadBalancer", &ir.Xds{}), ready)
	tests := []struct {
		name string
		in   infraInput
		same bool
	}{
		{"a new xDS IR and an equal infra IR in new objects", newInfraInput(set("LoadBalancer", &ir.Xds{HTTP: []*ir.HTTPListener{{Name: "l"}}}), map[string]bus.InfraState{"ns/eg": {Ready: true}}), true},
		{"another Service type", newInfraInput(set("NodePort", &ir.Xds{}), ready), false},
		{"a frozen GatewayClass", newInfraInput(set("LoadBalancer", &ir.Xds{}, "eg"), ready), false},
		{"the fleet not ready any more", newInfraInput(set("LoadBalancer", &ir.Xds{}), map[string]bus.InfraState{"ns/eg": {}}), false},
		{"the fleet's objects gone", newInfraInput(set("LoadBalancer", &ir.Xds{}), map[string]bus.InfraState{}), false},
		{"global rate limits", newInfraInput(set("LoadBalancer", &ir.Xds{GlobalRateLimit: &ir.GlobalRateLimit{}}), ready), false},
		{"no fleet", newInfraInput(&bus.FleetSet{}, ready), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.in.same(&base); got != tt.same {
				t.Fatalf("same = %v, want %v", got, tt.same)
			}
		})
	}
}
