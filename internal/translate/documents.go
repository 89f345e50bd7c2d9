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
	classes  map[gatewayapi.ObjectKey]gatewayapi.GatewayClassStatus
	gateways map[gatewayapi.ObjectKey]gatewayapi.GatewayStatus
	sets     map[gatewayapi.ObjectKey]gatewayapi.ListenerSetStatus
	// routes are the route statuses by kind ("HTTPRoute") and key.
	routes  map[string]map[gatewayapi.ObjectKey]gatewayapi.RouteStatus
	proxies map[gatewayapi.ObjectKey]gatewayapi.EnvoyProxyStatus
}

func indexStatuses(s gatewayapi.Statuses) statusIndex {
	return statusIndex{
		classes:  byKey(s.GatewayClasses),
		gateways: byKey(s.Gateways),
		sets:     byKey(s.ListenerSets),
		routes: map[string]map[gatewayapi.ObjectKey]gatewayapi.RouteStatus{
			"HTTPRoute": byKey(s.HTTPRoutes.Slice()),
			"GRPCRoute": byKey(s.GRPCRoutes.Slice()),
			"TLSRoute":  byKey(s.TLSRoutes.Slice()),
			"TCPRoute":  byKey(s.TCPRoutes.Slice()),
		},
		proxies: byKey(s.EnvoyProxies),
	}
}

// byKey maps each status to its object's key.
func byKey[S gatewayapi.KeyedStatus](statuses []S) map[gatewayapi.ObjectKey]S {
	m := make(map[gatewayapi.ObjectKey]S, len(statuses))
	for _, st := range statuses {
		m[st.Key()] = st
	}
	return m
}

// apply sets the computed status of obj, if there is one.
func (idx statusIndex) apply(obj client.Object) {
	key := gatewayapi.ObjectKey{Namespace: obj.GetNamespace(), Name: obj.GetName()}
	switch o := obj.(type) {
	case *gwapiv1.GatewayClass:
		if s, ok := idx.classes[key]; ok {
			o.Status = s.Status
		}
	case *gwapiv1.Gateway:
		if s, ok := idx.gateways[key]; ok {
			o.Status = s.Status
		}
	case *gwapiv1.ListenerSet:
		if s, ok := idx.sets[key]; ok {
			o.Status = s.Status
		}
	case *gwapiv1.HTTPRoute:
		idx.setParents("HTTPRoute", key, &o.Status.Parents)
	case *gwapiv1.GRPCRoute:
		idx.setParents("GRPCRoute", key, &o.Status.Parents)
	case *gwapiv1.TLSRoute:
		idx.setParents("TLSRoute", key, &o.Status.Parents)
	case *gwapiv1.TCPRoute:
		idx.setParents("TCPRoute", key, &o.Status.Parents)
	case *egv1a1.EnvoyProxy:
		if s, ok := idx.proxies[key]; ok {
			o.Status = s.Status
		}
	case *corev1.Secret:
		if _, ok := o.Data[corev1.TLSPrivateKeyKey]; ok {
			o.Data[corev1.TLSPrivateKeyKey] = nil // replaced by Redacted in cleanObject
		}
	}
}

// setParents sets *parents to the computed parents of the route of kind
// with key, if it has a status.
func (idx statusIndex) setParents(kind string, key gatewayapi.ObjectKey, parents *[]gwapiv1.RouteParentStatus) {
	if s, ok := idx.routes[kind][key]; ok {
		*parents = s.Parents
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
