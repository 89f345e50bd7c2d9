package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
	"github.com/envoygw/envoy-gateway/internal/testenv"
)

// world is where the workload lives and changes: a folder of files for the
// File provider, an API server for the Kubernetes provider.
type world interface {
	// create writes every object.
	create(objs []client.Object) error
	// prepare readies an update of obj (reads what it needs) and returns
	// it: the update itself, which the measurement times, and how to know
	// when it was delivered.
	prepare(obj client.Object) (preparedUpdate, error)
	// server is the provider part of the static configuration and the
	// environment of the control plane process.
	server() (serverConfig, []string)
	close()
}

// preparedUpdate is an update ready to apply.
type preparedUpdate struct {
	// apply makes the update.
	apply func() error
	// delivered, for a world that delivers updates to the server (the API
	// server's watch), returns when a watcher of its own got the update,
	// and stops watching; nil for a world without such a step (the File
	// provider watches the files itself). A change's delivery is then
	// apart from the server's processing, both counted after the write.
	delivered func() (time.Time, error)
}

// fileWorld is a folder with one file per object.
type fileWorld struct {
	dir string
}

func newFileWorld(dir string) *fileWorld { return &fileWorld{dir: filepath.Join(dir, "resources")} }

// path is the file of an object: routes, Services and EndpointSlices in a
// folder per kind and namespace, the rest in base/.
func (w *fileWorld) path(obj client.Object) string {
	kind := obj.GetObjectKind().GroupVersionKind().Kind
	switch kind {
	case kindHTTPRoute, kindService, "EndpointSlice":
		return filepath.Join(w.dir, kind, obj.GetNamespace(), obj.GetName()+".yaml")
	}
	return filepath.Join(w.dir, "base", fmt.Sprintf("%s-%s-%s.yaml", kind, obj.GetNamespace(), obj.GetName()))
}

func (w *fileWorld) write(obj client.Object) error {
	b, err := yaml.Marshal(obj)
	if err != nil {
		return err
	}
	return os.WriteFile(w.path(obj), b, 0o644)
}

func (w *fileWorld) create(objs []client.Object) error {
	for _, o := range objs {
		if err := os.MkdirAll(filepath.Dir(w.path(o)), 0o755); err != nil {
			return err
		}
		if err := w.write(o); err != nil {
			return err
		}
	}
	return nil
}

func (w *fileWorld) prepare(obj client.Object) (preparedUpdate, error) {
	return preparedUpdate{apply: func() error { return w.write(obj) }}, nil
}

func (w *fileWorld) server() (serverConfig, []string) {
	return serverConfig{provider: "File", paths: []string{w.dir}}, nil
}

func (w *fileWorld) close() {}

// kubeWorld is an envtest API server (kube-apiserver and etcd).
type kubeWorld struct {
	env        *envtest.Environment
	client     client.WithWatch
	kubeconfig string
	// clusterMetadata says the objects get what a cluster's carry
	// (withClusterMetadata) before they are written.
	clusterMetadata bool
}

// controlPlaneNamespace is where the infra manager puts the fleets' objects.
const controlPlaneNamespace = "envoy-gateway-system"

func newKubeWorld(dir string, clusterMetadata bool) (*kubeWorld, error) {
	env, err := testenv.NewEnvironment()
	if err != nil {
		return nil, err
	}
	// Room for 20,000 ClusterIP Services (envtest's default range is a /24).
	env.ControlPlane.GetAPIServer().Configure().Set("service-cluster-ip-range", "10.96.0.0/12")
	cfg, err := env.Start()
	if err != nil {
		return nil, fmt.Errorf("starting envtest: %w", err)
	}
	w := &kubeWorld{env: env, kubeconfig: filepath.Join(dir, "kubeconfig"), clusterMetadata: clusterMetadata}
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, gwapiv1.Install, egv1a1.AddToScheme} {
		if err := add(scheme); err != nil {
			w.close()
			return nil, err
		}
	}
	fast := rest.CopyConfig(cfg)
	fast.QPS, fast.Burst = 2000, 4000
	if w.client, err = client.NewWithWatch(fast, client.Options{Scheme: scheme}); err != nil {
		w.close()
		return nil, err
	}
	if err := writeKubeconfig(cfg, w.kubeconfig); err != nil {
		w.close()
		return nil, err
	}
	return w, w.client.Create(context.Background(), namespace(controlPlaneNamespace))
}

