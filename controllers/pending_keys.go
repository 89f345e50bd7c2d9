package controllers

import (
	"sync"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
)

// pendingKeys collects the keys event handlers report until the snapshot
// worker takes them: the handlers add, the worker takes before it reads the
// cache and puts them back when its build fails, so that the retry reads
// them again.
type pendingKeys struct {
	mu  sync.Mutex
	set sets.Set[types.NamespacedName]
}

func (p *pendingKeys) add(key types.NamespacedName) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.set == nil {
		p.set = sets.New[types.NamespacedName]()
	}
	p.set.Insert(key)
}

// take returns the keys collected and starts a new collection.
func (p *pendingKeys) take() sets.Set[types.NamespacedName] {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.set
	p.set = nil
	return out
}

// putBack adds keys taken by a build that failed back to the collection.
func (p *pendingKeys) putBack(taken sets.Set[types.NamespacedName]) {
	for key := range taken {
		p.add(key)
	}
}
