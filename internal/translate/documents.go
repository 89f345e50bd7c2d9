package translate

import (
	"bytes"
	"encoding/json"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
	"github.com/envoygw/envoy-gateway/internal/bus"
	"github.com/envoygw/envoy-gateway/internal/gatewayapi"
	"github.com/envoygw/envoy-gateway/internal/ir"
	"github.com/envoygw/envoy-gateway/internal/parallel"
	"github.com/envoygw/envoy-gateway/internal/provider/file"
)

// objectList is how several objects print: a v1 List.
type objectList struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Items      []any  `json:"items"`
}

// gatewayAPIDocument returns the input objects, in input order, as the API
// server would return them (defaults applied) with the computed statuses.
func gatewayAPIDocument(parsed []*file.Parsed, result *gatewayapi.Result) (*objectList, error) {
	st := indexStatuses(result.Statuses)
	var objects []client.Object
	for _, p := range parsed {
		for _, o := range p.Objects {
			objects = append(objects, o.Object)
		}
	}
	items := make([]any, len(objects))
	errs := make([]error, len(objects))
	parallel.For(len(objects), 0, func(i int) { // the index is only read
		obj := objects[i].DeepCopyObject().(client.Object)
		st.apply(obj)
		u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
		if err != nil {
			errs[i] = err
			return
		}
		cleanObject(u)
		items[i] = u
	})
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return &objectList{APIVersion: "v1", Kind: "List", Items: items}, nil
}

// statusIndex holds the computed statuses by object key.
type statusIndex struct {
	classes  map[gatewayapi.ObjectKey]gwapiv1.GatewayClassStatus
	gateways map[gatewayapi.ObjectKey]gwapiv1.GatewayStatus
	sets     map[gatewayapi.ObjectKey]gwapiv1.ListenerSetStatus
	http     map[gatewayapi.ObjectKey][]gwapiv1.RouteParentStatus
	grpc     map[gatewayapi.ObjectKey][]gwapiv1.RouteParentStatus
	tls      map[gatewayapi.ObjectKey][]gwapiv1.RouteParentStatus
	tcp      map[gatewayapi.ObjectKey][]gwapiv1.RouteParentStatus
	proxies  map[gatewayapi.ObjectKey]egv1a1.EnvoyProxyStatus
}

func indexStatuses(s gatewayapi.Statuses) statusIndex {
	idx := statusIndex{
		classes:  map[gatewayapi.ObjectKey]gwapiv1.GatewayClassStatus{},
		gateways: map[gatewayapi.ObjectKey]gwapiv1.GatewayStatus{},
		sets:     map[gatewayapi.ObjectKey]gwapiv1.ListenerSetStatus{},
		http:     map[gatewayapi.ObjectKey][]gwapiv1.RouteParentStatus{},
		grpc:     map[gatewayapi.ObjectKey][]gwapiv1.RouteParentStatus{},
		tls:      map[gatewayapi.ObjectKey][]gwapiv1.RouteParentStatus{},
		tcp:      map[gatewayapi.ObjectKey][]gwapiv1.RouteParentStatus{},
		proxies:  map[gatewayapi.ObjectKey]egv1a1.EnvoyProxyStatus{},
	}
	for _, c := range s.GatewayClasses {
		idx.classes[c.ObjectKey] = c.Status
	}
	for _, g := range s.Gateways {
		idx.gateways[g.ObjectKey] = g.Status
	}
	for _, l := range s.ListenerSets {
		idx.sets[l.ObjectKey] = l.Status
	}
	for _, r := range s.HTTPRoutes {
		idx.http[r.ObjectKey] = r.Parents
	}
	for _, r := range s.GRPCRoutes {
		idx.grpc[r.ObjectKey] = r.Parents
	}
	for _, r := range s.TLSRoutes {
		idx.tls[r.ObjectKey] = r.Parents
	}
	for _, r := range s.TCPRoutes {
		idx.tcp[r.ObjectKey] = r.Parents
	}
	for _, p := range s.EnvoyProxies {
		idx.proxies[p.ObjectKey] = p.Status
	}
	return idx
}

