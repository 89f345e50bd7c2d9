package controllers

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// GatewayClassFinalizer keeps a GatewayClass while Gateways use it (the
// finalizer name the Gateway API documents).
const GatewayClassFinalizer = gwapiv1.GatewayClassFinalizerGatewaysExist

// gatewayClassFinalizer adds the finalizer to our GatewayClasses that have
// Gateways and removes it once they have none. Leader only.
type gatewayClassFinalizer struct {
	client         client.Client
	controllerName string
}

func setupGatewayClassFinalizer(mgr manager.Manager, controllerName string) error {
	r := &gatewayClassFinalizer{client: mgr.GetClient(), controllerName: controllerName}
	return builder.ControllerManagedBy(mgr).
		Named("gatewayclass-finalizer").
		For(&gwapiv1.GatewayClass{}, builder.WithPredicates(predicate.NewPredicateFuncs(func(o client.Object) bool {
			return string(o.(*gwapiv1.GatewayClass).Spec.ControllerName) == controllerName
		}))).
		Watches(&gwapiv1.Gateway{}, handler.EnqueueRequestsFromMapFunc(gatewayClassOfGateway),
			builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Complete(r)
}

// gatewayClassOfGateway maps a Gateway event to its GatewayClass.
func gatewayClassOfGateway(_ context.Context, o client.Object) []reconcile.Request {
	class := string(o.(*gwapiv1.Gateway).Spec.GatewayClassName)
	return []reconcile.Request{{NamespacedName: client.ObjectKey{Name: class}}}
}

// Reconcile adds or removes the finalizer of one GatewayClass.
func (r *gatewayClassFinalizer) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	var gc gwapiv1.GatewayClass
	if err := r.client.Get(ctx, req.NamespacedName, &gc); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	if string(gc.Spec.ControllerName) != r.controllerName {
		return reconcile.Result{}, nil
	}
	var gateways gwapiv1.GatewayList
	if err := r.client.List(ctx, &gateways, client.MatchingFields{gatewayClassIndex: gc.Name}); err != nil {
		return reconcile.Result{}, err
	}
	inUse := len(gateways.Items) > 0
	if inUse == controllerutil.ContainsFinalizer(&gc, GatewayClassFinalizer) {
		return reconcile.Result{}, nil
	}
	if inUse {
		controllerutil.AddFinalizer(&gc, GatewayClassFinalizer)
	} else {
		controllerutil.RemoveFinalizer(&gc, GatewayClassFinalizer)
	}
	return reconcile.Result{}, client.IgnoreNotFound(r.client.Update(ctx, &gc))
}
