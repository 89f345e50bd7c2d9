package intern

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unsafe"
)

type kind string

type ref struct {
	Kind   *kind
	Name   string
	Port   *int32
	Weight *int32
}

type object struct {
	Namespace string
	Refs      []ref
	Target    *ref
	Hosts     []string
	Data      []byte
	Labels    map[string]string
	hidden    string
}

// decoded is an object whose every value is its own copy, as a decoder
// makes them; name is its own.
func decoded(name string) *object {
	c := strings.Clone
	k, port, weight := kind(c("Service")), int32(8080), int32(1)
	return &object{
		Namespace: c("team-a"),
		Refs:      []ref{{Kind: &k, Name: c(name), Port: &port, Weight: &weight}},
		Target:    &ref{Kind: new(kind(c("Service"))), Name: c("shared-target")},
		Hosts:     []string{c("example.com"), c(name + ".example.com")},
		Data:      []byte("data"),
		Labels:    map[string]string{c("app"): c("web")},
		hidden:    c("hidden"),
	}
}

func sameString(a, b string) bool { return unsafe.StringData(a) == unsafe.StringData(b) }

// TestObjectSharesRepeatedValues checks that from the second object on,
// the values seen before are one copy (pointers and string data), the
// objects' content unchanged, and that values of one object, bytes, maps
// and unexported fields keep their own copies.
func TestObjectSharesRepeatedValues(t *testing.T) {
	var tab Table
	objs := []*object{decoded("a"), decoded("b"), decoded("c")}
	for _, o := range objs {
		want := decoded(o.Refs[0].Name)
		tab.Object(o)
		if !reflect.DeepEqual(o, want) {
			t.Fatalf("interning changed the object:\n%+v\nwant %+v", o, want)
		}
	}
	b, c := objs[1], objs[2]
	for name, shared := range map[string]bool{
		"namespace":     sameString(b.Namespace, c.Namespace),
		"kind pointer":  b.Refs[0].Kind == c.Refs[0].Kind,
		"port pointer":  b.Refs[0].Port == c.Refs[0].Port,
		"nested struct": b.Target.Kind == c.Target.Kind && sameString(b.Target.Name, c.Target.Name),
		"slice string":  sameString(b.Hosts[0], c.Hosts[0]),
	} {
		if !shared {
			t.Errorf("the second and third objects hold two copies of their %s", name)
		}
	}
	if b.Refs[0].Port == c.Refs[0].Weight {
		t.Error("pointers to different values are shared")
	}
	if b.Target.Kind != c.Refs[0].Kind {
		t.Error("equal pointed-to values of the same type are not one pointer")
	}
	for name, own := range map[string]bool{
		"name":   !sameString(b.Refs[0].Name, c.Refs[0].Name),
		"host":   !sameString(b.Hosts[1], c.Hosts[1]),
		"bytes":  &b.Data[0] != &c.Data[0],
		"hidden": !sameString(b.hidden, c.hidden),
	} {
		if !own {
			t.Errorf("the objects share their %s", name)
		}
	}
	for k := range c.Labels {
		for k2 := range b.Labels {
			if sameString(k, k2) {
				t.Error("map keys are shared; the walk leaves maps alone")
			}
		}
	}
}

// TestPointersOfDifferentTypesAreApart: a pointer is shared only with
// pointers of its type to an equal value.
func TestPointersOfDifferentTypesAreApart(t *testing.T) {
	type pair struct {
		K *kind
		S *string
	}
	var tab Table
	objs := make([]*pair, 0, 3)
	for range 3 {
		objs = append(objs, &pair{K: new(kind("x")), S: new("x")})
		tab.Object(objs[len(objs)-1])
	}
	if objs[1].K != objs[2].K || objs[1].S != objs[2].S {
		t.Fatal("repeated pointers are not shared")
	}
	if unsafe.Pointer(objs[2].K) == unsafe.Pointer(objs[2].S) {
		t.Fatal("a *kind and a *string share one pointer")
	}
}

// TestValuesSeenOnceAreNotHeld: values of one object only (names) are
// never held, however many objects there are.
func TestValuesSeenOnceAreNotHeld(t *testing.T) {
	type named struct{ Name string }
	var tab Table
	for i := range 3 * maxSeen {
		tab.Object(&named{Name: fmt.Sprintf("object-%d", i)})
	}
	if n := tab.Len(); n != 0 {
		t.Fatalf("%d values held, want none", n)
	}
}

// TestTableIsBounded: once MaxValues values are held, or for a value
// longer than MaxLen, objects keep their own copies.
func TestTableIsBounded(t *testing.T) {
	type named struct{ Name string }
	var tab Table
	for i := range MaxValues {
		for range 2 {
			tab.Object(&named{Name: fmt.Sprintf("value-%d", i)})
		}
	}
	if n := tab.Len(); n != MaxValues {
		t.Fatalf("%d values held, want %d", n, MaxValues)
	}
	for _, s := range []string{"a value not seen", strings.Repeat("x", MaxLen+1)} {
		var last *named
		for range 3 {
			o := &named{Name: strings.Clone(s)}
			tab.Object(o)
			if last != nil && sameString(last.Name, o.Name) {
				t.Errorf("a value of %d bytes is shared past the bound", len(s))
			}
			last = o
		}
	}
	if n := tab.Len(); n != MaxValues {
		t.Errorf("%d values held, want %d", n, MaxValues)
	}
}

