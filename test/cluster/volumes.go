package cluster

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// volumeFS is a container's filesystem as far as its ConfigMap and Secret
// volumes go: files are read from the API at each read, so a changed
// ConfigMap is seen as the kubelet's volume sync would show it.
type volumeFS struct {
	ctx     context.Context
	reader  client.Reader
	ns      string
	mounts  []corev1.VolumeMount
	volumes map[string]corev1.Volume
}

func newVolumeFS(ctx context.Context, r client.Reader, pod *corev1.Pod, c *corev1.Container) *volumeFS {
	v := &volumeFS{ctx: ctx, reader: r, ns: pod.Namespace, mounts: c.VolumeMounts, volumes: map[string]corev1.Volume{}}
	for _, vol := range pod.Spec.Volumes {
		v.volumes[vol.Name] = vol
	}
	return v
}

// ReadFile returns the content of an absolute path inside the container.
func (v *volumeFS) ReadFile(name string) ([]byte, error) {
	clean := path.Clean("/" + name)
	mount, rel, ok := v.mountOf(clean)
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	vol, ok := v.volumes[mount.Name]
	if !ok {
		return nil, fmt.Errorf("open %s: volumeMount %s names no volume of the Pod", name, mount.Name)
	}
	files, err := v.files(vol)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", name, err)
	}
	data, ok := files[path.Join(mount.SubPath, rel)]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return []byte(data), nil
}

// mountOf finds the mount with the longest mountPath containing p and the
// path of p inside it.
func (v *volumeFS) mountOf(p string) (corev1.VolumeMount, string, bool) {
	var best corev1.VolumeMount
	var rel string
	found := false
	for _, m := range v.mounts {
		mp := path.Clean(m.MountPath)
		r, ok := strings.CutPrefix(p, mp)
		if !ok || (r != "" && !strings.HasPrefix(r, "/") && mp != "/") {
			continue
		}
		if !found || len(mp) > len(path.Clean(best.MountPath)) {
			best, rel, found = m, strings.TrimPrefix(r, "/"), true
		}
	}
	return best, rel, found
}

// files lists a volume's files by path relative to the volume's root.
func (v *volumeFS) files(vol corev1.Volume) (map[string]string, error) {
	switch {
	case vol.ConfigMap != nil:
		data, err := configMapData(v.ctx, v.reader, v.ns, vol.ConfigMap.Name, vol.ConfigMap.Optional)
		if err != nil {
			return nil, err
		}
		return keyFiles(data, vol.ConfigMap.Items, "ConfigMap "+vol.ConfigMap.Name)
	case vol.Secret != nil:
		data, err := secretData(v.ctx, v.reader, v.ns, vol.Secret.SecretName, vol.Secret.Optional)
		if err != nil {
			return nil, err
		}
		return keyFiles(data, vol.Secret.Items, "Secret "+vol.Secret.SecretName)
	}
	return nil, fmt.Errorf("volume %s: only configMap and secret volumes are supported by this kubelet", vol.Name)
}

// keyFiles lays out keys as files: every key under its own name, or only
// the listed items under their paths (a listed key that is missing is an
// error, as it fails the mount).
func keyFiles(data map[string]string, items []corev1.KeyToPath, source string) (map[string]string, error) {
	if len(items) == 0 {
		return data, nil
	}
	out := make(map[string]string, len(items))
	for _, it := range items {
		v, ok := data[it.Key]
		if !ok {
			if data == nil {
				continue // an optional source that does not exist
			}
			return nil, fmt.Errorf("%s has no key %q", source, it.Key)
		}
		out[path.Clean(it.Path)] = v
	}
	return out, nil
}
