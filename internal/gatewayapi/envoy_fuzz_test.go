package gatewayapi

import (
	"bytes"
	"os"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/envoygw/envoy-gateway/internal/validation"
	xdstranslator "github.com/envoygw/envoy-gateway/internal/xds/translator"
)

// FuzzTranslateToEnvoy is the end-to-end property: whatever the API server
// admits must give every fleet a complete Envoy configuration. Inputs are
// mutated golden inputs; those with an object internal/validation (the API
// server's schema and CEL validation) refuses are skipped, the others are
// translated by the resource translator (with the control plane's
// data-plane checks) and each fleet by the xDS translator, which must
// neither fail nor leave anything out, into resources that all pass
// ValidateAll.
func FuzzTranslateToEnvoy(f *testing.F) {
	for _, p := range goldenInputs(f) {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	v, err := validation.Default()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxFuzzInput {
			return
		}
		admitted, ok := admit(t, v, data)
		if !ok {
			return
		}
		res, opts, err := parseGoldenInput(admitted)
		if err != nil {
			return
		}
		checkEnvoyConfiguration(t, res, Translate(res, opts))
	})
}

// admit validates every object of a golden-style input as the API server
// would on create and returns the input with the objects as admitted
// (defaults applied), or false when one is refused.
func admit(t *testing.T, v *validation.Validator, data []byte) ([]byte, bool) {
	docs, err := readDocuments(bytes.NewReader(data))
	if err != nil {
		return nil, false
	}
	var out bytes.Buffer
	for _, d := range docs {
		raw := d.raw
		if d.meta.APIVersion != testAPIVersion {
			// Through JSON, so that numbers are int64 as the validator expects.
			j, err := yaml.YAMLToJSON(d.raw)
			if err != nil {
				return nil, false
			}
			u := &unstructured.Unstructured{}
			if err := u.UnmarshalJSON(j); err != nil {
				return nil, false
			}
			gvk := u.GroupVersionKind()
			if !v.Known(gvk) {
				return nil, false
			}
			if v.Namespaced(gvk) && u.GetNamespace() == "" {
				u.SetNamespace("default")
			}
			if errs := v.Validate(t.Context(), u); len(errs) > 0 {
				return nil, false
			}
			if raw, err = yaml.Marshal(u.Object); err != nil {
				t.Fatalf("marshaling an admitted object: %v", err)
			}
		}
		out.WriteString("---\n")
		out.Write(raw)
		out.WriteString("\n")
	}
	return out.Bytes(), true
}

// checkEnvoyConfiguration translates every fleet of result into Envoy
// resources, with the endpoints of res, and fails on anything left out or
// invalid.
func checkEnvoyConfiguration(t *testing.T, res *Resources, result *Result) {
	t.Helper()
	services := make([]ObjectKey, 0, len(res.Services))
	for _, s := range res.Services {
		if s != nil {
			services = append(services, ObjectKey{Namespace: s.Namespace, Name: s.Name})
		}
	}
	eps := TranslateEndpoints(NewEndpoints(services, res.EndpointSlices))
	for _, f := range result.Fleets {
		if err := f.Xds.Validate(); err != nil {
			t.Errorf("fleet %s: xds IR is invalid: %v", f.Name, err)
		}
		out, err := xdstranslator.TranslateWithEndpoints(f.Xds, eps)
		if err != nil {
			t.Fatalf("fleet %s: xDS translation failed: %v", f.Name, err)
		}
		for _, l := range out.LeftOut {
			t.Errorf("fleet %s: the xDS translation left out %s %q (%s): %s", f.Name, l.Kind, l.Name, l.Source, l.Reason)
		}
		if err := out.Validate(); err != nil {
			t.Errorf("fleet %s: invalid resources: %v", f.Name, err)
		}
	}
}

// TestGoldenTranslateToEnvoy runs the property of FuzzTranslateToEnvoy on
// every golden input as it is (admitted or not by the API server's
// validation): no golden case may leave anything out of a fleet.
func TestGoldenTranslateToEnvoy(t *testing.T) {
	for _, in := range goldenInputs(t) {
		t.Run(in, func(t *testing.T) {
			data, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			res, opts := loadGoldenInput(t, data)
			checkEnvoyConfiguration(t, res, Translate(res, opts))
		})
	}
}

// TestGoldenInputsMostlyAdmitted keeps FuzzTranslateToEnvoy meaningful: most
// seeds must pass the API server's validation (the others show what the
// translator does with objects that only bypass it).
func TestGoldenInputsMostlyAdmitted(t *testing.T) {
	v, err := validation.Default()
	if err != nil {
		t.Fatal(err)
	}
	inputs := goldenInputs(t)
	admitted := 0
	for _, in := range inputs {
		data, err := os.ReadFile(in)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := admit(t, v, data); ok {
			admitted++
		}
	}
	if admitted*2 < len(inputs) {
		t.Errorf("only %d of %d golden inputs pass validation", admitted, len(inputs))
	}
}
