package translate

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/envoygw/envoy-gateway/internal/provider/file"
)

// TestUnknownKindOfAReadGroupIsAnError: a kind that no API group we read
// has (a misspelling) is an error naming the kind and the group; a known
// kind we do not read (a ServiceAccount, a GRPCRoute) is still ignored with a
// warning.
func TestUnknownKindOfAReadGroupIsAnError(t *testing.T) {
	cases := []struct {
		name, apiVersion, kind, want string
	}{
		{"gateway api", "gateway.networking.k8s.io/v1", "HttpRoute", `kind HttpRoute is not a kind of API group gateway.networking.k8s.io (did you mean HTTPRoute?)`},
		{"gateway api beta", "gateway.networking.k8s.io/v1beta1", "Gatway", `kind Gatway is not a kind of API group gateway.networking.k8s.io`},
		{"envoy gateway", "gateway.envoyproxy.io/v1alpha1", "EnvoyProxies", `kind EnvoyProxies is not a kind of API group gateway.envoyproxy.io`},
		{"core", "v1", "Servce", `kind Servce is not a kind of the core API group`},
		{"core case", "v1", "secret", `kind secret is not a kind of the core API group (did you mean Secret?)`},
		{"discovery", "discovery.k8s.io/v1", "EndpointSlices", `kind EndpointSlices is not a kind of API group discovery.k8s.io`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc := "apiVersion: " + tc.apiVersion + "\nkind: " + tc.kind + "\nmetadata: {name: x, namespace: default}\n"
			_, err := Translate(context.Background(), []file.FileData{{Name: "in.yaml", Data: []byte(doc)}}, Options{To: ToXds, Format: FormatYAML})
			var inputErr *InputError
			if !errors.As(err, &inputErr) {
				t.Fatalf("err = %v, want an *InputError", err)
			}
			if len(inputErr.Problems) != 1 || !strings.Contains(inputErr.Problems[0].Error(), tc.want) {
				t.Fatalf("problems %v, want one saying %q", inputErr.Problems, tc.want)
			}
			if f := inputErr.Problems[0].Field; f != "kind" {
				t.Errorf("field %q, want kind", f)
			}
		})
	}
}

// TestKnownKindsWeDoNotReadAreIgnored: kinds of the groups we read that the
// translator does not use are warnings, and the rest is translated.
func TestKnownKindsWeDoNotReadAreIgnored(t *testing.T) {
	for _, doc := range []string{
		"apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: x, namespace: default}\n",
		"apiVersion: gateway.networking.k8s.io/v1alpha2\nkind: UDPRoute\nmetadata: {name: x, namespace: default}\n",
		"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x, namespace: default}\n",
	} {
		in := doc + "---\napiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: eg}\nspec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}\n"
		out, err := Translate(context.Background(), []file.FileData{{Name: "in.yaml", Data: []byte(in)}}, Options{To: ToGatewayAPI, Format: FormatYAML})
		if err != nil {
			t.Fatalf("%q: %v", doc, err)
		}
		if len(out.Warnings) != 1 || !strings.Contains(out.Warnings[0], "is not read by the translator: ignored") {
			t.Errorf("%q: warnings %q, want one saying the document is ignored", doc, out.Warnings)
		}
	}
}

// TestEmptyInputIsAnError: input without any object the translator reads
// (nothing, comments, only ignored kinds) is an error, not an empty output.
func TestEmptyInputIsAnError(t *testing.T) {
	for _, in := range []string{
		"",
		"# nothing here\n---\n",
		"apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: x, namespace: default}\n",
	} {
		out, err := Translate(context.Background(), []file.FileData{{Name: "in.yaml", Data: []byte(in)}}, Options{To: ToXds, Format: FormatYAML})
		if err == nil || !strings.Contains(err.Error(), "no object the translator reads") {
			t.Errorf("%q: out %v, err %v; want an error saying there is no object to translate", in, out, err)
		}
	}
}