// TestObjectIgnoresWhatIsNotAPointerToAStruct: nil, a nil pointer and a
// non-pointer leave the table empty.
func TestObjectIgnoresWhatIsNotAPointerToAStruct(t *testing.T) {
	var tab Table
	var nilObj *object
	for _, v := range []any{nil, nilObj, object{Namespace: "a"}, object{Namespace: "a"}} {
		tab.Object(v)
	}
	if tab.Len() != 0 {
		t.Fatal("values held from non-pointers")
	}
}

type condition struct {
	Type, Status string
	Generation   int64
}

type match struct {
	Kind  *kind
	Value *string
}

type status struct {
	Conditions []condition
	Match      *match
	Names      []string
}

// TestSlicesAndStructsShareByValue checks that slices of comparable
// elements and pointers to comparable structs are shared by value, a
// shared slice clipped so that appending to it copies, and that a
// different one keeps its own. A struct holding pointers is keyed by them:
// it is shared once they are (from the third object on here).
func TestSlicesAndStructsShareByValue(t *testing.T) {
	c := strings.Clone
	decodedStatus := func(name string) *status {
		return &status{
			Conditions: []condition{{Type: c("Accepted"), Status: c("True"), Generation: 1}, {Type: c("ResolvedRefs"), Status: c("True"), Generation: 1}},
			Match:      &match{Kind: new(kind(c("Exact"))), Value: new(c("/api"))},
			Names:      []string{c(name)},
		}
	}
	var tab Table
	objs := []*status{decodedStatus("a"), decodedStatus("b"), decodedStatus("c"), decodedStatus("d")}
	for _, o := range objs {
		want := decodedStatus(o.Names[0])
		tab.Object(o)
		if !reflect.DeepEqual(o, want) {
			t.Fatalf("interning changed the object:\n%+v\nwant %+v", o, want)
		}
	}
	b, d := objs[1], objs[2]
	if &b.Conditions[0] != &d.Conditions[0] {
		t.Fatal("equal slices are not shared")
	}
	if objs[2].Match != objs[3].Match {
		t.Fatal("equal structs are not shared")
	}
	if cap(b.Conditions) != len(b.Conditions) {
		t.Fatalf("a shared slice has room to append into: cap %d, len %d", cap(b.Conditions), len(b.Conditions))
	}
	if &b.Names[0] == &d.Names[0] {
		t.Fatal("different slices are shared")
	}
	grown := append(b.Conditions, condition{Type: "Extra"})
	if len(d.Conditions) != 2 || &grown[0] == &d.Conditions[0] {
		t.Fatal("appending to a shared slice changed the one it shares")
	}
}

// TestLongSlicesAreNotShared: a slice of more than MaxElems elements keeps
// its own array, however often it is seen.
func TestLongSlicesAreNotShared(t *testing.T) {
	type list struct{ Names []string }
	long := make([]string, MaxElems+1)
	for i := range long {
		long[i] = fmt.Sprint(i)
	}
	var tab Table
	objs := make([]*list, 0, 3)
	for range 3 {
		o := &list{Names: slices.Clone(long)}
		tab.Object(o)
		objs = append(objs, o)
	}
	if &objs[1].Names[0] == &objs[2].Names[0] {
		t.Fatal("a slice longer than MaxElems is shared")
	}
}

// TestWalkingAgainWritesNothingShared walks objects a second time while
// another goroutine reads the values they share (client-go's informers
// transform the objects of a watch list twice): under the race detector,
// a write into a shared value, even of the value it holds, fails it.
func TestWalkingAgainWritesNothingShared(t *testing.T) {
	var tab Table
	objs := make([]*status, 0, 4)
	for _, name := range []string{"a", "b", "c", "d"} {
		o := &status{
			Conditions: []condition{{Type: strings.Clone("Accepted"), Status: strings.Clone("True"), Generation: 1}},
			Match:      &match{Kind: new(kind(strings.Clone("Exact"))), Value: new(strings.Clone("/api"))},
			Names:      []string{name},
		}
		tab.Object(o)
		objs = append(objs, o)
	}
	shared := objs[3]
	if shared.Match != objs[2].Match || &shared.Conditions[0] != &objs[2].Conditions[0] {
		t.Fatal("nothing shared: the test does not test")
	}
	done := make(chan string)
	go func() {
		var read string
		for range 1000 {
			read = string(*shared.Match.Kind) + *shared.Match.Value + shared.Conditions[0].Type
		}
		done <- read
	}()
	for _, o := range objs {
		tab.Object(o)
	}
	if got := <-done; got != "Exact/apiAccepted" {
		t.Fatalf("read %q", got)
	}
}
