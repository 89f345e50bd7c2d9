package controllers

import (
	"slices"
	"testing"

	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestEndpointSliceService(t *testing.T) {
	cases := []struct {
		name   string
		labels map[string]string
		want   []string
	}{
		{"a Service's slice", map[string]string{discoveryv1.LabelServiceName: "web", "other": "x"}, []string{"web"}},
		{"no service-name label", map[string]string{"other": "x"}, nil},
		{"no labels", nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			es := &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Name: "s", Namespace: "ns", Labels: tc.labels}}
			if got := endpointSliceService(es); !slices.Equal(got, tc.want) {
				t.Errorf("endpointSliceService = %q, want %q", got, tc.want)
			}
		})
	}
}
