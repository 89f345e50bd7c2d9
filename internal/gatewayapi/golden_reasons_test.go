package gatewayapi

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// emittedReasons lists every "<object>/<condition type>/<status>/<reason>"
// the translator can produce. The golden cases must show each one at least
// once, and nothing else may appear in them.
var emittedReasons = []string{
	"GatewayClass/Accepted/True/Accepted",
	"GatewayClass/Accepted/False/InvalidParameters",
	"EnvoyProxy/Accepted/True/Accepted",
	"EnvoyProxy/Accepted/False/Invalid",
	"Gateway/Accepted/True/Accepted",
	"Gateway/Accepted/True/ListenersNotValid",
	"Gateway/InsecureFrontendValidationMode/True/ConfigurationChanged",
	"Gateway/Accepted/False/ListenersNotValid",
	"Gateway/Accepted/False/InvalidParameters",
	"Gateway/Accepted/False/UnsupportedAddress",
	"Gateway/Programmed/True/Programmed",
	"Gateway/Programmed/False/Invalid",
	"Gateway/Programmed/Unknown/Pending",
	"Gateway/Programmed/False/NoResources",
	"Gateway/Programmed/False/AddressNotAssigned",
	"Gateway/Programmed/False/AddressNotUsable",
	"Gateway/ResolvedRefs/True/ResolvedRefs",
	"Gateway/ResolvedRefs/False/InvalidClientCertificateRef",
	"Gateway/ResolvedRefs/False/RefNotPermitted",
	"Gateway/ResolvedRefs/False/ListenersNotResolved",
	"Listener/Accepted/True/Accepted",
	"Listener/Accepted/False/UnsupportedProtocol",
	"Listener/Accepted/False/UnsupportedValue",
	"Listener/Accepted/False/PortUnavailable",
	"Listener/Accepted/False/HostnameConflict",
	"Listener/Accepted/False/NoValidCACertificate",
	"Listener/Accepted/False/ProtocolConflict",
	"Listener/Programmed/True/Programmed",
	"Listener/Programmed/False/Invalid",
	"Listener/Programmed/False/HostnameConflict",
	"Listener/Programmed/False/ProtocolConflict",
	"Listener/ResolvedRefs/True/ResolvedRefs",
	"Listener/ResolvedRefs/False/InvalidCACertificateKind",
	"Listener/ResolvedRefs/False/InvalidCACertificateRef",
	"Listener/ResolvedRefs/False/InvalidCertificateRef",
	"Listener/ResolvedRefs/False/InvalidRouteKinds",
	"Listener/ResolvedRefs/False/RefNotPermitted",
	"Listener/Conflicted/False/NoConflicts",
	"Listener/Conflicted/True/HostnameConflict",
	"Listener/Conflicted/True/ProtocolConflict",
	"Listener/OverlappingTLSConfig/True/OverlappingCertificates",
	"Listener/OverlappingTLSConfig/True/OverlappingHostnames",
	"ListenerSet/Accepted/True/Accepted",
	"ListenerSet/Accepted/True/ListenersNotValid",
	"ListenerSet/Accepted/False/NotAllowed",
	"ListenerSet/Accepted/False/ParentNotAccepted",
	"ListenerSet/Accepted/False/ListenersNotValid",
	"ListenerSet/Programmed/True/Programmed",
	"ListenerSet/Programmed/False/NotAllowed",
	"ListenerSet/Programmed/False/ParentNotAccepted",
	"ListenerSet/Programmed/False/ListenersNotValid",
	"ListenerSet/Programmed/False/ParentNotProgrammed",
	"ListenerSet/Programmed/Unknown/Pending",
	"Route/Accepted/True/Accepted",
	"Route/Accepted/Unknown/Pending",
	"Route/Accepted/False/NotAllowedByListeners",
	"Route/Accepted/False/NoMatchingListenerHostname",
	"Route/Accepted/False/NoMatchingParent",
	"Route/Accepted/False/UnsupportedValue",
	"Route/Accepted/False/IncompatibleFilters",
	"Route/Accepted/False/Conflicted",
	"Route/ResolvedRefs/True/ResolvedRefs",
	"Route/ResolvedRefs/False/RefNotPermitted",
	"Route/ResolvedRefs/False/BackendNotFound",
	"Route/ResolvedRefs/False/InvalidKind",
	"Route/PartiallyInvalid/True/UnsupportedValue",
	"BackendTLSPolicy/Accepted/True/Accepted",
	"BackendTLSPolicy/Accepted/False/Conflicted",
	"BackendTLSPolicy/Accepted/False/Invalid",
	"BackendTLSPolicy/Accepted/False/NoValidCACertificate",
	"BackendTLSPolicy/ResolvedRefs/True/ResolvedRefs",
	"BackendTLSPolicy/ResolvedRefs/False/InvalidCACertificateRef",
	"BackendTLSPolicy/ResolvedRefs/False/InvalidKind",
}