func writeKubeconfig(cfg *rest.Config, path string) error {
	kc := clientcmdapi.NewConfig()
	kc.Clusters["envtest"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
	kc.AuthInfos["admin"] = &clientcmdapi.AuthInfo{
		ClientCertificateData: cfg.CertData, ClientKeyData: cfg.KeyData, Token: cfg.BearerToken,
	}
	kc.Contexts["envtest"] = &clientcmdapi.Context{Cluster: "envtest", AuthInfo: "admin"}
	kc.CurrentContext = "envtest"
	return clientcmd.WriteToFile(*kc, path)
}

// create creates the objects with eight workers, namespaces first.
func (w *kubeWorld) create(objs []client.Object) error {
	ctx := context.Background()
	var others []client.Object
	for _, o := range objs {
		if err := w.decorate(o); err != nil {
			return err
		}
		if _, ok := o.(*corev1.Namespace); ok {
			if err := w.client.Create(ctx, o); err != nil {
				return err
			}
			continue
		}
		others = append(others, o)
	}
	work := make(chan client.Object)
	errs := make(chan error, 8)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for o := range work {
				if err := w.client.Create(ctx, o); err != nil {
					kind := o.GetObjectKind().GroupVersionKind().Kind
					errs <- fmt.Errorf("creating %s %s/%s: %w", kind, o.GetNamespace(), o.GetName(), err)
					return
				}
			}
		})
	}
	var err error
	for _, o := range others {
		select {
		case work <- o:
		case err = <-errs:
		}
		if err != nil {
			break
		}
	}
	close(work)
	wg.Wait()
	close(errs)
	all := []error{err}
	for e := range errs {
		all = append(all, e)
	}
	return errors.Join(all...)
}

func (w *kubeWorld) prepare(obj client.Object) (preparedUpdate, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cur, ok := obj.DeepCopyObject().(client.Object)
	if !ok {
		return preparedUpdate{}, fmt.Errorf("%T is not an object", obj)
	}
	if err := w.client.Get(ctx, client.ObjectKeyFromObject(obj), cur); err != nil {
		return preparedUpdate{}, err
	}
	obj.SetResourceVersion(cur.GetResourceVersion())
	if err := w.decorate(obj); err != nil {
		return preparedUpdate{}, err
	}
	delivered, err := w.watchUpdate(obj)
	if err != nil {
		return preparedUpdate{}, err
	}
	return preparedUpdate{
		apply:     func() error { return w.client.Update(context.Background(), obj) },
		delivered: delivered,
	}, nil
}

// decorate gives obj what a cluster's objects carry, when the world's
// objects are to have it.
func (w *kubeWorld) decorate(obj client.Object) error {
	if !w.clusterMetadata {
		return nil
	}
	return withClusterMetadata(obj, w.client.Scheme())
}

// watchUpdate opens a watch of obj's metadata before the update, as the
// server's informers watch; the returned function gives the arrival of the
// first change after the watch's start (an object's own resourceVersion
// may be older than the API server's watch cache holds: the watch starts
// at the most recent state instead, which it sends first, as an ADDED
// event).
func (w *kubeWorld) watchUpdate(obj client.Object) (func() (time.Time, error), error) {
	gvk, err := apiutil.GVKForObject(obj, w.client.Scheme())
	if err != nil {
		return nil, err
	}
	list := &metav1.PartialObjectMetadataList{}
	list.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
	ctx, cancel := context.WithTimeout(context.Background(), changeTimeout)
	wi, err := w.client.Watch(ctx, list, client.InNamespace(obj.GetNamespace()),
		client.MatchingFields{"metadata.name": obj.GetName()})
	if err != nil {
		cancel()
		return nil, fmt.Errorf("watching %s %s: %w", gvk.Kind, client.ObjectKeyFromObject(obj), err)
	}
	arrived, failed := make(chan time.Time, 1), make(chan error, 1)
	go func() {
		for ev := range wi.ResultChan() {
			switch ev.Type {
			case watch.Modified:
				arrived <- time.Now()
				return
			case watch.Error:
				failed <- fmt.Errorf("watch error: %v", ev.Object)
				return
			}
		}
	}()
	return func() (time.Time, error) {
		defer cancel()
		defer wi.Stop()
		select {
		case at := <-arrived:
			return at, nil
		case err := <-failed:
			return time.Time{}, fmt.Errorf("%s %s: %w", gvk.Kind, client.ObjectKeyFromObject(obj), err)
		case <-ctx.Done():
			return time.Time{}, fmt.Errorf("no watch event for %s %s", gvk.Kind, client.ObjectKeyFromObject(obj))
		}
	}, nil
}

func (w *kubeWorld) server() (serverConfig, []string) {
	return serverConfig{provider: "Kubernetes"}, []string{
		"KUBECONFIG=" + w.kubeconfig, "ENVOY_GATEWAY_NAMESPACE=" + controlPlaneNamespace,
	}
}

func (w *kubeWorld) close() {
	if err := w.env.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stopping envtest:", err)
	}
}
