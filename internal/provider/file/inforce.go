package file

import (
	"cmp"
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/envoygw/envoy-gateway/internal/bus"
	"github.com/envoygw/envoy-gateway/internal/gatewayapi"
)

// inForce is the content in force, the good content of the files, kept up
// to date file by file so that a change of a few files costs about those
// files: the objects are indexed by key (which file defines each first),
// by kind and, for the endpoints snapshot, by Service. Its snapshots are
// those Build and EndpointsOf give for the good content of the files in
// name order (a test checks it); objects of files that did not change keep
// their pointers.
type inForce struct {
	files map[string]*Parsed
	// owners are the definitions of each object, in file and document
	// order: the first one is in force, the others are duplicates.
	owners sortedSets[objectKey, owner]
	// kindFiles are the files holding objects of each kind, sorted.
	kindFiles map[schema.GroupVersionKind][]string
	// namespaceUse counts the objects of each namespace.
	namespaceUse map[string]int
	// implicit are the implicit Namespaces of the last snapshot, given
	// again as the same objects while they stay implicit: an unchanged
	// snapshot part is the same objects (the resource translator relies
	// on it to patch its last model).
	implicit map[string]*corev1.Namespace
	// sliceFiles are the files holding EndpointSlices of each Service
	// (by their kubernetes.io/service-name label), sorted.
	sliceFiles sortedSets[gatewayapi.ObjectKey, string]

	// resourcesChanged and endpointsChanged say whether the snapshots
	// changed since they were last taken; changedServices are the
	// Services whose endpoints entry may have changed.
	resourcesChanged, endpointsChanged bool
	changedServices                    map[gatewayapi.ObjectKey]bool
	// endpointsIDs numbers the endpoints snapshots (gatewayapi.Endpoints.ID).
	endpointsIDs uint64
	// kindObjects are the objects in force of each kind, in file order, as
	// the last resources snapshot took them; changedFiles are, by kind,
	// the files whose objects in force of the kind may have changed since:
	// their objects are taken again, the others' kept.
	kindObjects  map[schema.GroupVersionKind]*kindList
	changedFiles map[schema.GroupVersionKind]map[string]bool
	// endpoints is the endpoints snapshot last taken.
	endpoints *gatewayapi.Endpoints
}

// owner is one definition of an object: the file and the index of the
// object in the file's objects.
type owner struct {
	file  string
	index int
}

func compareOwners(a, b owner) int {
	return cmp.Or(cmp.Compare(a.file, b.file), cmp.Compare(a.index, b.index))
}

func newInForce() *inForce {
	return &inForce{
		files:           map[string]*Parsed{},
		owners:          newSortedSets[objectKey](compareOwners),
		kindFiles:       map[schema.GroupVersionKind][]string{},
		namespaceUse:    map[string]int{},
		implicit:        map[string]*corev1.Namespace{},
		sliceFiles:      newSortedSets[gatewayapi.ObjectKey](cmp.Compare[string]),
		changedServices: map[gatewayapi.ObjectKey]bool{},
		kindObjects:     map[schema.GroupVersionKind]*kindList{},
		changedFiles:    map[schema.GroupVersionKind]map[string]bool{},
		endpoints:       &gatewayapi.Endpoints{},
	}
}

var serviceGVK = corev1.SchemeGroupVersion.WithKind("Service")

// set makes p the content in force of file name; nil withdraws the file.
// The snapshots change where the definition in force of a key changed (a
// different object, or none): an EndpointSlice changes the endpoints entry
// of its Service, a Service appearing or going changes which Services the
// endpoints snapshot covers, any other object (and a Service) changes the
// Resources snapshot, as does a namespace appearing or going.
func (f *inForce) set(name string, p *Parsed) {
	old := f.files[name]
	type before struct {
		gvk schema.GroupVersionKind
		was definition
	}
	keys := map[objectKey]before{}
	namespaces := map[string]bool{}
	for _, c := range []*Parsed{old, p} {
		if c == nil {
			continue
		}
		for _, o := range c.Objects {
			k := keyOf(o)
			keys[k] = before{gvk: o.GVK(), was: f.definition(k)}
			if ns := o.Object.GetNamespace(); ns != "" {
				namespaces[ns] = f.namespaceUse[ns] > 0
			}
		}
	}
	if old != nil {
		f.index(name, old, false)
		delete(f.files, name)
	}
	if p != nil {
		f.files[name] = p
		f.index(name, p, true)
	}
	for key, b := range keys {
		if now := f.definition(key); now.object != b.was.object {
			f.noteChange(key, b.was.object, now.object)
			f.noteFiles(b.gvk, b.was.file, now.file)
		}
	}
	for ns, was := range namespaces {
		if was != (f.namespaceUse[ns] > 0) {
			f.resourcesChanged = true
		}
	}
}