// TestNoPendingWithFalse scans every golden output: Gateway API defines the
// reason Pending for the status Unknown only, so no condition may carry
// Pending with False (or True).
func TestNoPendingWithFalse(t *testing.T) {
	for _, in := range goldenInputs(t) {
		out := strings.TrimSuffix(in, goldenInputSuffix) + ".out.yaml"
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		var r Result
		if err := yaml.UnmarshalStrict(data, &r); err != nil {
			t.Fatalf("%s: %v", out, err)
		}
		for _, c := range allConditions(&r) {
			if c.Reason == "Pending" && c.Status != metav1.ConditionUnknown {
				t.Errorf("%s: condition %s is %s with reason Pending", out, c.Type, c.Status)
			}
		}
	}
}

// allConditions lists every condition of every status in r.
func allConditions(r *Result) []metav1.Condition {
	var out []metav1.Condition
	for _, s := range r.Statuses.GatewayClasses {
		out = append(out, s.Status.Conditions...)
	}
	for _, s := range r.Statuses.EnvoyProxies {
		out = append(out, s.Status.Conditions...)
	}
	for _, s := range r.Statuses.Gateways {
		out = append(out, s.Status.Conditions...)
		for _, l := range s.Status.Listeners {
			out = append(out, l.Conditions...)
		}
	}
	for _, s := range r.Statuses.ListenerSets {
		out = append(out, s.Status.Conditions...)
		for _, l := range s.Status.Listeners {
			out = append(out, l.Conditions...)
		}
	}
	for _, s := range append(r.Statuses.HTTPRoutes.Slice(), r.Statuses.TLSRoutes.Slice()...) {
		for _, p := range s.Parents {
			out = append(out, p.Conditions...)
		}
	}
	for _, s := range r.Statuses.BackendTLSPolicies {
		for _, a := range s.Status.Ancestors {
			out = append(out, a.Conditions...)
		}
	}
	return out
}

// TestGoldenCoversEveryReason checks that the golden outputs show every
// condition reason the translator emits, and no other.
func TestGoldenCoversEveryReason(t *testing.T) {
	seen := map[string]bool{}
	add := func(object string, conds []metav1.Condition) {
		for _, c := range conds {
			seen[strings.Join([]string{object, c.Type, string(c.Status), c.Reason}, "/")] = true
		}
	}
	for _, in := range goldenInputs(t) {
		data, err := os.ReadFile(strings.TrimSuffix(in, goldenInputSuffix) + ".out.yaml")
		if err != nil {
			t.Fatal(err)
		}
		var r Result
		if err := yaml.UnmarshalStrict(data, &r); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		for _, s := range r.Statuses.GatewayClasses {
			add("GatewayClass", s.Status.Conditions)
		}
		for _, s := range r.Statuses.EnvoyProxies {
			add("EnvoyProxy", s.Status.Conditions)
		}
		for _, s := range r.Statuses.Gateways {
			add("Gateway", s.Status.Conditions)
			for _, l := range s.Status.Listeners {
				add("Listener", l.Conditions)
			}
		}
		for _, s := range r.Statuses.ListenerSets {
			add("ListenerSet", s.Status.Conditions)
			for _, l := range s.Status.Listeners {
				add("Listener", l.Conditions)
			}
		}
		for _, s := range append(r.Statuses.HTTPRoutes.Slice(), r.Statuses.TLSRoutes.Slice()...) {
			for _, p := range s.Parents {
				add("Route", p.Conditions)
			}
		}
		for _, s := range r.Statuses.BackendTLSPolicies {
			for _, a := range s.Status.Ancestors {
				add("BackendTLSPolicy", a.Conditions)
			}
		}
	}
	got := make([]string, 0, len(seen))
	for k := range seen {
		got = append(got, k)
	}
	want := append([]string(nil), emittedReasons...)
	slices.Sort(got)
	slices.Sort(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("condition reasons in golden outputs (-want +got):\n%s", diff)
	}
}
