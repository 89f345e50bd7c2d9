package validation

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"
)

func TestEmbeddedCRDsInSync(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "sigs.k8s.io/gateway-api").Output()
	if err != nil {
		t.Fatalf("locating sigs.k8s.io/gateway-api: %v", err)
	}
	sources := map[string]string{
		"crds/envoygateway": filepath.Join("..", "..", "config", "crd", "bases"),
		"crds/gatewayapi":   filepath.Join(strings.TrimSpace(string(out)), "config", "crd", "experimental"),
	}
	embedded, err := EmbeddedCRDFiles()
	if err != nil {
		t.Fatal(err)
	}
	for dir, src := range sources {
		want, _ := filepath.Glob(filepath.Join(src, "*.yaml"))
		if len(want) != len(embedded[dir]) {
			t.Errorf("%s has %d files, %s has %d: run `go generate ./internal/validation`", dir, len(embedded[dir]), src, len(want))
		}
		for _, f := range want {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(data, embedded[dir][filepath.Base(f)]) {
				t.Errorf("%s/%s differs from %s: run `go generate ./internal/validation`", dir, filepath.Base(f), f)
			}
		}
	}
}

func validate(t *testing.T, doc string) (*unstructured.Unstructured, field.ErrorList) {
	t.Helper()
	v, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	data, err := yaml.YAMLToJSON([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{}
	if err := utiljson.Unmarshal(data, &u.Object); err != nil {
		t.Fatal(err)
	}
	return u, v.Validate(context.Background(), u)
}

// wantErrors checks that errs mentions each want string, in order, and nothing else.
func wantErrors(t *testing.T, errs field.ErrorList, want ...string) {
	t.Helper()
	if len(errs) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%v", len(errs), len(want), errs.ToAggregate())
	}
	for i, w := range want {
		if !strings.Contains(errs[i].Error(), w) {
			t.Errorf("error %d: got %q, want it to contain %q", i, errs[i].Error(), w)
		}
	}
}

const minimalRoute = `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: default}
spec:
  parentRefs: [{name: eg}]
  rules:
  - backendRefs: [{name: svc, port: 80}]
`

func TestValidateAppliesDefaults(t *testing.T) {
	u, errs := validate(t, minimalRoute)
	wantErrors(t, errs)
	refs, _, _ := unstructured.NestedSlice(u.Object, "spec", "parentRefs")
	ref := refs[0].(map[string]any)
	if ref["kind"] != "Gateway" || ref["group"] != "gateway.networking.k8s.io" {
		t.Errorf("parentRef not defaulted: %v", ref)
	}
	rules, _, _ := unstructured.NestedSlice(u.Object, "spec", "rules")
	matches := rules[0].(map[string]any)["matches"].([]any)
	path := matches[0].(map[string]any)["path"].(map[string]any)
	if path["type"] != "PathPrefix" || path["value"] != "/" {
		t.Errorf("path match not defaulted: %v", path)
	}
	backend := rules[0].(map[string]any)["backendRefs"].([]any)[0].(map[string]any)
	if backend["weight"] != int64(1) {
		t.Errorf("backendRef weight not defaulted: %v", backend)
	}
	if u.GetGeneration() != 1 {
		t.Errorf("generation = %d, want 1", u.GetGeneration())
	}
}

func TestValidateReportsUnknownFields(t *testing.T) {
	_, errs := validate(t, minimalRoute+"  bogus: 1\n")
	wantErrors(t, errs, `spec.bogus: Forbidden: unknown field`)
}

func TestValidateOpenAPI(t *testing.T) {
	_, errs := validate(t, strings.Replace(minimalRoute, "port: 80", "port: 70000", 1))
	wantErrors(t, errs, `spec.rules[0].backendRefs[0].port: Invalid value: 70000: spec.rules[0].backendRefs[0].port in body should be less than or equal to 65535`)
}

func TestValidateCELRules(t *testing.T) {
	_, errs := validate(t, `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: eg, namespace: default}
spec:
  gatewayClassName: eg
  listeners:
  - name: http
    protocol: HTTP
    port: 80
    tls:
      certificateRefs: [{name: cert}]
`)
	wantErrors(t, errs, "spec.listeners: Invalid value: tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']")
}

func TestValidateMetadata(t *testing.T) {
	_, errs := validate(t, strings.Replace(minimalRoute, "name: r,", "name: Not_Valid,", 1))
	wantErrors(t, errs, "metadata.name: Invalid value: \"Not_Valid\"")
	_, errs = validate(t, strings.Replace(minimalRoute, ", namespace: default", "", 1))
	wantErrors(t, errs, "metadata.namespace: Required value", "some validation rules were not checked")
}

func TestValidateEnvoyProxy(t *testing.T) {
	_, errs := validate(t, `
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyProxy
metadata: {name: p, namespace: default}
spec: {}
`)
	wantErrors(t, errs)
}

func TestValidateUnknownKind(t *testing.T) {
	_, errs := validate(t, "apiVersion: v1\nkind: Pod\nmetadata: {name: c, namespace: default}\n")
	wantErrors(t, errs, `kind: Unsupported value: "/v1, Kind=Pod"`)
}

func TestValidateCoreKinds(t *testing.T) {
	u, errs := validate(t, `
apiVersion: v1
kind: Service
metadata: {name: svc, namespace: default}
spec:
  ports: [{port: 80}]
`)
	wantErrors(t, errs)
	ports, _, _ := unstructured.NestedSlice(u.Object, "spec", "ports")
	if p := ports[0].(map[string]any); p["protocol"] != "TCP" || p["targetPort"] != int64(80) {
		t.Errorf("service port not defaulted: %v", p)
	}
	_, errs = validate(t, `
apiVersion: v1
kind: Service
metadata: {name: ext, namespace: default}
spec: {type: ExternalName, externalNme: example.com}
`)
	wantErrors(t, errs, `spec.externalNme: Forbidden: unknown field`)
	_, errs = validate(t, `
apiVersion: v1
kind: Service
metadata: {name: ext, namespace: default}
spec: {type: ExternalName}
`)
	wantErrors(t, errs, `spec.externalName: Required value`)
	_, errs = validate(t, `
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: es, namespace: default}
addressType: IPv4
endpoints: [{addresses: ["::1"]}]
`)
	wantErrors(t, errs, `endpoints[0].addresses[0]: Invalid value: "::1": must be an IPv4 address`)
	u, errs = validate(t, `
apiVersion: v1
kind: Namespace
metadata: {name: team-a}
`)
	wantErrors(t, errs)
	if u.GetLabels()["kubernetes.io/metadata.name"] != "team-a" {
		t.Errorf("namespace label not set: %v", u.GetLabels())
	}
	_, errs = validate(t, `
apiVersion: v1
kind: Secret
metadata: {name: cert, namespace: default}
type: kubernetes.io/tls
stringData: {tls.crt: x}
`)
	wantErrors(t, errs, `data[tls.key]: Required value`)
}
