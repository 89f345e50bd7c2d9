package gatewayapi

import "k8s.io/apimachinery/pkg/util/validation/field"

// fieldPath is the path of the field being translated, made into a
// *field.Path only when an error names it. Translating a rule descends
// through a dozen fields and most of them are valid: a *field.Path per
// step was a third of a full translation's allocations of its size,
// interleaved with the models the translator keeps, which then held
// pages the collected paths had left half empty. A fieldPath is a value
// (its steps in an array, up to maxPathSteps below a *field.Path root),
// so passing one down allocates nothing.
type fieldPath struct {
	root  *field.Path
	steps [maxPathSteps]pathStep
	n     int
}

// maxPathSteps is how many steps a fieldPath holds before it makes its
// steps so far a *field.Path root: enough for the deepest field of a
// route rule (spec.rules[i].backendRefs[j].filters[k].requestHeaderModifier.set[l].name).
const maxPathSteps = 12

// pathStep is a field name, or an index when index >= 0.
type pathStep struct {
	name  string
	index int
}

// newFieldPath is the path of a top-level field (and the fields under it).
func newFieldPath(name string, more ...string) fieldPath {
	return fieldPath{}.Child(name, more...)
}

// Child is the path of field name (and the fields under it) of p's value.
func (p fieldPath) Child(name string, more ...string) fieldPath {
	p = p.push(pathStep{name: name, index: -1})
	for _, m := range more {
		p = p.push(pathStep{name: m, index: -1})
	}
	return p
}

// Index is the path of element i of p's list.
func (p fieldPath) Index(i int) fieldPath {
	return p.push(pathStep{index: i})
}

func (p fieldPath) push(s pathStep) fieldPath {
	if p.n == maxPathSteps {
		p = fieldPath{root: p.field()}
	}
	p.steps[p.n] = s
	p.n++
	return p
}

// field is p as a *field.Path.
func (p fieldPath) field() *field.Path {
	f := p.root
	for _, s := range p.steps[:p.n] {
		if s.index >= 0 {
			f = f.Index(s.index)
		} else {
			f = f.Child(s.name)
		}
	}
	return f
}

// String is p as field.Path writes it ("spec.rules[0].matches").
func (p fieldPath) String() string {
	return p.field().String()
}
