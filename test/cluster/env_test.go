package cluster

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
)

func TestExpand(t *testing.T) {
	vars := map[string]string{"POD": "envoy-0", "EMPTY": "", "NS": "infra"}
	cases := []struct{ in, want string }{
		{"--service-node $(POD)", "--service-node envoy-0"},
		{"$(POD).$(NS)", "envoy-0.infra"},
		{"$(MISSING)", "$(MISSING)"},
		{"$$(POD)", "$(POD)"},
		{"$$$(POD)", "$envoy-0"},
		{"a$$b", "a$b"},
		{"$(EMPTY)x", "x"},
		{"$(POD", "$(POD"},
		{"cost: 5$", "cost: 5$"},
		{"$x$(NS)", "$xinfra"},
		{"", ""},
	}
	for _, c := range cases {
		if got := expand(c.in, vars); got != c.want {
			t.Errorf("expand(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestContainerEnv(t *testing.T) {
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "cfg"}, Data: map[string]string{"A": "1", "B": "2"}}
	sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "sec"}, Data: map[string][]byte{"token": []byte("s3cret")}}
	r := fake.NewClientBuilder().WithObjects(cm, sec).Build()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "p-0", UID: "u1", Labels: map[string]string{"app": "web"}},
		Spec:       corev1.PodSpec{NodeName: NodeName},
	}
	c := &corev1.Container{
		Name:    "c",
		EnvFrom: []corev1.EnvFromSource{{Prefix: "CM_", ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}}}},
		Env: []corev1.EnvVar{
			{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
			{Name: "POD_IP", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "status.podIP"}}},
			{Name: "APP", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.labels['app']"}}},
			{Name: "NODE", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "spec.nodeName"}}},
			{Name: "ADDR", Value: "$(POD_NAME)@$(POD_IP) $(LATER)"},
			{Name: "CM_A", Value: "override"},
			{Name: "TOKEN", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
				LocalObjectReference: corev1.LocalObjectReference{Name: "sec"}, Key: "token"}}},
			{Name: "OPT", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{
				LocalObjectReference: corev1.LocalObjectReference{Name: "absent"}, Key: "k", Optional: new(true)}}},
			{Name: "LATER", Value: "late"},
		},
	}
	got, err := containerEnv(t.Context(), r, pod, c, podRuntimeInfo{podIP: netip.MustParseAddr("198.18.4.7")})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"CM_A": "override", "CM_B": "2", "POD_NAME": "p-0", "POD_IP": "198.18.4.7", "APP": "web", "NODE": NodeName,
		"ADDR": "p-0@198.18.4.7 $(LATER)", "TOKEN": "s3cret", "LATER": "late",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("env (-want +got):\n%s", d)
	}
}

func TestContainerEnvErrors(t *testing.T) {
	r := fake.NewClientBuilder().Build()
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "p"}}
	cases := []struct {
		env  corev1.EnvVar
		want string
	}{
		{corev1.EnvVar{Name: "X", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "spec.bogus"}}},
			`env[0] (X): fieldRef "spec.bogus" is not a supported downward API field`},
		{corev1.EnvVar{Name: "X", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: "missing"}, Key: "k"}}},
			"reading Secret ns/missing"},
		{corev1.EnvVar{Name: "X", ValueFrom: &corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "limits.cpu"}}},
			"resourceFieldRef limits.cpu is not supported"},
	}
	for _, c := range cases {
		_, err := containerEnv(t.Context(), r, pod, &corev1.Container{Name: "c", Env: []corev1.EnvVar{c.env}}, podRuntimeInfo{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("containerEnv(%+v) error = %v, want it to contain %q", c.env, err, c.want)
		}
	}
}

func TestRepository(t *testing.T) {
	for in, want := range map[string]string{
		"registry.k8s.io/gateway-api/echo-basic:v1.5.1":        "registry.k8s.io/gateway-api/echo-basic",
		"docker.io/envoyproxy/envoy:distroless-v1.36.2":        "docker.io/envoyproxy/envoy",
		"localhost:5000/envoy":                                 "localhost:5000/envoy",
		"localhost:5000/envoy:v1":                              "localhost:5000/envoy",
		"registry.k8s.io/coredns/coredns@sha256:0123456789abc": "registry.k8s.io/coredns/coredns",
		"busybox": "busybox",
	} {
		if got := Repository(in); got != want {
			t.Errorf("Repository(%q) = %q, want %q", in, got, want)
		}
	}
}
