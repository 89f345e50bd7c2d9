// Package rbac_test checks the control plane's RBAC as kustomize renders it
// from config/: least privilege (no cluster-wide write to core kinds or
// Leases) and the namespaced writes the control plane needs.
package rbac_test

import (
	"bytes"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"

	"github.com/envoygw/envoy-gateway/internal/testenv"
)

// controlPlaneNamespace is where config/default installs the control plane.
const controlPlaneNamespace = "envoy-gateway-system"

// writeVerbs are the verbs that change objects.
var writeVerbs = []string{"create", "update", "patch", "delete", "deletecollection", "*"}

// clusterWideForbidden are the API groups of which no ClusterRole may write
// anything: the core kinds (Services, Secrets, ConfigMaps, ...) and Leases.
var clusterWideForbidden = []string{"", "coordination.k8s.io", "*"}

// roles are the Roles and ClusterRoles of a kustomize rendering.
type roles struct {
	clusterRoles []rbacv1.ClusterRole
	roles        []rbacv1.Role
}

// render runs `kubectl kustomize` on a folder of config/ and keeps its
// Roles and ClusterRoles.
func render(t *testing.T, dir string) roles {
	t.Helper()
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Fatalf("kubectl is needed to render config/ with kustomize: %v", err)
	}
	out, err := exec.Command(kubectl, "kustomize", filepath.Join(testenv.RepoRoot(), "config", dir)).Output()
	if err != nil {
		t.Fatalf("kubectl kustomize config/%s: %v", dir, err)
	}
	var r roles
	for doc := range bytes.SplitSeq(out, []byte("\n---\n")) {
		var meta struct {
			Kind string `json:"kind"`
		}
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			t.Fatalf("config/%s renders invalid YAML: %v", dir, err)
		}
		switch meta.Kind {
		case "ClusterRole":
			var cr rbacv1.ClusterRole
			mustUnmarshal(t, doc, &cr)
			r.clusterRoles = append(r.clusterRoles, cr)
		case "Role":
			var role rbacv1.Role
			mustUnmarshal(t, doc, &role)
			r.roles = append(r.roles, role)
		}
	}
	return r
}

func mustUnmarshal(t *testing.T, doc []byte, into any) {
	t.Helper()
	if err := yaml.UnmarshalStrict(doc, into); err != nil {
		t.Fatal(err)
	}
}

func intersects(a, b []string) bool {
	return slices.ContainsFunc(a, func(s string) bool { return slices.Contains(b, s) })
}

// TestNoClusterWideWritesToCoreKindsOrLeases fails on any ClusterRole rule
// that lets its holder write a core kind or a Lease in every namespace.
func TestNoClusterWideWritesToCoreKindsOrLeases(t *testing.T) {
	r := render(t, "rbac")
	if len(r.clusterRoles) == 0 {
		t.Fatal("config/rbac renders no ClusterRole")
	}
	for _, cr := range r.clusterRoles {
		for _, rule := range cr.Rules {
			if intersects(rule.Verbs, writeVerbs) && intersects(rule.APIGroups, clusterWideForbidden) {
				t.Errorf("ClusterRole %s lets its holder %v %v of the groups %q in every namespace",
					cr.Name, rule.Verbs, rule.Resources, rule.APIGroups)
			}
		}
	}
}

// allows reports whether rules allow verb on group/resource.
func allows(rules []rbacv1.PolicyRule, verb, group, resource string) bool {
	for _, r := range rules {
		if (slices.Contains(r.Verbs, verb) || slices.Contains(r.Verbs, "*")) &&
			(slices.Contains(r.APIGroups, group) || slices.Contains(r.APIGroups, "*")) &&
			(slices.Contains(r.Resources, resource) || slices.Contains(r.Resources, "*")) {
			return true
		}
	}
	return false
}

// TestControlPlaneNamespaceWrites checks that what the control plane writes
// in its own namespace (the fleets' objects, the leader Lease) is granted
// there by Roles, as config/default installs them.
func TestControlPlaneNamespaceWrites(t *testing.T) {
	r := render(t, "default")
	var rules []rbacv1.PolicyRule
	for _, role := range r.roles {
		if role.Namespace == controlPlaneNamespace && !strings.Contains(role.Name, "certgen") {
			rules = append(rules, role.Rules...)
		}
	}
	needed := []struct{ group, resource string }{
		{"", "services"}, {"", "configmaps"}, {"", "serviceaccounts"},
		{"apps", "deployments"}, {"coordination.k8s.io", "leases"},
	}
	for _, n := range needed {
		for _, verb := range []string{"get", "create", "update", "patch", "delete"} {
			if !allows(rules, verb, n.group, n.resource) {
				t.Errorf("no Role in %s allows %s", controlPlaneNamespace, fmt.Sprintf("%s %s/%s", verb, n.group, n.resource))
			}
		}
	}
	for _, cr := range r.clusterRoles {
		if strings.HasSuffix(cr.Name, "manager-role") && !allows(cr.Rules, "create", "events.k8s.io", "events") {
			t.Errorf("ClusterRole %s does not allow creating events.k8s.io Events (the controller's recorder)", cr.Name)
		}
	}
}
