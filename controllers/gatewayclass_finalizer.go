package controllers

import (
	"context"

	"github.com/go-logr/logr"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/envoygw/envoy-gateway/internal/gatewayapi"
)

// GatewayClassFinalizer keeps a GatewayClass while Gateways use it (the
// finalizer name the Gateway API documents).
const GatewayClassFinalizer = gwapiv1.GatewayClassFinalizerGatewaysExist

// finalizerWriter adds the finalizer to our GatewayClasses that have
// Gateways and removes it once they have none. It is leader-only work (see
// Provider.LeaderWork) driven by the resource snapshots, which hold every
// GatewayClass of ours and every Gateway of those classes.
type finalizerWriter struct {
	cache client.Client
	api   client.Reader
	opts  Options
	log   logr.Logger
}

func newFinalizerWriter(c client.Client, api client.Reader, opts Options) *finalizerWriter {
	return &finalizerWriter{cache: c, api: api, opts: opts, log: opts.Logger.WithName("finalizer")}
}

// Name implements runner.Runner.
func (w *finalizerWriter) Name() string { return "gatewayclass-finalizer" }

// Start brings the finalizers in line with every snapshot until ctx is done.
func (w *finalizerWriter) Start(ctx context.Context) error {
	w.opts.Resources.Subscribe(ctx, func(res *gatewayapi.Resources) { w.write(ctx, res) },
		func(err error) { w.log.Error(err, "finalizer writer recovered from a panic") })
	return nil
}

func (w *finalizerWriter) write(ctx context.Context, res *gatewayapi.Resources) {
	if res == nil {
		return
	}
	inUse := map[string]bool{}
	for _, gw := range res.Gateways {
		inUse[string(gw.Spec.GatewayClassName)] = true
	}
	for _, gc := range res.GatewayClasses {
		if want := inUse[gc.Name]; want != controllerutil.ContainsFinalizer(gc, GatewayClassFinalizer) {
			w.set(ctx, gc.Name, want)
		}
	}
}

// set adds (want) or removes the finalizer of one GatewayClass, reading it
// from the cache first and from the API server after a conflict.
func (w *finalizerWriter) set(ctx context.Context, name string, want bool) {
	var reader client.Reader = w.cache
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		var gc gwapiv1.GatewayClass
		if err := reader.Get(ctx, client.ObjectKey{Name: name}, &gc); err != nil {
			return err
		}
		if want == controllerutil.ContainsFinalizer(&gc, GatewayClassFinalizer) {
			return nil
		}
		if want {
			controllerutil.AddFinalizer(&gc, GatewayClassFinalizer)
		} else {
			controllerutil.RemoveFinalizer(&gc, GatewayClassFinalizer)
		}
		err := w.cache.Update(ctx, &gc)
		if apierrors.IsConflict(err) {
			reader = w.api
		}
		return err
	})
	if client.IgnoreNotFound(err) != nil {
		w.log.Error(err, "updating the GatewayClass finalizer", "gatewayClass", name, "add", want)
	}
}
