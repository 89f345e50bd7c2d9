package validation

import (
	"cmp"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"

	"github.com/envoygw/envoy-gateway/internal/parallel"
)

// crdFS holds our CRDs (crds/envoygateway) and the Gateway API experimental
// channel CRDs (crds/gatewayapi, a superset of the standard channel), copied by gencrds.go.
//
//go:embed crds/envoygateway/*.yaml crds/gatewayapi/*.yaml
var crdFS embed.FS

// CRDDirs are the embedded folders, relative to crdFS.
var CRDDirs = []string{"crds/envoygateway", "crds/gatewayapi"}

// EmbeddedCRDFiles returns the embedded CRD files by folder (as in CRDDirs)
// and base name, for the sync test.
func EmbeddedCRDFiles() (map[string]map[string][]byte, error) {
	out := map[string]map[string][]byte{}
	for _, dir := range CRDDirs {
		entries, err := fs.ReadDir(crdFS, dir)
		if err != nil {
			return nil, err
		}
		out[dir] = map[string][]byte{}
		for _, e := range entries {
			data, err := crdFS.ReadFile(path.Join(dir, e.Name()))
			if err != nil {
				return nil, err
			}
			out[dir][e.Name()] = data
		}
	}
	return out, nil
}

// loadCRDs decodes every embedded CustomResourceDefinition; other documents
// (the Gateway API ValidatingAdmissionPolicy) are skipped.
func loadCRDs() ([]*apiextensionsv1.CustomResourceDefinition, error) {
	files, err := EmbeddedCRDFiles()
	if err != nil {
		return nil, err
	}
	type file struct {
		dir, name string
		data      []byte
		crd       *apiextensionsv1.CustomResourceDefinition
		err       error
	}
	var all []*file
	for _, dir := range CRDDirs {
		for name, data := range files[dir] {
			all = append(all, &file{dir: dir, name: name, data: data})
		}
	}
	// Decoding the YAML takes most of the time of a small translation:
	// decode the files on all cores, the largest first.
	slices.SortFunc(all, func(a, b *file) int { return cmp.Compare(len(b.data), len(a.data)) })
	parallel.For(len(all), 0, func(i int) {
		all[i].crd, all[i].err = decodeCRD(all[i].data)
	})
	var crds []*apiextensionsv1.CustomResourceDefinition
	for _, f := range all {
		if f.err != nil {
			return nil, fmt.Errorf("embedded %s/%s: %w", f.dir, f.name, f.err)
		}
		if f.crd != nil {
			crds = append(crds, f.crd)
		}
	}
	return crds, nil
}

func decodeCRD(data []byte) (*apiextensionsv1.CustomResourceDefinition, error) {
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := yaml.Unmarshal(data, crd); err != nil {
		return nil, err
	}
	if crd.Kind != "CustomResourceDefinition" {
		return nil, nil
	}
	return crd, nil
}
