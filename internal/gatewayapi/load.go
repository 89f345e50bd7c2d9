package gatewayapi

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
)

// document is one YAML document of a stream with its type.
type document struct {
	index int
	meta  metav1.TypeMeta
	raw   []byte
}

// readDocuments splits a YAML stream into its non-empty documents.
func readDocuments(r io.Reader) ([]document, error) {
	reader := utilyaml.NewYAMLReader(bufio.NewReader(r))
	var docs []document
	for i := 0; ; i++ {
		raw, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if len(bytes.TrimSpace(raw)) == 0 {
			continue
		}
		var meta metav1.TypeMeta
		if err := yaml.Unmarshal(raw, &meta); err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if meta.APIVersion == "" && meta.Kind == "" && isEmptyDocument(raw) {
			continue
		}
		docs = append(docs, document{index: i, meta: meta, raw: raw})
	}
}

// isEmptyDocument reports whether a document holds only comments or null.
func isEmptyDocument(raw []byte) bool {
	var v any
	return yaml.Unmarshal(raw, &v) == nil && v == nil
}

// LoadResources decodes a YAML stream of Kubernetes objects into Resources.
// It accepts GatewayClass, Gateway, ListenerSet, HTTPRoute, GRPCRoute, TLSRoute,
// TCPRoute, BackendTLSPolicy and
// ReferenceGrant (gateway.networking.k8s.io/v1 or v1beta1 where it exists), Namespace,
// Service, Secret and ConfigMap (v1), EndpointSlice (discovery.k8s.io/v1), EnvoyProxy and
// RateLimitFilter (gateway.envoyproxy.io/v1alpha1). Unknown kinds and unknown fields are
// errors. A Secret's stringData is merged into data, as the API server does.
// No other defaults are applied: Translate handles unset fields.
func LoadResources(r io.Reader) (*Resources, error) {
	docs, err := readDocuments(r)
	if err != nil {
		return nil, err
	}
	res := &Resources{}
	for _, d := range docs {
		if err := res.add(d); err != nil {
			return nil, fmt.Errorf("document %d (%s %s): %w", d.index, d.meta.APIVersion, d.meta.Kind, err)
		}
	}
	return res, nil
}

// decodeInto strictly decodes a document and appends it to a list.
func decodeInto[T any](raw []byte, list *[]*T) error {
	obj := new(T)
	if err := yaml.UnmarshalStrict(raw, obj); err != nil {
		return err
	}
	*list = append(*list, obj)
	return nil
}

// add decodes one document into the matching list of res.
func (res *Resources) add(d document) error {
	gw := d.meta.APIVersion == gwapiv1.GroupVersion.String() || d.meta.APIVersion == gwapiv1.GroupName+"/v1beta1"
	switch {
	case gw && d.meta.Kind == "GatewayClass":
		return decodeInto(d.raw, &res.GatewayClasses)
	case gw && d.meta.Kind == kindGateway:
		return decodeInto(d.raw, &res.Gateways)
	case d.meta.APIVersion == gwapiv1.GroupVersion.String() && d.meta.Kind == kindListenerSet:
		return decodeInto(d.raw, &res.ListenerSets)
	case gw && d.meta.Kind == kindHTTPRoute:
		return decodeInto(d.raw, &res.HTTPRoutes)
	case d.meta.APIVersion == gwapiv1.GroupVersion.String() && d.meta.Kind == kindGRPCRoute:
		return decodeInto(d.raw, &res.GRPCRoutes)
	case gw && d.meta.Kind == "ReferenceGrant":
		return decodeInto(d.raw, &res.ReferenceGrants)
	case d.meta.APIVersion == gwapiv1.GroupVersion.String() && d.meta.Kind == kindTLSRoute:
		return decodeInto(d.raw, &res.TLSRoutes)
	case d.meta.APIVersion == gwapiv1.GroupVersion.String() && d.meta.Kind == kindTCPRoute:
		return decodeInto(d.raw, &res.TCPRoutes)
	case d.meta.APIVersion == "v1":
		return res.addCore(d)
	case d.meta.APIVersion == gwapiv1.GroupVersion.String() && d.meta.Kind == kindBackendTLSPolicy:
		return decodeInto(d.raw, &res.BackendTLSPolicies)
	case d.meta.APIVersion == discoveryv1.SchemeGroupVersion.String() && d.meta.Kind == "EndpointSlice":
		return decodeInto(d.raw, &res.EndpointSlices)
	case d.meta.APIVersion == egv1a1.GroupVersion.String() && d.meta.Kind == egv1a1.KindEnvoyProxy:
		return decodeInto(d.raw, &res.EnvoyProxies)
	case d.meta.APIVersion == egv1a1.GroupVersion.String() && d.meta.Kind == egv1a1.KindRateLimitFilter:
		return decodeInto(d.raw, &res.RateLimitFilters)
	}
	return errors.New("unsupported kind")
}

// addCore decodes one document of a core (v1) kind into the matching list.
func (res *Resources) addCore(d document) error {
	switch d.meta.Kind {
	case "Namespace":
		return decodeInto(d.raw, &res.Namespaces)
	case kindService:
		return decodeInto(d.raw, &res.Services)
	case kindSecret:
		return res.addSecret(d.raw)
	case kindConfigMap:
		return decodeInto(d.raw, &res.ConfigMaps)
	}
	return errors.New("unsupported kind")
}

// addSecret decodes a Secret and merges stringData into data.
func (res *Resources) addSecret(raw []byte) error {
	s := &corev1.Secret{}
	if err := yaml.UnmarshalStrict(raw, s); err != nil {
		return err
	}
	if len(s.StringData) > 0 {
		data := make(map[string][]byte, len(s.Data)+len(s.StringData))
		maps.Copy(data, s.Data)
		for k, v := range s.StringData {
			data[k] = []byte(v)
		}
		s.Data, s.StringData = data, nil
	}
	res.Secrets = append(res.Secrets, s)
	return nil
}
