package cluster

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// expand replaces $(NAME) references in s with vars[NAME], as the kubelet
// expands env values, command and args: "$$" is a literal "$" (so
// "$$(NAME)" stays "$(NAME)"), and a reference to an undefined variable, or
// one without its closing parenthesis, is left as written.
func expand(s string, vars map[string]string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
		case '(':
			end := strings.IndexByte(s[i+2:], ')')
			if end < 0 {
				b.WriteString(s[i:])
				return b.String()
			}
			name := s[i+2 : i+2+end]
			if v, ok := vars[name]; ok {
				b.WriteString(v)
			} else {
				b.WriteString(s[i : i+3+end])
			}
			i += 2 + end
		default:
			b.WriteByte('$')
		}
	}
	return b.String()
}

// expandAll expands every string of in.
func expandAll(in []string, vars map[string]string) []string {
	if in == nil {
		return nil
	}
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = expand(s, vars)
	}
	return out
}

// podRuntimeInfo is what the downward API reads beyond the Pod object: the
// addresses the kubelet has given it.
type podRuntimeInfo struct {
	podIP  netip.Addr
	hostIP netip.Addr
}

// containerEnv resolves a container's environment as the kubelet does:
// envFrom sources in order, then env entries, each value expanded with the
// variables defined before it; env entries win over envFrom.
func containerEnv(ctx context.Context, r client.Reader, pod *corev1.Pod, c *corev1.Container,
	info podRuntimeInfo) (map[string]string, error) {
	vars := map[string]string{}
	for i, src := range c.EnvFrom {
		if err := addEnvFrom(ctx, r, pod.Namespace, src, vars); err != nil {
			return nil, fmt.Errorf("container %s envFrom[%d]: %w", c.Name, i, err)
		}
	}
	for i, e := range c.Env {
		if e.ValueFrom == nil {
			vars[e.Name] = expand(e.Value, vars)
			continue
		}
		v, ok, err := envValueFrom(ctx, r, pod, e.ValueFrom, info)
		if err != nil {
			return nil, fmt.Errorf("container %s env[%d] (%s): %w", c.Name, i, e.Name, err)
		}
		if ok {
			vars[e.Name] = v
		}
	}
	return vars, nil
}

// addEnvFrom adds every key of a ConfigMap or Secret, with the prefix.
func addEnvFrom(ctx context.Context, r client.Reader, ns string, src corev1.EnvFromSource,
	vars map[string]string) error {
	var data map[string]string
	var err error
	switch {
	case src.ConfigMapRef != nil:
		data, err = configMapData(ctx, r, ns, src.ConfigMapRef.Name, src.ConfigMapRef.Optional)
	case src.SecretRef != nil:
		data, err = secretData(ctx, r, ns, src.SecretRef.Name, src.SecretRef.Optional)
	default:
		return fmt.Errorf("neither configMapRef nor secretRef is set")
	}
	if err != nil {
		return err
	}
	for k, v := range data {
		vars[src.Prefix+k] = v
	}
	return nil
}

// envValueFrom resolves one valueFrom; ok is false for a missing optional key.
func envValueFrom(ctx context.Context, r client.Reader, pod *corev1.Pod, src *corev1.EnvVarSource,
	info podRuntimeInfo) (v string, ok bool, err error) {
	switch {
	case src.FieldRef != nil:
		v, err = podField(pod, src.FieldRef.FieldPath, info)
		return v, err == nil, err
	case src.ConfigMapKeyRef != nil:
		ref := src.ConfigMapKeyRef
		data, err := configMapData(ctx, r, pod.Namespace, ref.Name, ref.Optional)
		return keyValue(data, err, "ConfigMap", ref.Name, ref.Key, ref.Optional)
	case src.SecretKeyRef != nil:
		ref := src.SecretKeyRef
		data, err := secretData(ctx, r, pod.Namespace, ref.Name, ref.Optional)
		return keyValue(data, err, "Secret", ref.Name, ref.Key, ref.Optional)
	case src.ResourceFieldRef != nil:
		return "", false, fmt.Errorf("resourceFieldRef %s is not supported by this kubelet", src.ResourceFieldRef.Resource)
	}
	return "", false, fmt.Errorf("valueFrom sets no source")
}

// keyValue picks key from data, honouring optional.
func keyValue(data map[string]string, err error, kind, name, key string, optional *bool) (string, bool, error) {
	if err != nil {
		return "", false, err
	}
	v, found := data[key]
	if !found && (optional == nil || !*optional) {
		return "", false, fmt.Errorf("%s %s has no key %q", kind, name, key)
	}
	return v, found, nil
}

// podField reads a downward API field path.
func podField(pod *corev1.Pod, path string, info podRuntimeInfo) (string, error) {
	if key, ok := bracketKey(path, "metadata.labels"); ok {
		return pod.Labels[key], nil
	}
	if key, ok := bracketKey(path, "metadata.annotations"); ok {
		return pod.Annotations[key], nil
	}
	switch path {
	case "metadata.name":
		return pod.Name, nil
	case "metadata.namespace":
		return pod.Namespace, nil
	case "metadata.uid":
		return string(pod.UID), nil
	case "spec.nodeName":
		return pod.Spec.NodeName, nil
	case "spec.serviceAccountName":
		return pod.Spec.ServiceAccountName, nil
	case "status.podIP", "status.podIPs":
		return addrString(info.podIP), nil
	case "status.hostIP", "status.hostIPs":
		return addrString(info.hostIP), nil
	}
	return "", fmt.Errorf("fieldRef %q is not a supported downward API field", path)
}

func addrString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// bracketKey parses prefix['key'].
func bracketKey(path, prefix string) (string, bool) {
	rest, ok := strings.CutPrefix(path, prefix+"['")
	if !ok {
		return "", false
	}
	return strings.CutSuffix(rest, "']")
}

// configMapData returns a ConfigMap's data and binaryData, or nil for a
// missing optional one.
func configMapData(ctx context.Context, r client.Reader, ns, name string, optional *bool) (map[string]string, error) {
	var cm corev1.ConfigMap
	if err := r.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &cm); err != nil {
		return missing(err, "ConfigMap", ns, name, optional)
	}
	out := make(map[string]string, len(cm.Data)+len(cm.BinaryData))
	maps.Copy(out, cm.Data)
	for k, v := range cm.BinaryData {
		out[k] = string(v)
	}
	return out, nil
}

// secretData returns a Secret's data, or nil for a missing optional one.
func secretData(ctx context.Context, r client.Reader, ns, name string, optional *bool) (map[string]string, error) {
	var s corev1.Secret
	if err := r.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &s); err != nil {
		return missing(err, "Secret", ns, name, optional)
	}
	out := make(map[string]string, len(s.Data))
	for k, v := range s.Data {
		out[k] = string(v)
	}
	return out, nil
}

// missing turns a Get error into nil data for a missing optional object.
func missing(err error, kind, ns, name string, optional *bool) (map[string]string, error) {
	if apierrors.IsNotFound(err) && optional != nil && *optional {
		return nil, nil
	}
	return nil, fmt.Errorf("reading %s %s/%s: %w", kind, ns, name, err)
}
