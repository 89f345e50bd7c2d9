package controllers

import (
	"context"

	discoveryv1 "k8s.io/api/discovery/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// gatewayClassIndex indexes Gateways by spec.gatewayClassName.
const gatewayClassIndex = "spec.gatewayClassName"

// endpointSliceServiceIndex indexes EndpointSlices by the Service they
// belong to (their kubernetes.io/service-name label), so that the slices of
// one Service are found without matching a label selector against every
// slice of its namespace.
const endpointSliceServiceIndex = "metadata.labels." + discoveryv1.LabelServiceName

func setupIndexes(ctx context.Context, mgr manager.Manager) error {
	indexer := mgr.GetFieldIndexer()
	if err := indexer.IndexField(ctx, &gwapiv1.Gateway{}, gatewayClassIndex, func(o client.Object) []string {
		return []string{string(o.(*gwapiv1.Gateway).Spec.GatewayClassName)}
	}); err != nil {
		return err
	}
	return indexer.IndexField(ctx, &discoveryv1.EndpointSlice{}, endpointSliceServiceIndex, endpointSliceService)
}

// endpointSliceService is the index value of an EndpointSlice: the name of
// its Service, none when the slice has no service-name label.
func endpointSliceService(o client.Object) []string {
	if name, ok := o.GetLabels()[discoveryv1.LabelServiceName]; ok {
		return []string{name}
	}
	return nil
}
