package gatewayapi

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

func TestRuleRetry(t *testing.T) {
	dur := func(s string) *gwapiv1.Duration { return new(gwapiv1.Duration(s)) }
	irDur := func(d time.Duration) *ir.Duration { return new(ir.Duration(d)) }
	tests := []struct {
		name    string
		in      *gwapiv1.HTTPRouteRetry
		want    *ir.Retry
		wantErr string
	}{
		{name: "no retry", in: nil, want: nil},
		{name: "defaults", in: &gwapiv1.HTTPRouteRetry{}, want: &ir.Retry{Attempts: 1}},
		{
			name: "codes sorted and deduplicated, attempts, backoff",
			in: &gwapiv1.HTTPRouteRetry{Codes: []gwapiv1.HTTPRouteRetryStatusCode{504, 500, 504, 429},
				Attempts: new(3), Backoff: dur("1s100ms")},
			want: &ir.Retry{Codes: []uint32{429, 500, 504}, Attempts: 3, Backoff: irDur(1100 * time.Millisecond)},
		},
		{name: "zero backoff is the default", in: &gwapiv1.HTTPRouteRetry{Backoff: dur("0s")}, want: &ir.Retry{Attempts: 1}},
		{
			name:    "code below range",
			in:      &gwapiv1.HTTPRouteRetry{Codes: []gwapiv1.HTTPRouteRetryStatusCode{500, 399}},
			wantErr: "spec.rules[0].retry.codes[1]: 399 is not a status code in the range 400-599",
		},
		{
			name:    "code above range",
			in:      &gwapiv1.HTTPRouteRetry{Codes: []gwapiv1.HTTPRouteRetryStatusCode{600}},
			wantErr: "spec.rules[0].retry.codes[0]: 600 is not a status code",
		},
		{name: "zero attempts", in: &gwapiv1.HTTPRouteRetry{Attempts: new(0)}, wantErr: "spec.rules[0].retry.attempts: 0 is not between 1 and"},
		{
			name:    "backoff not a Gateway API duration",
			in:      &gwapiv1.HTTPRouteRetry{Backoff: dur("1.5s")},
			wantErr: `spec.rules[0].retry.backoff: "1.5s" is not a Gateway API duration`,
		},
	}
	path := newFieldPath("spec", "rules").Index(0).Child("retry")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ruleRetry(path, tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				if err.reason != gwapiv1.RouteReasonUnsupportedValue {
					t.Errorf("reason %s, want UnsupportedValue", err.reason)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("retry (-want +got):\n%s", diff)
			}
		})
	}
}
