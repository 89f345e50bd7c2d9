package gatewayapi

import (
	"reflect"
	"strings"
	"testing"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

func TestValidateInfrastructure(t *testing.T) {
	tests := []struct {
		name    string
		infra   *gwapiv1.GatewayInfrastructure
		wantErr string
	}{
		{name: "none"},
		{name: "plain keys", infra: &gwapiv1.GatewayInfrastructure{
			Labels:      map[gwapiv1.LabelKey]gwapiv1.LabelValue{"team": "a"},
			Annotations: map[gwapiv1.AnnotationKey]gwapiv1.AnnotationValue{"example.com/x": "y"},
		}},
		{name: "selector label", infra: &gwapiv1.GatewayInfrastructure{
			Labels: map[gwapiv1.LabelKey]gwapiv1.LabelValue{"app.kubernetes.io/name": "x"},
		}, wantErr: `spec.infrastructure.labels["app.kubernetes.io/name"]`},
		{name: "gateway-name label", infra: &gwapiv1.GatewayInfrastructure{
			Labels: map[gwapiv1.LabelKey]gwapiv1.LabelValue{gwapiv1.GatewayNameLabelKey: "x"},
		}, wantErr: "reserved"},
		{name: "own label prefix", infra: &gwapiv1.GatewayInfrastructure{
			Labels: map[gwapiv1.LabelKey]gwapiv1.LabelValue{"gateway.envoyproxy.io/fleet": "x"},
		}, wantErr: "reserved"},
		{name: "own annotation prefix", infra: &gwapiv1.GatewayInfrastructure{
			Annotations: map[gwapiv1.AnnotationKey]gwapiv1.AnnotationValue{"gateway.envoyproxy.io/fleet-name": "x"},
		}, wantErr: `spec.infrastructure.annotations["gateway.envoyproxy.io/fleet-name"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := validateInfrastructure(tt.infra)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("unexpected error %q", err.msg)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.msg, tt.wantErr)):
				t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
			case err != nil && err.reason != gwapiv1.GatewayReasonInvalidParameters:
				t.Fatalf("reason = %q, want InvalidParameters", err.reason)
			}
		})
	}
}

func TestInfraMetadataMergedFleet(t *testing.T) {
	gw := func(labels map[gwapiv1.LabelKey]gwapiv1.LabelValue) *gatewayModel {
		obj := &gwapiv1.Gateway{}
		if labels != nil {
			obj.Spec.Infrastructure = &gwapiv1.GatewayInfrastructure{Labels: labels}
		}
		return &gatewayModel{obj: obj}
	}
	tests := []struct {
		name     string
		gateways []*gatewayModel
		want     map[string]string
	}{
		{name: "one gateway", gateways: []*gatewayModel{gw(map[gwapiv1.LabelKey]gwapiv1.LabelValue{"a": "1", "b": "2"})},
			want: map[string]string{"a": "1", "b": "2"}},
		{name: "shared entries only", gateways: []*gatewayModel{
			gw(map[gwapiv1.LabelKey]gwapiv1.LabelValue{"a": "1", "b": "2", "c": "3"}),
			gw(map[gwapiv1.LabelKey]gwapiv1.LabelValue{"a": "1", "b": "other"}),
		}, want: map[string]string{"a": "1"}},
		{name: "one gateway without", gateways: []*gatewayModel{
			gw(map[gwapiv1.LabelKey]gwapiv1.LabelValue{"a": "1"}), gw(nil),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			labels, annotations := (&fleetModel{gateways: tt.gateways}).infraMetadata()
			if !reflect.DeepEqual(labels, tt.want) || annotations != nil {
				t.Fatalf("labels, annotations = %v, %v, want %v, nil", labels, annotations, tt.want)
			}
		})
	}
}