// replace makes p the content in force of file name, where p holds the
// same objects as the content it replaces (a comment or the formatting
// changed): the snapshots do not change, only the objects' sources.
func (f *inForce) replace(name string, p *Parsed) {
	resources, endpoints := f.resourcesChanged, f.endpointsChanged
	f.set(name, p)
	f.resourcesChanged, f.endpointsChanged = resources, endpoints
}

// definition is the definition in force of a key: the object and its file.
type definition struct {
	object client.Object
	file   string
}

// definition returns the definition in force of key, the zero one when
// none.
func (f *inForce) definition(key objectKey) definition {
	first, ok := f.owners.min(key)
	if !ok {
		return definition{}
	}
	return definition{object: f.files[first.file].Objects[first.index].Object, file: first.file}
}

// noteFiles notes that the objects in force of kind gvk in files may have
// changed ("" is no file).
func (f *inForce) noteFiles(gvk schema.GroupVersionKind, files ...string) {
	for _, name := range files {
		if name == "" {
			continue
		}
		if f.changedFiles[gvk] == nil {
			f.changedFiles[gvk] = map[string]bool{}
		}
		f.changedFiles[gvk][name] = true
	}
}

// noteChange notes what a new definition in force of key changes.
func (f *inForce) noteChange(key objectKey, was, now client.Object) {
	switch key.Kind {
	case endpointSliceGVK.Kind:
		f.endpointsChanged = true
		for _, o := range []client.Object{was, now} {
			if o != nil && o.GetLabels()[discoveryv1.LabelServiceName] != "" {
				f.changedServices[gatewayapi.ObjectKey{Namespace: o.GetNamespace(), Name: o.GetLabels()[discoveryv1.LabelServiceName]}] = true
			}
		}
	case serviceGVK.Kind:
		f.resourcesChanged = true
		if (was == nil) != (now == nil) {
			f.endpointsChanged = true
			f.changedServices[gatewayapi.ObjectKey{Namespace: key.Namespace, Name: key.Name}] = true
		}
	default:
		f.resourcesChanged = true
	}
}

// index adds (or removes) the objects of file name to (from) the indexes.
func (f *inForce) index(name string, p *Parsed, add bool) {
	delta := 1
	if !add {
		delta = -1
	}
	kindsSeen := map[schema.GroupVersionKind]bool{}
	for i, o := range p.Objects {
		key := keyOf(o)
		f.owners.update(key, owner{file: name, index: i}, add)
		if gvk := o.GVK(); !kindsSeen[gvk] {
			kindsSeen[gvk] = true
			if f.kindFiles[gvk] = updateSorted(f.kindFiles[gvk], name, add, cmp.Compare[string]); len(f.kindFiles[gvk]) == 0 {
				delete(f.kindFiles, gvk)
			}
		}
		if ns := o.Object.GetNamespace(); ns != "" {
			if f.namespaceUse[ns] += delta; f.namespaceUse[ns] == 0 {
				delete(f.namespaceUse, ns)
			}
		}
		if svc, ok := sliceService(o); ok {
			// Several slices of a file may name the Service: the file is
			// listed once, and withdrawn with its whole content.
			f.sliceFiles.update(svc, name, add)
		}
	}
}

// sliceService is the Service an EndpointSlice object belongs to.
func sliceService(o Object) (gatewayapi.ObjectKey, bool) {
	if o.GVK() != endpointSliceGVK {
		return gatewayapi.ObjectKey{}, false
	}
	name := o.Object.GetLabels()[discoveryv1.LabelServiceName]
	if name == "" {
		return gatewayapi.ObjectKey{}, false
	}
	return gatewayapi.ObjectKey{Namespace: o.Object.GetNamespace(), Name: name}, true
}

