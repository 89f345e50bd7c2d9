package cluster

import (
	"errors"
	"io/fs"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
)

func TestVolumeFS(t *testing.T) {
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "boot"}, Data: map[string]string{"envoy.yaml": "node: {}"}}
	sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "tls"},
		Data: map[string][]byte{"tls.crt": []byte("CERT"), "tls.key": []byte("KEY"), "ca.crt": []byte("CA")}}
	r := fake.NewClientBuilder().WithObjects(cm, sec).Build()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "p"},
		Spec: corev1.PodSpec{Volumes: []corev1.Volume{
			{Name: "bootstrap", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
				LocalObjectReference: corev1.LocalObjectReference{Name: "boot"}}}},
			{Name: "certs", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "tls",
				Items: []corev1.KeyToPath{{Key: "tls.crt", Path: "crt"}, {Key: "tls.key", Path: "dir/key"}}}}},
			{Name: "scratch", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
			{Name: "optional", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "none", Optional: new(true)}}},
		}},
	}
	c := &corev1.Container{VolumeMounts: []corev1.VolumeMount{
		{Name: "bootstrap", MountPath: "/etc/envoy"},
		{Name: "certs", MountPath: "/etc/secret-volume/"},
		{Name: "scratch", MountPath: "/tmp"},
		{Name: "optional", MountPath: "/opt"},
		{Name: "bootstrap", MountPath: "/etc/envoy/sub/envoy.yaml", SubPath: "envoy.yaml"},
	}}
	v := newVolumeFS(t.Context(), r, pod, c)
	for path, want := range map[string]string{
		"/etc/envoy/envoy.yaml":          "node: {}",
		"/etc/envoy//envoy.yaml":         "node: {}",
		"/etc/secret-volume/crt":         "CERT",
		"/etc/secret-volume/dir/key":     "KEY",
		"/etc/envoy/sub/envoy.yaml":      "node: {}",
		"/etc/envoy/../envoy/envoy.yaml": "node: {}",
	} {
		got, err := v.ReadFile(path)
		if err != nil || string(got) != want {
			t.Errorf("ReadFile(%s) = %q, %v; want %q", path, got, err, want)
		}
	}
	for _, path := range []string{"/etc/secret-volume/ca.crt", "/etc/envoy/other", "/etc/passwd", "/opt/x", "/etc/envoy"} {
		if _, err := v.ReadFile(path); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("ReadFile(%s) error = %v, want not exist", path, err)
		}
	}
	if _, err := v.ReadFile("/tmp/x"); err == nil || !strings.Contains(err.Error(), "only configMap and secret volumes") {
		t.Errorf("ReadFile on an emptyDir: error = %v", err)
	}
}
