package certs

import (
	"context"
	"errors"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
)

const ns = "envoy-gateway-system"

func testCerts(tag string) Certificates {
	return Certificates{
		CACert:     []byte("ca-" + tag),
		ServerCert: []byte("server-cert-" + tag),
		ServerKey:  []byte("server-key-" + tag),
		ClientCert: []byte("client-cert-" + tag),
		ClientKey:  []byte("client-key-" + tag),
	}
}

func getSecret(t *testing.T, c client.Client, name string) *corev1.Secret {
	t.Helper()
	s := &corev1.Secret{}
	if err := c.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, s); err != nil {
		t.Fatalf("get %s: %v", name, err)
	}
	return s
}

func TestEnsureSecretsCreatesBoth(t *testing.T) {
	c := fake.NewClientBuilder().Build()
	created, err := EnsureSecrets(context.Background(), c, ns, testCerts("1"))
	if err != nil || !created {
		t.Fatalf("EnsureSecrets = %v, %v; want created", created, err)
	}
	want := map[string]map[string]string{
		ServerSecretName: {"tls.crt": "server-cert-1", "tls.key": "server-key-1", "ca.crt": "ca-1"},
		ClientSecretName: {"tls.crt": "client-cert-1", "tls.key": "client-key-1", "ca.crt": "ca-1"},
	}
	for name, data := range want {
		s := getSecret(t, c, name)
		if s.Type != corev1.SecretTypeTLS {
			t.Errorf("%s type = %s", name, s.Type)
		}
		for k, v := range data {
			if string(s.Data[k]) != v {
				t.Errorf("%s[%s] = %q, want %q", name, k, s.Data[k], v)
			}
		}
	}
}

func TestEnsureSecretsNeverOverwrites(t *testing.T) {
	c := fake.NewClientBuilder().Build()
	if _, err := EnsureSecrets(context.Background(), c, ns, testCerts("1")); err != nil {
		t.Fatal(err)
	}
	created, err := EnsureSecrets(context.Background(), c, ns, testCerts("2"))
	if err != nil || created {
		t.Fatalf("second EnsureSecrets = %v, %v; want nothing created", created, err)
	}
	if got := string(getSecret(t, c, ClientSecretName).Data["ca.crt"]); got != "ca-1" {
		t.Errorf("client ca.crt = %q, want the first set", got)
	}
}

func TestEnsureSecretsPartial(t *testing.T) {
	existing := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: ServerSecretName}}
	c := fake.NewClientBuilder().WithObjects(existing).Build()
	created, err := EnsureSecrets(context.Background(), c, ns, testCerts("1"))
	if !errors.Is(err, ErrPartialSecrets) || created {
		t.Fatalf("EnsureSecrets = %v, %v; want ErrPartialSecrets", created, err)
	}
	err = c.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: ClientSecretName}, &corev1.Secret{})
	if err == nil {
		t.Error("the client secret was created next to a server secret of another CA")
	}
}

func TestEnsureSecretsRejectsMissingFiles(t *testing.T) {
	certs := testCerts("1")
	certs.ClientKey = nil
	c := fake.NewClientBuilder().Build()
	if _, err := EnsureSecrets(context.Background(), c, ns, certs); err == nil {
		t.Fatal("want an error for a missing client key")
	}
}
