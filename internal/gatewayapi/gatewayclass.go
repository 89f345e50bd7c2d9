package gatewayapi

import (
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
)

// gatewayClassModel is one GatewayClass whose controllerName is ours.
type gatewayClassModel struct {
	obj *gwapiv1.GatewayClass
	// proxy is the EnvoyProxy named by parametersRef; nil means defaults.
	proxy *egv1a1.EnvoyProxy
	// err is why the class is not accepted (reason InvalidParameters); nil when accepted.
	err *gatewayClassError
}

// accepted reports whether Gateways of the class can be served.
func (c *gatewayClassModel) accepted() bool { return c.err == nil }

// processGatewayClasses builds the model of every class we serve and records
// the validity of each EnvoyProxy they reference.
func (t *translator) processGatewayClasses(classes []*gwapiv1.GatewayClass) {
	for _, gc := range classes {
		if gc == nil || string(gc.Spec.ControllerName) != t.controllerName || t.classes[gc.Name] != nil {
			continue
		}
		m := &gatewayClassModel{obj: gc}
		m.proxy, m.err = t.resolveParametersRef(gc.Spec.ParametersRef)
		t.classes[gc.Name] = m
		t.classOrder = append(t.classOrder, m)
	}
	sortBy(t.classOrder, func(a, b *gatewayClassModel) bool { return a.obj.Name < b.obj.Name })
}

// resolveParametersRef finds and validates the EnvoyProxy a class refers to.
func (t *translator) resolveParametersRef(ref *gwapiv1.ParametersReference) (*egv1a1.EnvoyProxy, *gatewayClassError) {
	if ref == nil {
		return nil, nil
	}
	const invalid = gwapiv1.GatewayClassReasonInvalidParameters
	if string(ref.Group) != egv1a1.GroupVersion.Group || string(ref.Kind) != egv1a1.KindEnvoyProxy {
		return nil, errorf(invalid, "parametersRef must refer to %s/%s, not %s/%s",
			egv1a1.GroupVersion.Group, egv1a1.KindEnvoyProxy, ref.Group, ref.Kind)
	}
	if ref.Namespace == nil || *ref.Namespace == "" {
		return nil, errorf(invalid, "parametersRef to EnvoyProxy %q must set a namespace", ref.Name)
	}
	key := keyOf(string(*ref.Namespace), ref.Name)
	ep := t.idx.envoyProxies[key]
	if ep == nil {
		return nil, errorf(invalid, "EnvoyProxy %s not found", key)
	}
	err := t.envoyProxyError(ep)
	if err != nil {
		return nil, errorf(invalid, "EnvoyProxy %s is invalid: %s", key, err.msg)
	}
	return ep, nil
}
