package controllers

import (
	"context"

	"k8s.io/apimachinery/pkg/types"
)

// EndpointSlicesOf reads the EndpointSlices of svc as p's snapshot worker
// does (names as namespace/name); indexed says whether they came from the
// informer's serviceSlicesIndex.
func EndpointSlicesOf(ctx context.Context, p *Provider, svc types.NamespacedName) (names []string, indexed bool, err error) {
	r := newSliceReader(p.mgr)
	list, err := r.list(ctx, svc)
	return sliceNames(list), r.index != nil, err
}
