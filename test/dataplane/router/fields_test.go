package router

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/anypb"
)

// rootDescriptor is the RouteConfiguration message.
var rootDescriptor = (&routev3.RouteConfiguration{}).ProtoReflect().Descriptor()

// step is one field on the way from the root to a message type.
type step struct{ fd protoreflect.FieldDescriptor }

// reachableThroughImplemented returns every message type reachable from
// RouteConfiguration through implemented fields, each with one path of
// implemented fields leading to it (breadth first, so the shortest).
func reachableThroughImplemented() map[protoreflect.FullName][]step {
	paths := map[protoreflect.FullName][]step{rootDescriptor.FullName(): nil}
	queue := []protoreflect.MessageDescriptor{rootDescriptor}
	for len(queue) > 0 {
		md := queue[0]
		queue = queue[1:]
		fields := md.Fields()
		for i := range fields.Len() {
			fd := fields.Get(i)
			// A map (typed_per_filter_config) holds Anys that
			// CompileOptions.PerFilterConfig checks, not this table.
			if !implemented[fd.FullName()] || fd.Message() == nil || fd.IsMap() {
				continue
			}
			if _, seen := paths[fd.Message().FullName()]; seen {
				continue
			}
			paths[fd.Message().FullName()] = append(slices.Clone(paths[md.FullName()]), step{fd})
			queue = append(queue, fd.Message())
		}
	}
	return paths
}

// perFilterConfigs are the typed configs of Route.typed_per_filter_config
// the router compiles (cors_test.go checks their fields).
var perFilterConfigs = map[protoreflect.FullName]bool{"envoy.extensions.filters.http.cors.v3.CorsPolicy": true}

// Every entry of ImplementedFields names a field of this API version that
// is reachable from RouteConfiguration through implemented fields, and
// appears once.
func TestImplementedFieldsExist(t *testing.T) {
	reachable := reachableThroughImplemented()
	seen := map[string]bool{}
	for _, name := range ImplementedFields {
		if seen[name] {
			t.Errorf("%s listed twice", name)
		}
		seen[name] = true
		d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		fd, ok := d.(protoreflect.FieldDescriptor)
		if !ok {
			t.Errorf("%s is not a field", name)
			continue
		}
		if _, ok := reachable[fd.ContainingMessage().FullName()]; !ok && !perFilterConfigs[fd.ContainingMessage().FullName()] {
			t.Errorf("%s: its message is not reachable through implemented fields", name)
		}
	}
}

// Every field that is not implemented, set anywhere it can appear in a
// route configuration, makes Compile fail with that field's path. The
// test builds, for each message type reachable through implemented fields
// and each of its fields outside ImplementedFields, a configuration with
// only that field set at the end of a path of implemented fields.
func TestUnimplementedFieldsRejected(t *testing.T) {
	rejected := 0
	for name, path := range reachableThroughImplemented() {
		md := rootDescriptor
		if len(path) > 0 {
			md = path[len(path)-1].fd.Message()
		}
		fields := md.Fields()
		for i := range fields.Len() {
			fd := fields.Get(i)
			if implemented[fd.FullName()] {
				continue
			}
			rc := &routev3.RouteConfiguration{}
			leaf, at := descend(rc.ProtoReflect(), path)
			setSomething(leaf, fd)
			want := joinPath(at, string(fd.Name())) + ": not implemented by the test data plane"
			_, err := Compile(rc)
			if err == nil || err.Error() != want {
				t.Errorf("%s.%s: got %v, want %q", name, fd.Name(), err, want)
			}
			rejected++
		}
	}
	if rejected < 50 {
		t.Errorf("only %d unimplemented fields checked; the reachable set looks wrong", rejected)
	}
	t.Logf("%d unimplemented fields rejected", rejected)
}

// descend creates the messages along path under m and returns the last one
// with its path string.
func descend(m protoreflect.Message, path []step) (protoreflect.Message, string) {
	at := ""
	for _, s := range path {
		name := string(s.fd.Name())
		if s.fd.IsList() {
			m = m.Mutable(s.fd).List().AppendMutable().Message()
			at = joinPath(at, name) + "[0]"
		} else {
			m = m.Mutable(s.fd).Message()
			at = joinPath(at, name)
		}
	}
	return m, at
}

// setSomething gives fd a non-default value in m.
func setSomething(m protoreflect.Message, fd protoreflect.FieldDescriptor) {
	switch {
	case fd.IsMap():
		mp := m.Mutable(fd).Map()
		key := scalarValue(fd.MapKey()).MapKey()
		if fd.MapValue().Message() != nil {
			mp.Mutable(key)
		} else {
			mp.Set(key, scalarValue(fd.MapValue()))
		}
	case fd.IsList():
		l := m.Mutable(fd).List()
		if fd.Message() != nil {
			l.AppendMutable()
		} else {
			l.Append(scalarValue(fd))
		}
	case fd.Message() != nil:
		m.Mutable(fd)
	default:
		m.Set(fd, scalarValue(fd))
	}
}