// inForceObject reports whether object i of file name is the definition
// in force of its key.
func (f *inForce) inForceObject(name string, i int, o Object) bool {
	first, ok := f.owners.min(keyOf(o))
	return ok && first == owner{file: name, index: i}
}

// kindList is the objects in force of one kind, in file order, and the
// file of each.
type kindList struct {
	objects []client.Object
	files   []string
	// typed is objects as the kind's typed list (see kind.typed), made by
	// the first snapshot that uses it: the snapshots after it until the
	// kind's files change share it (nothing modifies a snapshot's lists).
	typed any
}

// typedList returns l's objects as the typed list of kind k.
func (l *kindList) typedList(k *kind) any {
	if l.typed == nil {
		l.typed = k.typed(l.objects)
	}
	return l.typed
}

// objectsInForce returns the objects in force of kind gvk, in file order:
// those of the last snapshot, but for the files changed since, whose
// objects are taken again. When more than a quarter of the kind's files
// changed, every file of the kind is read again.
func (f *inForce) objectsInForce(gvk schema.GroupVersionKind) *kindList {
	last, ok := f.kindObjects[gvk]
	changed := f.changedFiles[gvk]
	if ok && len(changed) == 0 {
		return last
	}
	next := &kindList{}
	if ok && len(changed) <= len(f.kindFiles[gvk])/4 {
		next.objects = make([]client.Object, 0, len(last.objects)+len(changed))
		next.files = make([]string, 0, len(last.files)+len(changed))
		names := slices.Sorted(maps.Keys(changed))
		i := 0
		for _, name := range names {
			for ; i < len(last.files) && last.files[i] < name; i++ {
				next.objects, next.files = append(next.objects, last.objects[i]), append(next.files, last.files[i])
			}
			for i < len(last.files) && last.files[i] == name {
				i++ // the file's objects as they were
			}
			f.addInForce(next, gvk, name)
		}
		next.objects, next.files = append(next.objects, last.objects[i:]...), append(next.files, last.files[i:]...)
	} else {
		for _, name := range f.kindFiles[gvk] {
			f.addInForce(next, gvk, name)
		}
	}
	f.kindObjects[gvk] = next
	return next
}

// addInForce appends to l the objects in force of kind gvk of file name,
// none when it is gone.
func (f *inForce) addInForce(l *kindList, gvk schema.GroupVersionKind, name string) {
	p := f.files[name]
	if p == nil {
		return
	}
	for i, o := range p.Objects {
		if o.GVK() == gvk && f.inForceObject(name, i, o) {
			l.objects, l.files = append(l.objects, o.Object), append(l.files, name)
		}
	}
}

// resources is the Resources snapshot of the content in force, with infra.
// Its EndpointSlices are not set: they are in the endpoints snapshot.
func (f *inForce) resources(infra map[string]bus.InfraState) *gatewayapi.Resources {
	res := &gatewayapi.Resources{InfraStates: infra}
	for gvk := range f.kindObjects {
		if _, ok := f.kindFiles[gvk]; !ok {
			delete(f.kindObjects, gvk)
		}
	}
	for gvk := range f.kindFiles {
		if gvk == endpointSliceGVK {
			continue
		}
		k := kinds[gvk]
		k.set(res, f.objectsInForce(gvk).typedList(k))
	}
	clear(f.changedFiles)
	declared := map[string]bool{}
	for _, ns := range res.Namespaces {
		declared[ns.Name] = true
	}
	var implicit []string
	for ns := range f.namespaceUse {
		if !declared[ns] {
			implicit = append(implicit, ns)
		}
	}
	slices.Sort(implicit)
	kept := make(map[string]*corev1.Namespace, len(implicit))
	for _, name := range implicit {
		ns := f.implicit[name]
		if ns == nil {
			ns = ImplicitNamespace(name)
		}
		kept[name] = ns
		res.Namespaces = append(res.Namespaces, ns)
	}
	f.implicit = kept
	f.resourcesChanged = false
	return res
}

// duplicates are the problems of the definitions not in force, in file
// and document order.
func (f *inForce) duplicates() []Problem {
	var out []Problem
	for key, rest := range f.owners.rest {
		owner := f.owners.first[key]
		first := f.files[owner.file].Objects[owner.index]
		for _, o := range rest {
			out = append(out, duplicate(f.files[o.file].Objects[o.index], first.Source))
		}
	}
	slices.SortFunc(out, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Document, b.Document))
	})
	return out
}

