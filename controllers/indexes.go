package controllers

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// gatewayClassIndex indexes Gateways by spec.gatewayClassName.
const gatewayClassIndex = "spec.gatewayClassName"

func setupIndexes(ctx context.Context, mgr manager.Manager) error {
	return mgr.GetFieldIndexer().IndexField(ctx, &gwapiv1.Gateway{}, gatewayClassIndex, func(o client.Object) []string {
		return []string{string(o.(*gwapiv1.Gateway).Spec.GatewayClassName)}
	})
}
