package render

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

func TestResourceName(t *testing.T) {
	long := strings.Repeat("a", 63) + "/" + strings.Repeat("b", 253)
	tests := []struct {
		fleet string
		// prefix is what the name must start with (the hash follows).
		prefix string
	}{
		{fleet: "default/eg", prefix: "envoy-default-eg-"},
		{fleet: "eg", prefix: "envoy-eg-"},
		{fleet: "Team.A/My_Gateway", prefix: "envoy-team-a-my-gateway-"},
		{fleet: "a--b//c", prefix: "envoy-a-b-c-"},
		{fleet: "-edge-/-", prefix: "envoy-edge-"},
		{fleet: "///", prefix: "envoy-"},
		{fleet: "", prefix: "envoy-"},
		{fleet: long, prefix: "envoy-" + strings.Repeat("a", 48) + "-"},
		{fleet: "ns/" + strings.Repeat("x", 44) + "-yyy", prefix: "envoy-ns-" + strings.Repeat("x", 44) + "-"},
	}
	for _, tt := range tests {
		t.Run(tt.fleet, func(t *testing.T) {
			got := ResourceName(tt.fleet)
			if !strings.HasPrefix(got, tt.prefix) {
				t.Errorf("ResourceName(%q) = %q, want prefix %q", tt.fleet, got, tt.prefix)
			}
			if len(got) != len(tt.prefix)+hashLen {
				t.Errorf("ResourceName(%q) = %q: want the prefix then %d hash digits", tt.fleet, got, hashLen)
			}
			if msgs := validation.IsDNS1035Label(got); len(msgs) > 0 {
				t.Errorf("ResourceName(%q) = %q is not a DNS-1035 label: %v", tt.fleet, got, msgs)
			}
			if again := ResourceName(tt.fleet); again != got {
				t.Errorf("ResourceName(%q) is not stable: %q then %q", tt.fleet, got, again)
			}
		})
	}
}

func TestResourceNameDistinguishesSanitizedCollisions(t *testing.T) {
	fleets := []string{"a/b", "a-b", "A/B", "a.b", "a/b/", strings.Repeat("n", 60) + "/x", strings.Repeat("n", 60) + "/y"}
	seen := map[string]string{}
	for _, f := range fleets {
		name := ResourceName(f)
		if other, ok := seen[name]; ok {
			t.Errorf("fleets %q and %q share the name %q", other, f, name)
		}
		seen[name] = f
	}
}

func TestLabelValue(t *testing.T) {
	tests := []struct {
		in       string
		want     string
		wantHash bool
	}{
		{in: "eg", want: "eg"},
		{in: "gateway.example.com", want: "gateway.example.com"},
		{in: "My_Class-1", want: "My_Class-1"},
		{in: "", want: ""},
		{in: "team/gw", want: "team-gw-", wantHash: true},
		{in: strings.Repeat("c", 64), want: strings.Repeat("c", 54) + "-", wantHash: true},
		{in: "-x-", want: "x-", wantHash: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := LabelValue(tt.in)
			if msgs := validation.IsValidLabelValue(got); len(msgs) > 0 {
				t.Errorf("LabelValue(%q) = %q is invalid: %v", tt.in, got, msgs)
			}
			if !tt.wantHash {
				if got != tt.want {
					t.Errorf("LabelValue(%q) = %q, want %q", tt.in, got, tt.want)
				}
				return
			}
			if got != tt.want+shortHash(tt.in) {
				t.Errorf("LabelValue(%q) = %q, want %q + hash", tt.in, got, tt.want)
			}
		})
	}
}

func TestFleetLabels(t *testing.T) {
	tests := []struct {
		name      string
		proxy     *ir.ProxyInfra
		wantOwner bool
	}{
		{
			name:      "fleet of one gateway",
			proxy:     &ir.ProxyInfra{Name: "ns/gw", GatewayClass: "eg", Gateways: []string{"ns/gw"}},
			wantOwner: true,
		},
		{
			name:  "merged fleet of one gateway",
			proxy: &ir.ProxyInfra{Name: "eg", GatewayClass: "eg", Gateways: []string{"ns/gw"}},
		},
		{
			name:  "merged fleet of two gateways",
			proxy: &ir.ProxyInfra{Name: "eg", GatewayClass: "eg", Gateways: []string{"a/gw", "b/gw"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := FleetLabels(tt.proxy)
			for k, v := range SelectorLabels(tt.proxy.Name) {
				if l[k] != v {
					t.Errorf("label %s = %q, want the selector's %q", k, l[k], v)
				}
			}
			for k, v := range ManagedLabels() {
				if l[k] != v {
					t.Errorf("label %s = %q, want %q", k, l[k], v)
				}
			}
			if l[LabelOwningGatewayClass] != "eg" {
				t.Errorf("owning gatewayclass = %q", l[LabelOwningGatewayClass])
			}
			_, hasNS := l[LabelOwningGatewayNamespace]
			_, hasName := l[LabelOwningGatewayName]
			if hasNS != tt.wantOwner || hasName != tt.wantOwner {
				t.Errorf("owning gateway labels present = %v/%v, want %v", hasNS, hasName, tt.wantOwner)
			}
			if tt.wantOwner && (l[LabelOwningGatewayNamespace] != "ns" || l[LabelOwningGatewayName] != "gw") {
				t.Errorf("owning gateway = %q/%q", l[LabelOwningGatewayNamespace], l[LabelOwningGatewayName])
			}
		})
	}
}