func scalarValue(fd protoreflect.FieldDescriptor) protoreflect.Value {
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return protoreflect.ValueOfBool(true)
	case protoreflect.EnumKind:
		return protoreflect.ValueOfEnum(fd.Enum().Values().Get(fd.Enum().Values().Len() - 1).Number())
	case protoreflect.StringKind:
		return protoreflect.ValueOfString("x")
	case protoreflect.BytesKind:
		return protoreflect.ValueOfBytes([]byte("x"))
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return protoreflect.ValueOfInt32(1)
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return protoreflect.ValueOfInt64(1)
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return protoreflect.ValueOfUint32(1)
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return protoreflect.ValueOfUint64(1)
	case protoreflect.FloatKind:
		return protoreflect.ValueOfFloat32(1)
	case protoreflect.DoubleKind:
		return protoreflect.ValueOfFloat64(1)
	}
	panic(fmt.Sprintf("unhandled kind %v", fd.Kind()))
}

// A field unknown to this API version (sent by a newer control plane) is
// rejected too.
func TestUnknownFieldsRejected(t *testing.T) {
	rc := parseRC(t, `
name: rc
virtualHosts: [{name: d, domains: ["*"], routes: [{match: {prefix: /}, route: {cluster: c}}]}]`)
	route := rc.GetVirtualHosts()[0].GetRoutes()[0].GetRoute()
	route.ProtoReflect().SetUnknown(protowire.AppendVarint(protowire.AppendTag(nil, 9999, protowire.VarintType), 1))
	_, err := Compile(rc)
	want := "virtual_hosts[0].routes[0].route: unknown fields (newer API version?) are not implemented by the test data plane"
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
}

// kitchenSink sets every implemented field (oneof alternatives in
// separate routes) in a configuration Envoy accepts.
const kitchenSink = `
name: sink
validateClusters: false
ignorePortInHostMatching: true
ignorePathParametersInPathMatching: true
mostSpecificHeaderMutationsWins: true
maxDirectResponseBodySizeBytes: 100
requestHeadersToAdd: [{header: {key: x-a, value: a}, append: true, keepEmptyValue: true}]
requestHeadersToRemove: [x-b]
responseHeadersToAdd: [{header: {key: x-a, value: a}, appendAction: ADD_IF_ABSENT}]
responseHeadersToRemove: [x-b]
requestMirrorPolicies: [{cluster: m, runtimeFraction: {defaultValue: {numerator: 1, denominator: MILLION}, runtimeKey: k},
  disableShadowHostSuffixAppend: true}]
virtualHosts:
- name: v
  domains: ["*"]
  requestHeadersToAdd: [{header: {key: x-a, value: a}}]
  requestHeadersToRemove: [x-b]
  responseHeadersToAdd: [{header: {key: x-a, value: a}}]
  responseHeadersToRemove: [x-b]
  retryPolicy: {retryOn: "5xx,retriable-status-codes", numRetries: 2, perTryTimeout: 1.5s, retriableStatusCodes: [409], retryBackOff: {baseInterval: 0.05s, maxInterval: 1s}}
  requestMirrorPolicies: [{cluster: m}]
  routes:
  - name: r1
    match:
      prefix: /
      caseSensitive: false
      runtimeFraction: {defaultValue: {numerator: 1}}
      headers:
      - {name: h1, exactMatch: a}
      - {name: h2, safeRegexMatch: {regex: a}}
      - {name: h3, rangeMatch: {start: "1", end: "2"}}
      - {name: h4, presentMatch: true}
      - {name: h5, prefixMatch: a}
      - {name: h6, suffixMatch: a}
      - {name: h7, containsMatch: a, invertMatch: true, treatMissingHeaderAsEmpty: true}
      - {name: h8, stringMatch: {exact: a, ignoreCase: true}}
      - {name: h9, stringMatch: {prefix: a}}
      - {name: h10, stringMatch: {suffix: a}}
      - {name: h11, stringMatch: {safeRegex: {regex: a}}}
      - {name: h12, stringMatch: {contains: a}}
      queryParameters:
      - {name: q1, stringMatch: {exact: a}}
      - {name: q2, presentMatch: true}
    route:
      cluster: c
      clusterNotFoundResponseCode: NOT_FOUND
      prefixRewrite: /p
      hostRewriteLiteral: h
      appendXForwardedHost: true
      timeout: 1s
      retryPolicy: {retryOn: reset}
      requestMirrorPolicies: [{cluster: m}]
      rateLimits:
      - actions:
        - genericKey: {descriptorKey: k, descriptorValue: v}
        - requestHeaders: {headerName: x-u, descriptorKey: u, skipIfAbsent: true}
        - remoteAddress: {}
        - maskedRemoteAddress: {v4PrefixMaskLen: 8, v6PrefixMaskLen: 64}
        - headerValueMatch: {descriptorKey: p, descriptorValue: free, expectMatch: false, headers: [{name: x-p, stringMatch: {exact: f}}]}
    requestHeadersToAdd: [{header: {key: x-a, value: a}}]
    requestHeadersToRemove: [x-b]
    responseHeadersToAdd: [{header: {key: x-a, value: a}}]
    responseHeadersToRemove: [x-b]
    typedPerFilterConfig:
      envoy.filters.http.local_ratelimit:
        '@type': type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit
        statPrefix: s
  - name: r2
    match: {path: /p}
    route:
      weightedClusters:
        totalWeight: 3
        clusters:
        - {name: a, weight: 1, hostRewriteLiteral: h, requestHeadersToAdd: [{header: {key: x-a, value: a}}],
           requestHeadersToRemove: [x-b], responseHeadersToAdd: [{header: {key: x-a, value: a}}], responseHeadersToRemove: [x-b]}
        - {name: b, weight: 2}
      regexRewrite: {pattern: {regex: a}, substitution: b}
  - name: r3
    match: {safeRegex: {regex: /r}}
    redirect: {httpsRedirect: true, hostRedirect: h, portRedirect: 1, pathRedirect: /x, responseCode: FOUND, stripQuery: true}
  - name: r4
    match: {pathSeparatedPrefix: /s}
    redirect: {schemeRedirect: https, prefixRewrite: /y}
  - name: r5
    match: {prefix: /t}
    redirect: {regexRewrite: {pattern: {regex: a}, substitution: b}}
  - name: r6
    match: {prefix: /u}
    directResponse: {status: 200, body: {inlineString: s}}
    typedPerFilterConfig:
      envoy.filters.http.cors:
        '@type': type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy
        allowOriginStringMatch: [{exact: a}]
        allowMethods: GET
        allowHeaders: x-a
        exposeHeaders: x-b
        maxAge: "1"
        allowCredentials: true
        forwardNotMatchingPreflights: false
  - name: r7
    match: {prefix: /v}
    directResponse: {status: 200, body: {inlineBytes: YQ==}}
`

