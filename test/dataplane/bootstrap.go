package dataplane

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	yaml "go.yaml.in/yaml/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/envoygw/envoy-gateway/test/dataplane/strict"
)

// Envoy's version this data plane follows, sent in the node's
// user_agent_build_version.
const (
	envoyMajor = 1
	envoyMinor = 40
)

// loadBootstrap reads the bootstrap as Envoy does: the --config-path file
// (JSON for a .json name, else YAML), with --config-yaml merged over it;
// unknown fields are errors; then the node flags apply. The result has
// passed package strict and the protoc-gen-validate rules.
func loadBootstrap(cl *commandLine, read func(string) ([]byte, error)) (*bootstrapv3.Bootstrap, error) {
	b := &bootstrapv3.Bootstrap{}
	if cl.configPath != "" {
		data, err := read(cl.configPath)
		if err != nil {
			return nil, fmt.Errorf("reading the bootstrap: %w", err)
		}
		if err := unmarshalBootstrap(data, strings.HasSuffix(cl.configPath, ".json"), b); err != nil {
			return nil, fmt.Errorf("bootstrap %s: %w", cl.configPath, err)
		}
	}
	if cl.configYAML != "" {
		overlay := &bootstrapv3.Bootstrap{}
		if err := unmarshalBootstrap([]byte(cl.configYAML), false, overlay); err != nil {
			return nil, fmt.Errorf("--config-yaml: %w", err)
		}
		proto.Merge(b, overlay)
	}
	if b.Node == nil {
		b.Node = &corev3.Node{}
	}
	if cl.serviceNode != "" {
		b.Node.Id = cl.serviceNode
	}
	if cl.serviceCluster != "" {
		b.Node.Cluster = cl.serviceCluster
	}
	if err := strict.Check(b); err != nil {
		return nil, fmt.Errorf("bootstrap: %w", err)
	}
	if err := strict.Validate(b); err != nil {
		return nil, fmt.Errorf("bootstrap: %w", err)
	}
	if b.GetDynamicResources() != nil && (b.Node.GetId() == "" || b.Node.GetCluster() == "") {
		return nil, errors.New("ads: node 'id' and 'cluster' are required. Set it either in 'node' config or via " +
			"--service-node and --service-cluster options")
	}
	return b, nil
}

func unmarshalBootstrap(data []byte, isJSON bool, b *bootstrapv3.Bootstrap) error {
	js := data
	if !isJSON {
		var err error
		if js, err = yamlToJSON(data); err != nil {
			return fmt.Errorf("invalid YAML: %w", err)
		}
	}
	return protojson.UnmarshalOptions{DiscardUnknown: false}.Unmarshal(js, b)
}

// yamlToJSON converts YAML to JSON with YAML 1.2's core schema, as Envoy's
// yaml-cpp loader does: only true and false are booleans ("n", "yes" and
// "on" are strings, unlike YAML 1.1).
func yamlToJSON(data []byte) ([]byte, error) {
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		return nil, err
	}
	if v == nil {
		v = map[string]any{}
	}
	return json.Marshal(v)
}

// xdsNode is the node the data plane presents: the bootstrap's id and
// cluster, user_agent_name "envoy" (our xDS server serves Envoys by it)
// and Envoy's version.
func xdsNode(b *bootstrapv3.Bootstrap) *corev3.Node {
	return &corev3.Node{
		Id:            b.GetNode().GetId(),
		Cluster:       b.GetNode().GetCluster(),
		UserAgentName: "envoy",
		UserAgentVersionType: &corev3.Node_UserAgentBuildVersion{UserAgentBuildVersion: &corev3.BuildVersion{
			Version: &typev3.SemanticVersion{MajorNumber: envoyMajor, MinorNumber: envoyMinor},
		}},
	}
}