// source is where the object in force of a kind and key was read.
func (f *inForce) source(kind string, key gatewayapi.ObjectKey) (Source, bool) {
	if first, ok := f.owners.min(objectKey{Kind: kind, Namespace: key.Namespace, Name: key.Name}); ok {
		return f.files[first.file].Objects[first.index].Source, true
	}
	return Source{}, false
}

// endpointsSnapshot is the endpoints snapshot of the content in force:
// the previous one with the entries of the changed Services computed
// again (the others are the same values, their slices the same objects).
func (f *inForce) endpointsSnapshot() *gatewayapi.Endpoints {
	defer func() {
		// A new map, not a cleared one: a map keeps the room it grew to,
		// and the load's first snapshot notes every Service (20,000 at
		// 10,000 routes, about 2 MB kept for good).
		f.changedServices = map[gatewayapi.ObjectKey]bool{}
		f.endpointsChanged = false
	}()
	if len(f.changedServices) == 0 {
		return f.endpoints
	}
	if 4*len(f.changedServices) > len(f.endpoints.Services) {
		f.endpoints = f.allEndpoints()
		return f.endpoints
	}
	services := slices.Clone(f.endpoints.Services)
	delta := &gatewayapi.EndpointsDelta{From: f.endpoints.ID}
	for svc := range f.changedServices {
		delta.Changed = append(delta.Changed, svc)
		entry, covered := f.serviceEntry(svc)
		i, found := slices.BinarySearchFunc(services, svc, compareServiceEntry)
		switch {
		case covered && found:
			services[i] = entry
		case covered:
			services = slices.Insert(services, i, entry)
		case found:
			services = slices.Delete(services, i, i+1)
		}
	}
	f.endpointsIDs++
	f.endpoints = &gatewayapi.Endpoints{Services: services, ID: f.endpointsIDs, Delta: delta}
	return f.endpoints
}

// allEndpoints computes every entry of the endpoints snapshot.
func (f *inForce) allEndpoints() *gatewayapi.Endpoints {
	keys := map[gatewayapi.ObjectKey]bool{}
	for _, e := range f.endpoints.Services {
		keys[e.ObjectKey] = true
	}
	for svc := range f.changedServices {
		keys[svc] = true
	}
	out := &gatewayapi.Endpoints{Services: make([]gatewayapi.ServiceEndpointSlices, 0, len(keys))}
	for svc := range keys {
		if entry, covered := f.serviceEntry(svc); covered {
			out.Services = append(out.Services, entry)
		}
	}
	slices.SortFunc(out.Services, func(a, b gatewayapi.ServiceEndpointSlices) int { return compareServiceEntry(a, b.ObjectKey) })
	f.endpointsIDs++
	out.ID = f.endpointsIDs
	return out
}

func compareServiceEntry(e gatewayapi.ServiceEndpointSlices, k gatewayapi.ObjectKey) int {
	return cmp.Or(cmp.Compare(e.Namespace, k.Namespace), cmp.Compare(e.Name, k.Name))
}

// serviceEntry is the endpoints entry of svc, and whether the snapshot
// covers svc at all (a Service of the files, or one a slice names).
func (f *inForce) serviceEntry(svc gatewayapi.ObjectKey) (gatewayapi.ServiceEndpointSlices, bool) {
	entry := gatewayapi.ServiceEndpointSlices{ObjectKey: svc}
	for name := range f.sliceFiles.values(svc) {
		for i, o := range f.files[name].Objects {
			if s, ok := sliceService(o); ok && s == svc && f.inForceObject(name, i, o) {
				entry.EndpointSlices = append(entry.EndpointSlices, o.Object.(*discoveryv1.EndpointSlice))
			}
		}
	}
	_, isService := f.owners.min(objectKey{Kind: serviceGVK.Kind, Namespace: svc.Namespace, Name: svc.Name})
	return entry, isService || len(entry.EndpointSlices) > 0
}

// updateSorted adds v to the sorted list of unique values s, or removes it.
func updateSorted[T any](s []T, v T, add bool, compare func(a, b T) int) []T {
	i, found := slices.BinarySearchFunc(s, v, compare)
	switch {
	case add && !found:
		return slices.Insert(s, i, v)
	case !add && found:
		return slices.Delete(s, i, i+1)
	}
	return s
}
