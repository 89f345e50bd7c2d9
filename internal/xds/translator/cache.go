package translator

import (
	"errors"
	"slices"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

// Cache translates one fleet again and again, reusing the Envoy messages
// (and their validation) of the IR elements that did not change since the
// previous call: a change costs what it changes. Its results are exactly
// those of TranslateWithEndpoints and TranslateEndpoints for the same
// arguments (a test checks it over random sequences of changes); only the
// messages are shared with earlier results, and they are never modified.
//
// What is reused, and when:
//   - the valid routes of an HTTP listener, and a route configuration:
//     patched from the last call's when the routes are the same but for a
//     short run (see routememo.go); otherwise rebuilt, reusing the Envoy
//     routes of the same *ir.HTTPRoute (published IR is never modified;
//     the resource translator keeps the pointers of the routes it did not
//     translate again), the validation of a route against the same valid
//     cluster names, and a virtual host with exactly the same route
//     messages;
//   - a route configuration message: exactly the same virtual hosts;
//   - a cluster: an equal IR cluster (ir.Cluster.Equal);
//   - an assignment: an equal IR cluster with equal endpoints.
//
// A Cache holds what the last call used, nothing older: each entry records
// the generation (call) that last used it, and a call ends by dropping the
// entries it did not use. It is not safe for concurrent use.
type Cache struct {
	// gen counts the calls; entries used by the current call carry it.
	gen uint64
	// listeners are the validated routes of each HTTP listener (by IR
	// name), configs the route configurations (by name).
	listeners   map[string]*validMemo
	configs     map[string]*configMemo
	clusters    map[string]*builtCluster
	assignments map[string]*builtAssignment
	// clusterNames and clusterSetID are the last call's valid cluster
	// names and their set number (see clusterSet).
	clusterNames []string
	clusterSetID uint64
	// eds is the last TranslateEndpoints call's index, nil before one;
	// lastEndpoints is the last Translate call's assignments.
	eds           *edsIndex
	lastEndpoints *endpointsMemo
	// lastClusters is what the last Translate call made of its clusters;
	// clustersKept is set when that call took them from the call before
	// (it used no entry of clusters, nor left one unused).
	lastClusters *clustersMemo
	clustersKept bool
	// assignmentsKept is set when the last Translate call took the
	// assignments of the call before whole (addEndpoints): it used the
	// same assignment entries, and the cache keeps them unswept.
	assignmentsKept bool
}

type builtCluster struct {
	gen   uint64
	ir    *ir.Cluster
	built *clusterv3.Cluster
	err   error
}

// builtAssignment is the outcome of one EDS cluster's assignment: the
// assignment (nil when left out) and what the translation reported
// (report's LeftOut and Warnings; nil when nothing, as for almost every
// assignment: a Resources each took 176 bytes, 3.5 MB at 20,000).
type builtAssignment struct {
	gen       uint64
	cluster   *ir.Cluster
	endpoints []*ir.Endpoint
	// cla is the compact assignment (see compactAssignment), nil when the
	// assignment is left out; compact is where it is held: an entry and
	// its assignment are one allocation. Made one after the other, they
	// were allocated between the garbage of building and checking each
	// assignment (messages of their sizes) and, once it was collected,
	// held pages left a third full.
	cla     *endpointv3.ClusterLoadAssignment
	compact endpointv3.ClusterLoadAssignment
	report  *Resources
}

// NewCache returns an empty cache.
func NewCache() *Cache {
	return &Cache{
		listeners:   map[string]*validMemo{},
		configs:     map[string]*configMemo{},
		clusters:    map[string]*builtCluster{},
		assignments: map[string]*builtAssignment{},
	}
}

// Translate is TranslateWithEndpoints, reusing what it can.
func (c *Cache) Translate(x *ir.Xds, eps *ir.Endpoints) (*Resources, error) {
	if x == nil {
		return nil, errors.New("xds ir is nil")
	}
	c.gen++
	res := translate(x, eps, c)
	sweep(c.listeners, c.gen, func(e *validMemo) uint64 { return e.gen })
	sweep(c.configs, c.gen, func(e *configMemo) uint64 { return e.gen })
	if !c.clustersKept {
		sweep(c.clusters, c.gen, func(e *builtCluster) uint64 { return e.gen })
	}
	if !c.assignmentsKept {
		sweep(c.assignments, c.gen, func(e *builtAssignment) uint64 { return e.gen })
	}
	return res, nil
}

// TranslateEndpoints is the package's TranslateEndpoints, reusing the
// assignments of clusters whose IR and endpoints did not change. The other
// entries of the cache stay as they are.
//
// Called again with the same clusters (the same IR pointers in the same
// order, as after a Translate whose change kept the clusters), it reads
// each cluster's Service
// entry by a key computed once and rebuilds only the assignments of the
// clusters whose entry is not the one of the previous call (the providers'
// snapshots share the entries of unchanged Services): an endpoint change
// costs a map lookup per cluster and the assignments it changes. When eps
// also says which Services changed since the snapshot of that call
// (ir.Endpoints.Delta), only the clusters of those Services are looked at,
// and the result is the previous one with their assignments replaced.
// With other clusters, the slots of the clusters kept (by pointer, at
// their place in name order) keep their Service entry and assignment.
func (c *Cache) TranslateEndpoints(clusters []*ir.Cluster, eps *ir.Endpoints) (*Resources, error) {
	// The same clusters (the same IR pointers, in order: a Translate in
	// between that changed routes only gives them) keep their slots.
	fresh := c.eds == nil || !slices.Equal(c.eds.clusters, clusters)
	c.gen++
	if fresh {
		c.eds = newEDSIndex(clusters, c.eds)
	} else {
		c.eds.clusters = clusters
		if out, ok := c.eds.patch(c, eps); ok {
			return out, nil
		}
	}
	t := &translation{out: &Resources{}, cache: c}
	for i := range c.eds.slots {
		s := &c.eds.slots[i]
		svc := s.entry(eps)
		if s.built == nil || svc != s.svc {
			s.built = t.assignmentEntry(s.cluster, s.endpoints(svc))
			s.svc = svc
		}
		s.built.gen = c.gen
		t.addAssignment(s.built)
	}
	t.out.sort()
	if fresh {
		sweep(c.assignments, c.gen, func(e *builtAssignment) uint64 { return e.gen })
	}
	c.eds.done(eps, t.out)
	return t.out, nil
}

// edsIndex is what TranslateEndpoints keeps of its last call: the clusters
// it was given and, for each EDS cluster, the Service entry its assignment
// was built from; the snapshot's ID and the result. It stays valid across
// Translate calls: a slot's assignment depends on its cluster (an
// immutable IR value, kept by pointer) and its Service entry only.
type edsIndex struct {
	clusters []*ir.Cluster
	slots    []edsSlot
	// epsID is the ID of the last call's snapshot, out its result.
	epsID uint64
	out   *Resources
	// byKey are the slots of each Service key, made on the first patch.
	byKey map[string][]int
	// at is, when every slot gave exactly one assignment and nothing was
	// left out or warned about, each slot's position in out.Endpoints;
	// nil otherwise.
	at []int
}

// edsSlot is one EDS cluster: the key of its Service ("" when the cluster
// carries its own endpoints), the entry last read (nil when there was none:
// a Service the snapshot does not know and one without endpoints give the
// same assignment) and the assignment.
type edsSlot struct {
	cluster *ir.Cluster
	key     string
	svc     *ir.ServiceEndpoints
	built   *builtAssignment
}

// newEDSIndex returns the index of clusters. A slot of prev (nil: none)
// whose cluster is at the same place in name order is taken as it is (its
// key, Service entry and assignment): clusters come sorted by name, and a
// route change keeps the IR pointers of the clusters it did not change.
func newEDSIndex(clusters []*ir.Cluster, prev *edsIndex) *edsIndex {
	x := &edsIndex{clusters: clusters, slots: make([]edsSlot, 0, len(clusters))}
	var old []edsSlot
	if prev != nil {
		old = prev.slots
	}
	for _, c := range clusters {
		if c.Discovery != ir.DiscoveryEDS {
			continue
		}
		for len(old) > 0 && old[0].cluster.Name < c.Name {
			old = old[1:]
		}
		if len(old) > 0 && old[0].cluster == c {
			x.slots = append(x.slots, old[0])
			old = old[1:]
			continue
		}
		s := edsSlot{cluster: c}
		if c.EndpointSource != nil {
			s.key = c.EndpointSource.ServiceKey()
		}
		x.slots = append(x.slots, s)
	}
	return x
}

// done records the end of a call that gave out from eps.
func (x *edsIndex) done(eps *ir.Endpoints, out *Resources) {
	x.out, x.epsID, x.at = out, 0, nil
	if eps != nil {
		x.epsID = eps.ID
	}
	if len(out.LeftOut) > 0 || len(out.Warnings) > 0 || len(out.Endpoints) != len(x.slots) {
		return
	}
	at := make([]int, len(x.slots))
	inOrder := true // each slot's assignment at the slot's place
	for i := range x.slots {
		if out.Endpoints[i].GetClusterName() != x.slots[i].cluster.Name {
			inOrder = false
			break
		}
		at[i] = i
	}
	if inOrder {
		x.at = at
		return
	}
	pos := make(map[string]int, len(out.Endpoints))
	for i, cla := range out.Endpoints {
		pos[cla.GetClusterName()] = i
	}
	for i := range x.slots {
		p, ok := pos[x.slots[i].cluster.Name]
		if !ok {
			return
		}
		at[i] = p
	}
	x.at = at
}

// patch returns the result of a call with eps when eps says which Services
// changed since the last call's snapshot and the last result has a
// position for every slot (see at): the last result with the assignments
// of the clusters of those Services replaced. It reports false, having
// changed nothing but x.byKey, when it cannot: then every slot is looked at.
func (x *edsIndex) patch(c *Cache, eps *ir.Endpoints) (*Resources, bool) {
	changed, ok := eps.ChangedSince(x.epsID)
	if !ok || x.at == nil {
		return nil, false
	}
	x.indexByKey()
	type update struct {
		slot  int
		svc   *ir.ServiceEndpoints
		built *builtAssignment
	}
	var updates []update
	for _, k := range changed {
		for _, i := range x.byKey[k] {
			s := &x.slots[i]
			svc := s.entry(eps)
			if svc == s.svc {
				continue
			}
			t := &translation{out: &Resources{}, cache: c}
			b := t.assignmentEntry(s.cluster, s.endpoints(svc))
			if b.cla == nil || b.report != nil {
				return nil, false
			}
			updates = append(updates, update{slot: i, svc: svc, built: b})
		}
	}
	out := &Resources{Endpoints: slices.Clone(x.out.Endpoints)}
	for _, u := range updates {
		s := &x.slots[u.slot]
		s.svc, s.built = u.svc, u.built
		out.Endpoints[x.at[u.slot]] = u.built.cla
	}
	// The slots' entries keep their gen: only Translate and a fresh call
	// sweep the cache, and both mark what they use first.
	x.out, x.epsID = out, eps.ID
	return out, true
}

// indexByKey makes byKey when there is none.
func (x *edsIndex) indexByKey() {
	if x.byKey != nil {
		return
	}
	x.byKey = map[string][]int{}
	for i, s := range x.slots {
		if s.key != "" {
			x.byKey[s.key] = append(x.byKey[s.key], i)
		}
	}
}

// WarmEndpoints makes, when the cache has none, what the first
// TranslateEndpoints call makes before an endpoint change can cost what
// it changes: the index of the EDS clusters of clusters, each one's
// Service entry in eps and assignment, and the slots of each Service. At
// 20,000 clusters that is 6-13 ms, which the first endpoint change of a
// fleet otherwise pays; the xDS runner calls it once it has served a
// fleet's first translation, with that translation's clusters and
// endpoints. It changes nothing the next calls give.
func (c *Cache) WarmEndpoints(clusters []*ir.Cluster, eps *ir.Endpoints) {
	if c.eds != nil {
		return
	}
	_, _ = c.TranslateEndpoints(clusters, eps) // its error is always nil
	c.eds.indexByKey()
}

// entry returns the slot's Service entry in eps, nil when there is none.
func (s *edsSlot) entry(eps *ir.Endpoints) *ir.ServiceEndpoints {
	if s.key == "" || eps == nil {
		return nil
	}
	return eps.Services[s.key]
}

// endpoints are the cluster's endpoints given its Service entry (see
// ir.Endpoints.Lookup).
func (s *edsSlot) endpoints(svc *ir.ServiceEndpoints) []*ir.Endpoint {
	if s.cluster.EndpointSource == nil {
		return s.cluster.Endpoints
	}
	return svc.PortEndpoints(s.cluster.EndpointSource)
}

// sweep drops the entries of m that generation gen did not use.
func sweep[K comparable, E any](m map[K]E, gen uint64, genOf func(E) uint64) {
	for k, e := range m {
		if genOf(e) != gen {
			delete(m, k)
		}
	}
}

func validVirtualHost(hostname string, routes []*routev3.Route) (*routev3.VirtualHost, error) {
	// The virtual host's own fields, without its routes (validated alone).
	if err := VirtualHost(hostname, nil).ValidateAll(); err != nil {
		return nil, err
	}
	return VirtualHost(hostname, routes), nil
}

// cluster returns the cluster of an IR cluster and whether it is valid.
func (t *translation) cluster(c *ir.Cluster) (*clusterv3.Cluster, error) {
	cache := t.cache
	if cache == nil {
		return validCluster(c)
	}
	b, ok := cache.clusters[c.Name]
	if !ok || !b.ir.Equal(c) {
		b = &builtCluster{ir: c}
		b.built, b.err = validCluster(c)
		cache.clusters[c.Name] = b
	}
	// An equal cluster under a new pointer takes the entry: the next call,
	// likely with the same pointer, compares pointers only.
	b.ir = c
	b.gen = cache.gen
	return b.built, b.err
}

// assignmentEntry returns the cache's entry for the assignment of an EDS
// cluster whose endpoints are endpoints, building it when the cache has
// none for the same cluster with the same endpoints.
func (t *translation) assignmentEntry(c *ir.Cluster, endpoints []*ir.Endpoint) *builtAssignment {
	cache := t.cache
	b, ok := cache.assignments[c.Name]
	if !ok || !b.cluster.Equal(c) || !ir.EndpointsEqual(b.endpoints, endpoints) {
		sub := &translation{out: &Resources{}}
		sub.buildAssignment(c, endpoints)
		b = &builtAssignment{cluster: c, endpoints: endpoints}
		if len(sub.out.Endpoints) > 0 { // buildAssignment adds one or none
			cla := sub.out.Endpoints[0]
			if err := compactAssignment(&b.compact, cla); err != nil {
				sub.leaveOut("cluster load assignment", "cluster", cla.GetClusterName(), err)
			} else {
				b.cla = &b.compact
			}
		}
		if len(sub.out.LeftOut) > 0 || len(sub.out.Warnings) > 0 {
			b.report = &Resources{LeftOut: sub.out.LeftOut, Warnings: sub.out.Warnings}
		}
		cache.assignments[c.Name] = b
	}
	b.cluster = c // as in cluster: the next comparison is likely of pointers
	return b
}

// addAssignment adds an assignment's outcome to the translation's.
func (t *translation) addAssignment(b *builtAssignment) {
	if b.cla != nil {
		t.out.Endpoints = append(t.out.Endpoints, b.cla)
	}
	if b.report != nil {
		t.out.LeftOut = append(t.out.LeftOut, b.report.LeftOut...)
		t.out.Warnings = append(t.out.Warnings, b.report.Warnings...)
	}
}

// buildAssignment adds the assignment of an EDS cluster, or leaves it out.
func (t *translation) buildAssignment(c *ir.Cluster, endpoints []*ir.Endpoint) {
	cla := ClusterLoadAssignment(c.Name, t.ipEndpoints(c.Name, endpoints))
	if err := cla.ValidateAll(); err != nil {
		t.leaveOut("cluster load assignment", "cluster", c.Name, err)
		return
	}
	t.out.Endpoints = append(t.out.Endpoints, cla)
}