// apply sets the computed status of obj, if there is one.
func (idx statusIndex) apply(obj client.Object) {
	key := gatewayapi.ObjectKey{Namespace: obj.GetNamespace(), Name: obj.GetName()}
	switch o := obj.(type) {
	case *gwapiv1.GatewayClass:
		if s, ok := idx.classes[key]; ok {
			o.Status = s
		}
	case *gwapiv1.Gateway:
		if s, ok := idx.gateways[key]; ok {
			o.Status = s
		}
	case *gwapiv1.ListenerSet:
		if s, ok := idx.sets[key]; ok {
			o.Status = s
		}
	case *gwapiv1.HTTPRoute:
		if s, ok := idx.http[key]; ok {
			o.Status.Parents = s
		}
	case *gwapiv1.GRPCRoute:
		if s, ok := idx.grpc[key]; ok {
			o.Status.Parents = s
		}
	case *gwapiv1.TLSRoute:
		if s, ok := idx.tls[key]; ok {
			o.Status.Parents = s
		}
	case *gwapiv1.TCPRoute:
		if s, ok := idx.tcp[key]; ok {
			o.Status.Parents = s
		}
	case *egv1a1.EnvoyProxy:
		if s, ok := idx.proxies[key]; ok {
			o.Status = s
		}
	case *corev1.Secret:
		if _, ok := o.Data[corev1.TLSPrivateKeyKey]; ok {
			o.Data[corev1.TLSPrivateKeyKey] = nil // replaced by Redacted in cleanObject
		}
	}
}

// cleanObject drops the empty creationTimestamp and status the Go types
// print and shows redacted private keys in clear.
func cleanObject(u map[string]any) {
	if meta, ok := u["metadata"].(map[string]any); ok && meta["creationTimestamp"] == nil {
		delete(meta, "creationTimestamp")
	}
	if empty(u["status"]) {
		delete(u, "status") // e.g. a Service's status.loadBalancer: {}
	}
	if data, ok := u["data"].(map[string]any); ok && u["kind"] == "Secret" {
		if _, ok := data[corev1.TLSPrivateKeyKey]; ok {
			data[corev1.TLSPrivateKeyKey] = Redacted
		}
	}
}

// empty reports whether v is nil or a map holding only empty maps.
func empty(v any) bool {
	switch t := v.(type) {
	case nil:
		return true
	case map[string]any:
		for _, child := range t {
			if !empty(child) {
				return false
			}
		}
		return true
	}
	return false
}

// irDocument returns each fleet's infra and xDS IR keyed by fleet name,
// with private keys redacted, and the entries of eps for the Services its
// clusters take their endpoints from ("endpoints").
func irDocument(result *gatewayapi.Result, eps *ir.Endpoints) map[string]any {
	out := map[string]any{}
	for _, f := range result.Fleets {
		b, _ := json.Marshal(fleetIR{Fleet: f, Endpoints: fleetEndpoints(f.Xds, eps)})
		var m map[string]any
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		_ = d.Decode(&m)
		delete(m, "name")
		redactKeys(m)
		out[f.Name] = m
	}
	return out
}

// fleetIR is how a fleet prints in the IR document.
type fleetIR struct {
	*bus.Fleet
	Endpoints *ir.Endpoints `json:"endpoints,omitempty"`
}

// fleetEndpoints is the part of eps a fleet's clusters use, nil when none.
func fleetEndpoints(x *ir.Xds, eps *ir.Endpoints) *ir.Endpoints {
	if x == nil || eps == nil {
		return nil
	}
	out := &ir.Endpoints{Services: map[string]*ir.ServiceEndpoints{}}
	for _, c := range x.Clusters {
		if c.EndpointSource == nil {
			continue
		}
		key := c.EndpointSource.ServiceKey()
		if se, ok := eps.Services[key]; ok {
			out.Services[key] = se
		}
	}
	if len(out.Services) == 0 {
		return nil
	}
	return out
}

// redactKeys replaces every "privateKey" value in a JSON tree.
func redactKeys(v any) {
	switch t := v.(type) {
	case map[string]any:
		for k, child := range t {
			if k == "privateKey" {
				t[k] = Redacted
				continue
			}
			redactKeys(child)
		}
	case []any:
		for _, child := range t {
			redactKeys(child)
		}
	}
}
