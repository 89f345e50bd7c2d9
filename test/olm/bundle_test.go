package olm

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/operator-framework/api/pkg/manifests"
	operatorsv1alpha1 "github.com/operator-framework/api/pkg/operators/v1alpha1"
	"github.com/operator-framework/api/pkg/validation"
	validator "github.com/operator-framework/api/pkg/validation/interfaces"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

const (
	// root is the repository, seen from this package's folder.
	root = "../.."
	// namePrefix is config/default's kustomize namePrefix.
	namePrefix = "envoy-gateway-"
	// packageName is the OLM package (make bundle --package).
	packageName = "envoy-gateway"
	// controllerSA is the control plane's ServiceAccount in the bundle.
	controllerSA = namePrefix + "controller-manager"
	// regenerate is what to do when a check fails because config/ changed.
	regenerate = "config/ changed without `make bundle`: run it and commit bundle/ and bundle.Dockerfile"
)

// operatorFrameworkSuite are the validators of
// `operator-sdk bundle validate --select-optional suite=operatorframework`,
// after the default ones.
var operatorFrameworkSuite = validator.Validators{
	validation.OperatorHubV2Validator,
	validation.StandardCapabilitiesValidator,
	validation.StandardCategoriesValidator,
	validation.AlphaDeprecatedAPIsValidator,
	validation.GoodPracticesValidator,
}

// loadBundle reads bundle/ as OLM does.
func loadBundle(t *testing.T) *manifests.Bundle {
	t.Helper()
	b, err := manifests.GetBundleFromDir(filepath.Join(root, "bundle"))
	if err != nil {
		t.Fatalf("loading bundle/: %v", err)
	}
	if b.CSV == nil {
		t.Fatal("bundle/ has no ClusterServiceVersion")
	}
	return b
}

// TestBundleValidates runs the operator-framework validators on bundle/: the
// default ones (CSV, CRDs, bundle) and the operatorframework suite
// (OperatorHub metadata, capabilities, categories, deprecated APIs, good
// practices). Any error or warning fails.
func TestBundleValidates(t *testing.T) {
	b := loadBundle(t)
	validators := slices.Concat(validation.DefaultBundleValidators, operatorFrameworkSuite)
	checked := 0
	for _, r := range validators.Validate(b.ObjectsToValidate()...) {
		checked++
		for _, e := range r.Errors {
			t.Errorf("%s: %s", r.Name, e.Error())
		}
		for _, w := range r.Warnings {
			t.Errorf("%s: %s (warnings fail too: fix it, or explain in this test why it is acceptable)", r.Name, w.Error())
		}
	}
	if checked == 0 {
		t.Fatal("the validators returned no results")
	}
}

// TestBundleMetadata checks the CSV's identity against the bundle's
// annotations and bundle.Dockerfile.
func TestBundleMetadata(t *testing.T) {
	b := loadBundle(t)
	csv := b.CSV
	if b.Package != packageName {
		t.Errorf("package %q, want %q", b.Package, packageName)
	}
	if want := packageName + ".v" + csv.Spec.Version.String(); csv.Name != want {
		t.Errorf("CSV name %q, want %q (package and version)", csv.Name, want)
	}
	if b.DefaultChannel == "" || !slices.Contains(b.Channels, b.DefaultChannel) {
		t.Errorf("default channel %q is not one of the channels %v", b.DefaultChannel, b.Channels)
	}

	// bundle.Dockerfile labels the bundle image with metadata/annotations.yaml.
	var annotations struct {
		Annotations map[string]string `json:"annotations"`
	}
	readYAML(t, filepath.Join(root, "bundle/metadata/annotations.yaml"), &annotations)
	labels := dockerfileLabels(t, filepath.Join(root, "bundle.Dockerfile"))
	for k, v := range annotations.Annotations {
		if labels[k] != v {
			t.Errorf("bundle.Dockerfile: LABEL %s=%q, bundle/metadata/annotations.yaml says %q", k, labels[k], v)
		}
	}

	// Only AllNamespaces: the control plane watches the whole cluster.
	for _, m := range csv.Spec.InstallModes {
		if want := m.Type == operatorsv1alpha1.InstallModeTypeAllNamespaces; m.Supported != want {
			t.Errorf("install mode %s supported=%t, want %t", m.Type, m.Supported, want)
		}
	}

	// The image the control plane runs is the CSV's containerImage.
	deployments := csv.Spec.InstallStrategy.StrategySpec.DeploymentSpecs
	if len(deployments) != 1 || len(deployments[0].Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("want one Deployment with one container in the CSV, got %+v", deployments)
	}
	image := deployments[0].Spec.Template.Spec.Containers[0].Image
	if got := csv.Annotations["containerImage"]; got != image {
		t.Errorf("CSV annotation containerImage %q, the Deployment runs %q", got, image)
	}
}

