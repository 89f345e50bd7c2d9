package gatewayapi

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/utils/ptr"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

func TestNormalizeParentRef(t *testing.T) {
	cases := []struct {
		name string
		ref  gwapiv1.ParentReference
		want gwapiv1.ParentReference
	}{
		{
			name: "defaults",
			ref:  gwapiv1.ParentReference{Name: "eg"},
			want: gwapiv1.ParentReference{Group: ptr.To[gwapiv1.Group](gwapiv1.GroupName), Kind: ptr.To[gwapiv1.Kind]("Gateway"),
				Namespace: ptr.To[gwapiv1.Namespace]("apps"), Name: "eg"},
		},
		{
			name: "empty namespace is the route's",
			ref:  gwapiv1.ParentReference{Namespace: ptr.To[gwapiv1.Namespace](""), Name: "eg"},
			want: gwapiv1.ParentReference{Group: ptr.To[gwapiv1.Group](gwapiv1.GroupName), Kind: ptr.To[gwapiv1.Kind]("Gateway"),
				Namespace: ptr.To[gwapiv1.Namespace]("apps"), Name: "eg"},
		},
		{
			name: "explicit values kept",
			ref: gwapiv1.ParentReference{Group: ptr.To[gwapiv1.Group]("example.com"), Kind: ptr.To[gwapiv1.Kind]("Mesh"),
				Namespace: ptr.To[gwapiv1.Namespace]("infra"), Name: "m", SectionName: ptr.To[gwapiv1.SectionName]("s")},
			want: gwapiv1.ParentReference{Group: ptr.To[gwapiv1.Group]("example.com"), Kind: ptr.To[gwapiv1.Kind]("Mesh"),
				Namespace: ptr.To[gwapiv1.Namespace]("infra"), Name: "m", SectionName: ptr.To[gwapiv1.SectionName]("s")},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.ref
			got := normalizeParentRef(in, "apps")
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("normalizeParentRef (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.ref, in); diff != "" {
				t.Errorf("input modified (-before +after):\n%s", diff)
			}
		})
	}
}

