package controllers

import (
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
)

// fakeClientBuilder is a fake client builder whose scheme knows the types
// install adds.
func fakeClientBuilder(t *testing.T, install func(*runtime.Scheme) error) *fake.ClientBuilder {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := install(scheme); err != nil {
		t.Fatal(err)
	}
	return fake.NewClientBuilder().WithScheme(scheme)
}