// ImplementedFields and Compile agree: a configuration setting every
// implemented field compiles, and the fields it sets are exactly
// ImplementedFields (so the list has no entry Compile does not exercise
// and this test covers every entry).
func TestImplementedFieldsAgreeWithCompile(t *testing.T) {
	rc := parseRC(t, kitchenSink)
	var perFilter []string
	opts := CompileOptions{PerFilterConfig: func(name string, _ *anypb.Any, path string) (any, error) {
		perFilter = append(perFilter, path)
		return name, nil
	}}
	if _, err := CompileWith(rc, opts); err != nil {
		t.Fatalf("Compile: %v", err)
	}
	want := `virtual_hosts[0].routes[0].typed_per_filter_config["envoy.filters.http.local_ratelimit"]`
	if !slices.Equal(perFilter, []string{want}) {
		t.Errorf("PerFilterConfig called for %q, want %q", perFilter, want)
	}
	set := map[string]bool{}
	collectSetFields(rc.ProtoReflect(), set)
	for _, f := range ImplementedFields {
		if !set[f] {
			t.Errorf("%s is implemented but the kitchen sink does not set it", f)
		}
		delete(set, f)
	}
	for f := range set {
		t.Errorf("%s is set but not in ImplementedFields (Compile should have rejected it)", f)
	}
}

func collectSetFields(m protoreflect.Message, out map[string]bool) {
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		out[string(fd.FullName())] = true
		switch {
		case fd.IsList() && fd.Message() != nil:
			for i := range v.List().Len() {
				collectSetFields(v.List().Get(i).Message(), out)
			}
		case fd.IsMap() && fd.MapValue().Message() != nil:
			v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
				// typed_per_filter_config: the router compiles the CORS
				// filter's policy itself; other filters' configurations
				// go to CompileOptions.PerFilterConfig (not this table).
				if fd.Name() == "typed_per_filter_config" && k.String() != CORSFilterName {
					return true
				}
				collectSetFields(unpackAny(mv.Message()), out)
				return true
			})
		case !fd.IsList() && !fd.IsMap() && fd.Message() != nil:
			collectSetFields(v.Message(), out)
		}
		return true
	})
}

// unpackAny returns the message packed in an Any, or m itself.
func unpackAny(m protoreflect.Message) protoreflect.Message {
	a, ok := m.Interface().(*anypb.Any)
	if !ok {
		return m
	}
	inner, err := a.UnmarshalNew()
	if err != nil {
		return m
	}
	return inner.ProtoReflect()
}

// Compile never panics on a structurally odd message: nil input and typed
// nil oneof values are errors.
func TestCompileOddInputs(t *testing.T) {
	if _, err := Compile(nil); err == nil {
		t.Error("nil: no error")
	}
	rc := parseRC(t, `
name: rc
virtualHosts: [{name: d, domains: ["*"], routes: [{match: {prefix: /}, route: {cluster: c}}]}]`)
	rc.VirtualHosts[0].Routes[0].Action = (*routev3.Route_Route)(nil)
	if _, err := Compile(proto.Clone(rc).(*routev3.RouteConfiguration)); err == nil ||
		!strings.Contains(err.Error(), "virtual_hosts[0].routes[0]") {
		t.Errorf("typed nil action: %v", err)
	}
}