// TestBundleCRDsMatchConfig checks that the bundle's CRDs are
// config/crd/bases, and that the CSV owns each with its served versions.
func TestBundleCRDsMatchConfig(t *testing.T) {
	b := loadBundle(t)
	want := map[string]*apiextensionsv1.CustomResourceDefinition{}
	files, err := filepath.Glob(filepath.Join(root, "config/crd/bases/*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no CRDs in config/crd/bases (%v)", err)
	}
	for _, f := range files {
		for _, u := range readObjects(t, f) {
			crd := convert[apiextensionsv1.CustomResourceDefinition](t, u)
			want[crd.Name] = crd
		}
	}
	if len(b.V1beta1CRDs) > 0 {
		t.Errorf("bundle/ has %d apiextensions.k8s.io/v1beta1 CRDs", len(b.V1beta1CRDs))
	}
	got := map[string]*apiextensionsv1.CustomResourceDefinition{}
	for _, crd := range b.V1CRDs {
		got[crd.Name] = crd
	}
	for name, w := range want {
		g, ok := got[name]
		if !ok {
			t.Errorf("CRD %s of config/crd/bases is not in bundle/; %s", name, regenerate)
			continue
		}
		if !equality.Semantic.DeepEqual(g.Spec, w.Spec) {
			t.Errorf("CRD %s differs from config/crd/bases (-config +bundle):\n%s\n%s", name, cmp.Diff(w.Spec, g.Spec), regenerate)
		}
		if !equality.Semantic.DeepEqual(g.Labels, w.Labels) || !equality.Semantic.DeepEqual(g.Annotations, w.Annotations) {
			t.Errorf("CRD %s: labels %v annotations %v, config/crd/bases has %v %v; %s",
				name, g.Labels, g.Annotations, w.Labels, w.Annotations, regenerate)
		}
	}
	for name := range got {
		if want[name] == nil {
			t.Errorf("bundle/ has CRD %s, which config/crd/bases does not; %s", name, regenerate)
		}
	}

	owned := map[string]operatorsv1alpha1.CRDDescription{}
	for _, d := range b.CSV.Spec.CustomResourceDefinitions.Owned {
		owned[d.Name+"/"+d.Version] = d
	}
	for name, crd := range want {
		for _, v := range crd.Spec.Versions {
			if !v.Served {
				continue
			}
			d, ok := owned[name+"/"+v.Name]
			switch {
			case !ok:
				t.Errorf("the CSV does not own %s version %s (config/manifests/bases)", name, v.Name)
			case d.Kind != crd.Spec.Names.Kind || d.DisplayName == "" || d.Description == "":
				t.Errorf("owned CRD %s/%s: kind %q, display name %q, description %q: want kind %q and both texts",
					name, v.Name, d.Kind, d.DisplayName, d.Description, crd.Spec.Names.Kind)
			}
		}
	}
	if len(owned) != len(want) {
		t.Errorf("the CSV owns %d CRD versions, config/crd/bases has %d CRDs", len(owned), len(want))
	}
}

// TestBundleRBACMatchesConfig checks the CSV's permissions: the control
// plane's ServiceAccount gets exactly the ClusterRole of
// config/rbac/role.yaml cluster-wide, and the namespaced Role of role.yaml
// plus the leader-election Role in the operator's namespace; no other
// ServiceAccount gets anything.
func TestBundleRBACMatchesConfig(t *testing.T) {
	b := loadBundle(t)
	var clusterRules, namespacedRules []rbacv1.PolicyRule
	for _, f := range []string{"config/rbac/role.yaml", "config/rbac/leader_election_role.yaml"} {
		for _, u := range readObjects(t, filepath.Join(root, f)) {
			switch u.GetKind() {
			case "ClusterRole":
				clusterRules = append(clusterRules, convert[rbacv1.ClusterRole](t, u).Rules...)
			case "Role":
				namespacedRules = append(namespacedRules, convert[rbacv1.Role](t, u).Rules...)
			default:
				t.Fatalf("%s: unexpected %s", f, u.GetKind())
			}
		}
	}
	if len(clusterRules) == 0 || len(namespacedRules) == 0 {
		t.Fatal("no rules read from config/rbac")
	}

	strategy := b.CSV.Spec.InstallStrategy.StrategySpec
	for _, c := range []struct {
		what  string
		perms []operatorsv1alpha1.StrategyDeploymentPermissions
		want  []rbacv1.PolicyRule
	}{
		{"clusterPermissions", strategy.ClusterPermissions, clusterRules},
		{"permissions", strategy.Permissions, namespacedRules},
	} {
		var got []rbacv1.PolicyRule
		for _, p := range c.perms {
			if p.ServiceAccountName != controllerSA {
				t.Errorf("%s: ServiceAccount %s gets %d rules; only %s should have any", c.what, p.ServiceAccountName,
					len(p.Rules), controllerSA)
				continue
			}
			got = append(got, p.Rules...)
		}
		if diff := cmp.Diff(grants(c.want), grants(got)); diff != "" {
			t.Errorf("CSV %s of %s differ from config/rbac (-config +bundle):\n%s\n%s", c.what, controllerSA, diff, regenerate)
		}
	}
}