func TestParentKey(t *testing.T) {
	base := normalizeParentRef(gwapiv1.ParentReference{Name: "eg"}, "apps")
	withSection := base
	withSection.SectionName = ptr.To[gwapiv1.SectionName]("http")
	withPort := base
	withPort.Port = ptr.To[gwapiv1.PortNumber](8080)
	otherNS := normalizeParentRef(gwapiv1.ParentReference{Name: "eg"}, "other")
	cases := []struct {
		name string
		ref  gwapiv1.ParentReference
		want string
	}{
		{"gateway", base, "gateway.networking.k8s.io/Gateway/apps/eg/"},
		{"section", withSection, "gateway.networking.k8s.io/Gateway/apps/eg/http"},
		{"port", withPort, "gateway.networking.k8s.io/Gateway/apps/eg/:8080"},
		{"namespace", otherNS, "gateway.networking.k8s.io/Gateway/other/eg/"},
	}
	for _, tc := range cases {
		if got := parentKey(tc.ref); got != tc.want {
			t.Errorf("%s: parentKey = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestSelectListeners(t *testing.T) {
	http := &listenerModel{name: "http", port: 80}
	https := &listenerModel{name: "https", port: 443}
	alt := &listenerModel{name: "alt", port: 80}
	all := []*listenerModel{http, https, alt}
	cases := []struct {
		name    string
		section string
		port    int32
		want    []string
	}{
		{"no selector", "", 0, []string{"http", "https", "alt"}},
		{"section", "https", 0, []string{"https"}},
		{"port", "", 80, []string{"http", "alt"}},
		{"section and port", "alt", 80, []string{"alt"}},
		{"section and other port", "alt", 443, []string{}},
		{"unknown section", "nope", 0, []string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ref := gwapiv1.ParentReference{Name: "eg"}
			if tc.section != "" {
				ref.SectionName = new(gwapiv1.SectionName(tc.section))
			}
			if tc.port != 0 {
				ref.Port = new(tc.port)
			}
			selected := selectListeners(nil, all, ref)
			got := make([]string, 0, len(selected))
			for _, l := range selected {
				got = append(got, l.name)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("selectListeners (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDescribeSection(t *testing.T) {
	cases := []struct {
		section string
		port    int32
		want    string
	}{
		{"", 0, "the parentRef"},
		{"http", 0, "sectionName http"},
		{"", 8080, "port 8080"},
		{"http", 8080, "sectionName http and port 8080"},
	}
	for _, tc := range cases {
		ref := gwapiv1.ParentReference{Name: "eg"}
		if tc.section != "" {
			ref.SectionName = new(gwapiv1.SectionName(tc.section))
		}
		if tc.port != 0 {
			ref.Port = new(tc.port)
		}
		if got := describeSection(ref); got != tc.want {
			t.Errorf("describeSection(%q, %d) = %q, want %q", tc.section, tc.port, got, tc.want)
		}
	}
}

// TestAttachedListeners checks that a route counts once per listener, that
// the hostnames of two parents on one listener are merged, and that parents
// that did not accept the route attach nothing.
func TestAttachedListeners(t *testing.T) {
	a := &listenerModel{name: "a"}
	b := &listenerModel{name: "b"}
	parents := []*parentAttachment{
		{listeners: []listenerHostnames{{listener: a, hostnames: []string{"x.example.com"}}}},
		{listeners: []listenerHostnames{
			{listener: a, hostnames: []string{"x.example.com", "y.example.com"}},
			{listener: b, hostnames: []string{""}},
		}},
		{err: errorf(gwapiv1.RouteReasonNotAllowedByListeners, "no"), listeners: []listenerHostnames{{listener: b}}},
	}
	got := attachedListeners(parents, nil)
	if len(got) != 2 || got[0].listener != a || got[1].listener != b {
		t.Fatalf("attachedListeners = %+v, want listeners a then b", got)
	}
	if diff := cmp.Diff([]string{"x.example.com", "y.example.com"}, got[0].hostnames); diff != "" {
		t.Errorf("hostnames on a (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{""}, got[1].hostnames); diff != "" {
		t.Errorf("hostnames on b (-want +got):\n%s", diff)
	}
	if a.attachedRoutes != 1 || b.attachedRoutes != 1 {
		t.Errorf("attachedRoutes = a %d, b %d; want 1 each", a.attachedRoutes, b.attachedRoutes)
	}
	if diff := cmp.Diff([]string{"x.example.com"}, parents[0].listeners[0].hostnames); diff != "" {
		t.Errorf("input hostnames modified (-want +got):\n%s", diff)
	}
}

// TestAttachedListenersMergesWithoutWritingShared checks that a listener
// reached through two parentRefs serves the hostnames of both, once, and
// that merging them leaves the parents' hostname lists, which it shares,
// as they were.
func TestAttachedListenersMergesWithoutWritingShared(t *testing.T) {
	l, other := &listenerModel{name: "http"}, &listenerModel{name: "other"}
	first := make([]string, 1, 4) // room to append in place: must not be used
	first[0] = "a.example.com"
	parents := []*parentAttachment{
		{listeners: []listenerHostnames{{listener: l, hostnames: first}}},
		{listeners: []listenerHostnames{{listener: l, hostnames: []string{"b.example.com", "a.example.com"}}, {listener: other, hostnames: first}}},
		{err: errorf(gwapiv1.RouteReasonNoMatchingParent, "refused"), listeners: []listenerHostnames{{listener: other, hostnames: []string{"c.example.com"}}}},
	}
	got := attachedListeners(parents, nil)
	if len(got) != 2 || got[0].listener != l || got[1].listener != other {
		t.Fatalf("listeners %v", got)
	}
	if want := []string{"a.example.com", "b.example.com"}; !slices.Equal(got[0].hostnames, want) {
		t.Errorf("merged hostnames %q, want %q", got[0].hostnames, want)
	}
	if !slices.Equal(got[1].hostnames, []string{"a.example.com"}) {
		t.Errorf("hostnames of the other listener %q", got[1].hostnames)
	}
	if first[:2][1] != "" || len(first) != 1 {
		t.Errorf("the shared hostname list was written: %q", first[:2])
	}
	if l.attachedRoutes != 1 || other.attachedRoutes != 1 {
		t.Errorf("attached routes %d and %d, want 1 each", l.attachedRoutes, other.attachedRoutes)
	}
}
