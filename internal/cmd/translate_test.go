package cmd

import (
	"bytes"
	"strings"
	"testing"
)

const translateInput = `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: eg}
spec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: eg}
spec:
  gatewayClassName: eg
  listeners: [{name: http, protocol: HTTP, port: 8080}]
`

func runRoot(stdin string, args ...string) (stdout, stderr string, err error) {
	root := NewRootCommand()
	var out, errOut bytes.Buffer
	root.SetIn(strings.NewReader(stdin))
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	err = root.Execute()
	return out.String(), errOut.String(), err
}

func TestTranslateFromStdin(t *testing.T) {
	out, _, err := runRoot(translateInput, "translate", "-f", "-", "--type", "listener", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"default/eg"`, `"listeners"`, `"port_value": 8080`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, `"clusters"`) {
		t.Errorf("--type listener printed clusters:\n%s", out)
	}
}

func TestTranslateInvalidInputFails(t *testing.T) {
	_, stderr, err := runRoot(strings.Replace(translateInput, "port: 8080", "port: 0", 1), "translate", "-f", "-")
	if err == nil {
		t.Fatal("invalid input did not fail")
	}
	// The document starts on line 6; the port is on line 11.
	want := "<stdin>: document 2 (line 6): Gateway default/eg: spec.listeners[0].port (line 11): Invalid value: 0"
	if !strings.Contains(stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, stderr)
	}
}

// TestTranslateFailsOnMisspelledKindAndEmptyInput: a kind that a group we
// read does not have, and input with nothing to translate, exit non-zero.
func TestTranslateFailsOnMisspelledKindAndEmptyInput(t *testing.T) {
	misspelled := strings.Replace(translateInput, "kind: Gateway\n", "kind: GateWay\n", 1)
	for _, tc := range []struct{ in, want string }{
		{misspelled, "<stdin>: document 2 (line 6): GateWay eg: kind (line 7): kind GateWay is not a kind of API group gateway.networking.k8s.io (did you mean Gateway?)"},
		{"", "nothing to translate"},
	} {
		stdout, stderr, err := runRoot(tc.in, "translate", "-f", "-")
		if err == nil {
			t.Errorf("%q: no error; stdout %q", tc.in, stdout)
			continue
		}
		if !strings.Contains(stderr+err.Error(), tc.want) {
			t.Errorf("%q: error %v, stderr %q; want %q", tc.in, err, stderr, tc.want)
		}
	}
}

func TestTranslateRejectsBadFlags(t *testing.T) {
	_, _, err := runRoot("", "translate", "-f", "-", "--to", "envoy")
	if err == nil || !strings.Contains(err.Error(), `--to "envoy"`) {
		t.Fatalf("err = %v, want a --to error", err)
	}
}

func TestBatchMemoryLimit(t *testing.T) {
	cases := []struct {
		name       string
		inputBytes int64
		want       int64
	}{
		{"no input", 0, minBatchMemoryLimit},
		{"1,000 routes (0.5 MB) keep the floor", 510_413, minBatchMemoryLimit},
		{"10,000 routes (5 MB) keep the floor", 5_134_433, minBatchMemoryLimit},
		{"100 MB of input get 50 bytes per byte", 100 << 20, 5000 << 20},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := batchMemoryLimit(tc.inputBytes); got != tc.want {
				t.Errorf("batchMemoryLimit(%d) = %d, want %d", tc.inputBytes, got, tc.want)
			}
		})
	}
}
