package controllers

import (
	"context"
	"fmt"

	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// gatewayClassIndex indexes Gateways by spec.gatewayClassName.
const gatewayClassIndex = "spec.gatewayClassName"

// serviceSlicesIndex is the EndpointSlice informer's index of the slices
// by the Service they belong to (their kubernetes.io/service-name label),
// "<namespace>/<name>": the slices of one Service are found without
// matching a label selector against every slice of its namespace. It is an
// index of the informer itself, not a field index of the cache: a field
// index holds every value twice (by namespace and across namespaces),
// each with its set of keys, one key per Service here (12.6 MB of sets at
// 20,000 Services, heap profile of bench-e2e), and a List through it copies
// every slice's struct into the list.
const serviceSlicesIndex = "envoy-gateway/endpointslice-service"

func setupIndexes(ctx context.Context, mgr manager.Manager) error {
	indexer := mgr.GetFieldIndexer()
	if err := indexer.IndexField(ctx, &gwapiv1.Gateway{}, gatewayClassIndex, func(o client.Object) []string {
		return []string{string(o.(*gwapiv1.Gateway).Spec.GatewayClassName)}
	}); err != nil {
		return err
	}
	slices, err := mgr.GetCache().GetInformer(ctx, &discoveryv1.EndpointSlice{})
	if err != nil {
		return err
	}
	return slices.AddIndexers(toolscache.Indexers{serviceSlicesIndex: sliceServiceKey})
}

// sliceServiceKey is the serviceSlicesIndex value of an EndpointSlice:
// "<namespace>/<service>", none when the slice has no service-name label.
func sliceServiceKey(obj any) ([]string, error) {
	o, ok := obj.(client.Object)
	if !ok {
		return nil, fmt.Errorf("indexing EndpointSlices: %T is not an object", obj)
	}
	name, ok := o.GetLabels()[discoveryv1.LabelServiceName]
	if !ok {
		return nil, nil
	}
	return []string{types.NamespacedName{Namespace: o.GetNamespace(), Name: name}.String()}, nil
}
