package controllers

import (
	"cmp"
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"

	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	"github.com/envoygw/envoy-gateway/internal/gatewayapi"
)

// endpointsState is what the worker keeps of the endpoints snapshot it
// published last: the snapshot (nil before the first) and the Services it
// covers; ids numbers the snapshots (gatewayapi.Endpoints.ID).
type endpointsState struct {
	snap     *gatewayapi.Endpoints
	services sets.Set[types.NamespacedName]
	ids      uint64
}

// patchEndpoints returns the endpoints snapshot of services as a patch of
// the last one: the Services that became covered or whose slices had
// events (changed) are listed again, those no longer covered are dropped,
// and the snapshot says which changed (its Delta). It returns nil when
// nothing changed, and false when there is no last snapshot or the patch
// would touch more than a quarter of the Services: then the snapshot is
// built in full.
func (s *endpointsState) patchEndpoints(
	ctx context.Context, r *sliceReader, services, changed sets.Set[types.NamespacedName],
) (*gatewayapi.Endpoints, bool, error) {
	if s.snap == nil {
		return nil, false, nil
	}
	var relist, removed []types.NamespacedName
	if !sameSet(s.services, services) {
		for k := range services {
			if !s.services.Has(k) {
				relist = append(relist, k)
			}
		}
		for k := range s.services {
			if !services.Has(k) {
				removed = append(removed, k)
			}
		}
	}
	for k := range changed {
		if services.Has(k) && s.services.Has(k) {
			relist = append(relist, k)
		}
	}
	if 4*(len(relist)+len(removed)) > max(len(services), 8) {
		return nil, false, nil
	}
	var entries []gatewayapi.ServiceEndpointSlices
	for _, k := range relist {
		list, err := r.list(ctx, k)
		if err != nil {
			return nil, false, err
		}
		key := gatewayapi.ObjectKey{Namespace: k.Namespace, Name: k.Name}
		if old, ok := s.snap.Entry(key); ok && gatewayapi.SameEndpointSlices(old.EndpointSlices, list) {
			continue
		}
		entries = append(entries, gatewayapi.ServiceEndpointSlices{ObjectKey: key, EndpointSlices: list})
	}
	if len(entries) == 0 && len(removed) == 0 {
		return nil, true, nil
	}
	out := slices.Clone(s.snap.Services)
	delta := &gatewayapi.EndpointsDelta{From: s.snap.ID}
	for _, e := range entries {
		i, found := slices.BinarySearchFunc(out, e.ObjectKey, compareEntry)
		if found {
			out[i] = e
		} else {
			out = slices.Insert(out, i, e)
		}
		delta.Changed = append(delta.Changed, e.ObjectKey)
	}
	for _, k := range removed {
		key := gatewayapi.ObjectKey{Namespace: k.Namespace, Name: k.Name}
		if i, found := slices.BinarySearchFunc(out, key, compareEntry); found {
			out = slices.Delete(out, i, i+1)
		}
		delta.Changed = append(delta.Changed, key)
	}
	s.ids++
	return &gatewayapi.Endpoints{Services: out, ID: s.ids, Delta: delta}, true, nil
}

// sliceReader reads the EndpointSlices of one Service, without copying
// them (they are only read): from the EndpointSlice informer's
// serviceSlicesIndex when informers has it (the store's own objects, which
// the informer replaces on an update and never modifies), otherwise with a
// List by label (readers without informers: tests' fake clients).
type sliceReader struct {
	r         client.Reader
	informers cache.Informers
	// index is the informer's indexer, looked for on first use (resolved).
	index    toolscache.Indexer
	resolved bool
}

// newSliceReader returns the reader of the manager's cache.
func newSliceReader(mgr manager.Manager) *sliceReader {
	return &sliceReader{r: mgr.GetClient(), informers: mgr.GetCache()}
}

// list returns the slices of svc, by name (NewEndpoints keeps the order it
// is given; a full build lists in the same way).
func (s *sliceReader) list(ctx context.Context, svc types.NamespacedName) ([]*discoveryv1.EndpointSlice, error) {
	out, err := s.read(ctx, svc)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b *discoveryv1.EndpointSlice) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

func (s *sliceReader) read(ctx context.Context, svc types.NamespacedName) ([]*discoveryv1.EndpointSlice, error) {
	if !s.resolved && s.informers != nil {
		index, err := serviceSlicesIndexer(ctx, s.informers)
		if err != nil {
			return nil, err
		}
		s.index, s.resolved = index, true
	}
	if s.index != nil {
		items, err := s.index.ByIndex(serviceSlicesIndex, svc.String())
		if err != nil {
			return nil, err
		}
		out := make([]*discoveryv1.EndpointSlice, 0, len(items))
		for _, item := range items {
			es, ok := item.(*discoveryv1.EndpointSlice)
			if !ok {
				return nil, fmt.Errorf("EndpointSlice index of %s holds a %T", svc, item)
			}
			out = append(out, es)
		}
		return out, nil
	}
	var list discoveryv1.EndpointSliceList
	if err := s.r.List(ctx, &list, client.InNamespace(svc.Namespace),
		client.MatchingLabels{discoveryv1.LabelServiceName: svc.Name}, client.UnsafeDisableDeepCopy); err != nil {
		return nil, err
	}
	out := make([]*discoveryv1.EndpointSlice, 0, len(list.Items))
	for i := range list.Items {
		out = append(out, &list.Items[i])
	}
	return out, nil
}

// serviceSlicesIndexer returns the store of the EndpointSlice informer
// (see storeOf) when it is an indexer with the serviceSlicesIndex, nil
// otherwise.
func serviceSlicesIndexer(ctx context.Context, informers cache.Informers) (toolscache.Indexer, error) {
	store, err := storeOf(ctx, informers, &discoveryv1.EndpointSlice{})
	if err != nil {
		return nil, err
	}
	index, ok := store.(toolscache.Indexer)
	if !ok {
		return nil, nil
	}
	if _, ok := index.GetIndexers()[serviceSlicesIndex]; !ok {
		return nil, nil
	}
	return index, nil
}

// compareEntry orders snapshot entries by namespace and name.
func compareEntry(e gatewayapi.ServiceEndpointSlices, k gatewayapi.ObjectKey) int {
	return cmp.Or(strings.Compare(e.Namespace, k.Namespace), strings.Compare(e.Name, k.Name))
}

// sameSet reports whether a and b are the same set object (a snapshot's
// references are a new set per Resources build, the same between them).
func sameSet(a, b sets.Set[types.NamespacedName]) bool {
	return reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer()
}