// grants flattens rules into one line per verb and resource (or URL), sorted
// and without duplicates: the same access compares equal however the rules
// group it, and a diff names each grant gained or lost.
func grants(rules []rbacv1.PolicyRule) []string {
	var out []string
	for _, r := range rules {
		names := r.ResourceNames
		if len(names) == 0 {
			names = []string{"*"}
		}
		for _, verb := range r.Verbs {
			for _, group := range r.APIGroups {
				if group == "" {
					group = "core"
				}
				for _, res := range r.Resources {
					for _, name := range names {
						out = append(out, verb+" "+group+"/"+res+"/"+name)
					}
				}
			}
			for _, url := range r.NonResourceURLs {
				out = append(out, verb+" "+url)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestBundleDeploymentMatchesConfig checks that the CSV's Deployment, the
// xDS Service and the static configuration ConfigMap are config/manager's,
// with the kustomize name prefix applied.
func TestBundleDeploymentMatchesConfig(t *testing.T) {
	b := loadBundle(t)
	var want *appsv1.Deployment
	for _, u := range readObjects(t, filepath.Join(root, "config/manager/manager.yaml")) {
		if u.GetKind() == "Deployment" {
			want = convert[appsv1.Deployment](t, u)
		}
	}
	if want == nil {
		t.Fatal("config/manager/manager.yaml has no Deployment")
	}
	deployments := b.CSV.Spec.InstallStrategy.StrategySpec.DeploymentSpecs
	if len(deployments) != 1 {
		t.Fatalf("the CSV has %d Deployments, want 1", len(deployments))
	}
	got := deployments[0]
	if wantName := namePrefix + want.Name; got.Name != wantName {
		t.Errorf("CSV Deployment %q, want %q", got.Name, wantName)
	}

	// What kustomize changes: the ServiceAccount's and ConfigMap's names
	// (prefix, and the ConfigMap's content hash) and the image.
	spec := want.Spec.DeepCopy()
	pod := &spec.Template.Spec
	pod.ServiceAccountName = namePrefix + pod.ServiceAccountName
	configMaps := map[string]string{} // config/manager name -> bundle name
	for i, v := range pod.Volumes {
		if v.ConfigMap == nil {
			continue
		}
		for _, gv := range got.Spec.Template.Spec.Volumes {
			if gv.Name == v.Name && gv.ConfigMap != nil && strings.HasPrefix(gv.ConfigMap.Name, namePrefix+v.ConfigMap.Name+"-") {
				configMaps[v.ConfigMap.Name] = gv.ConfigMap.Name
				pod.Volumes[i].ConfigMap.Name = gv.ConfigMap.Name
			}
		}
	}
	if len(pod.Containers) == len(got.Spec.Template.Spec.Containers) {
		for i := range pod.Containers {
			pod.Containers[i].Image = got.Spec.Template.Spec.Containers[i].Image
		}
	}
	if !equality.Semantic.DeepEqual(*spec, got.Spec) {
		t.Errorf("the CSV's Deployment differs from config/manager/manager.yaml (-config +bundle):\n%s\n%s",
			cmp.Diff(*spec, got.Spec), regenerate)
	}

	objects := map[string]*unstructured.Unstructured{}
	for _, u := range b.Objects {
		objects[u.GetKind()+"/"+u.GetName()] = u
	}

	// The static configuration: config/manager's configMapGenerator.
	configFile := filepath.Join(root, "config/manager/envoy-gateway.yaml")
	wantConfig, err := os.ReadFile(configFile)
	if err != nil {
		t.Fatal(err)
	}
	name, ok := configMaps["config"]
	if !ok {
		t.Fatalf("the CSV's Deployment mounts no ConfigMap %sconfig-<hash>; %s", namePrefix, regenerate)
	}
	if u := objects["ConfigMap/"+name]; u == nil {
		t.Errorf("bundle/ has no ConfigMap %s, which the Deployment mounts; %s", name, regenerate)
	} else if got := convert[corev1.ConfigMap](t, u).Data["envoy-gateway.yaml"]; got != string(wantConfig) {
		t.Errorf("ConfigMap %s: envoy-gateway.yaml differs from %s; %s", name, configFile, regenerate)
	}
	for key := range objects {
		if strings.HasPrefix(key, "ConfigMap/") && key != "ConfigMap/"+name {
			t.Errorf("bundle/ has a stale %s; %s", key, regenerate)
		}
	}

	// The xDS Service the Envoy bootstraps connect to.
	for _, u := range readObjects(t, filepath.Join(root, "config/manager/service.yaml")) {
		want := convert[corev1.Service](t, u)
		key := "Service/" + namePrefix + want.Name
		if objects[key] == nil {
			t.Errorf("bundle/ has no %s; %s", key, regenerate)
			continue
		}
		if got := convert[corev1.Service](t, objects[key]); !equality.Semantic.DeepEqual(got.Spec, want.Spec) {
			t.Errorf("%s differs from config/manager/service.yaml (-config +bundle):\n%s\n%s", key,
				cmp.Diff(want.Spec, got.Spec), regenerate)
		}
	}
}

// TestBundleExamplesMatchSamples checks that the CSV's alm-examples are the
// samples of config/samples/kustomization.yaml, and that every example is
// of an owned CRD.
func TestBundleExamplesMatchSamples(t *testing.T) {
	b := loadBundle(t)
	var examples []map[string]any
	if err := json.Unmarshal([]byte(b.CSV.Annotations["alm-examples"]), &examples); err != nil {
		t.Fatalf("alm-examples: %v", err)
	}
	var kustomization struct {
		Resources []string `json:"resources"`
	}
	readYAML(t, filepath.Join(root, "config/samples/kustomization.yaml"), &kustomization)
	var want []map[string]any
	for _, r := range kustomization.Resources {
		for _, u := range readObjects(t, filepath.Join(root, "config/samples", r)) {
			want = append(want, u.Object)
		}
	}
	if len(want) == 0 {
		t.Fatal("config/samples/kustomization.yaml lists no samples")
	}
	if diff := cmp.Diff(want, examples); diff != "" {
		t.Errorf("alm-examples differ from config/samples (-config +bundle):\n%s\n%s", diff, regenerate)
	}
	kinds := map[string]bool{}
	for _, d := range b.CSV.Spec.CustomResourceDefinitions.Owned {
		kinds[d.Kind] = true
	}
	for _, e := range examples {
		if k, _ := e["kind"].(string); !kinds[k] {
			t.Errorf("alm-examples has a %q, which the CSV does not own", k)
		}
	}
}

// readObjects reads the objects of a multi-document YAML file.
func readObjects(t *testing.T, path string) []*unstructured.Unstructured {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	var objs []*unstructured.Unstructured
	r := utilyaml.NewYAMLReader(bufio.NewReader(f))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return objs
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		var m map[string]any
		if err := yaml.Unmarshal(doc, &m); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if len(m) > 0 {
			objs = append(objs, &unstructured.Unstructured{Object: m})
		}
	}
}

// readYAML decodes one YAML file into v.
func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// convert decodes an unstructured object into a typed one.
func convert[T any](t *testing.T, u *unstructured.Unstructured) *T {
	t.Helper()
	out := new(T)
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, out); err != nil {
		t.Fatalf("%s %s: %v", u.GetKind(), u.GetName(), err)
	}
	return out
}

var labelLine = regexp.MustCompile(`^LABEL\s+(\S+?)=(\S+)\s*$`)

// dockerfileLabels reads the LABEL key=value lines of a Dockerfile.
func dockerfileLabels(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	labels := map[string]string{}
	for line := range bytes.Lines(b) {
		if m := labelLine.FindSubmatch(bytes.TrimSpace(line)); m != nil {
			labels[string(m[1])] = strings.Trim(string(m[2]), `"`)
		}
	}
	return labels
}
