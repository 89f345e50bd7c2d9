package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
)

// decodeStrict decodes YAML into cfg, rejecting unknown fields and wrong types
// with errors that name the field path.
func decodeStrict(data []byte, cfg *egv1a1.EnvoyGateway) error {
	jsonData, err := yaml.YAMLToJSON(data)
	if err != nil {
		return fmt.Errorf("invalid YAML: %w", err)
	}
	if len(bytes.TrimSpace(jsonData)) == 0 || string(bytes.TrimSpace(jsonData)) == "null" {
		return errors.New("the file is empty: it must be an EnvoyGateway document")
	}
	var generic any
	if err := json.Unmarshal(jsonData, &generic); err != nil {
		return fmt.Errorf("invalid document: %w", err)
	}
	obj, ok := generic.(map[string]any)
	if !ok {
		return errors.New("the document must be a mapping")
	}
	if err := checkTypeMeta(obj); err != nil {
		return err
	}
	if err := checkKnownFields(obj, reflect.TypeFor[egv1a1.EnvoyGateway](), ""); err != nil {
		return err
	}
	if err := json.Unmarshal(jsonData, cfg); err != nil {
		if typeErr, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
			return fmt.Errorf("%s: invalid type: got %s, want %s", typeErr.Field, typeErr.Value, describeType(typeErr.Type))
		}
		return fmt.Errorf("invalid document: %w", err)
	}
	return nil
}

func checkTypeMeta(obj map[string]any) error {
	wantAPIVersion := egv1a1.GroupVersion.String()
	if v, _ := obj["apiVersion"].(string); v != wantAPIVersion {
		return fmt.Errorf("apiVersion: Unsupported value: %q: supported values: %q", obj["apiVersion"], wantAPIVersion)
	}
	if v, _ := obj["kind"].(string); v != egv1a1.KindEnvoyGateway {
		return fmt.Errorf("kind: Unsupported value: %q: supported values: %q", obj["kind"], egv1a1.KindEnvoyGateway)
	}
	return nil
}

// checkKnownFields walks a decoded JSON value alongside the Go type it will be
// decoded into and reports the first field the type does not have.
func checkKnownFields(value any, t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch v := value.(type) {
	case map[string]any:
		if t.Kind() == reflect.Map {
			for _, key := range sortedKeys(v) {
				if err := checkKnownFields(v[key], t.Elem(), join(path, key)); err != nil {
					return err
				}
			}
			return nil
		}
		if t.Kind() != reflect.Struct {
			return nil // a type error, reported by json.Unmarshal with its path
		}
		fields := jsonFields(t)
		for _, key := range sortedKeys(v) {
			ft, ok := fields[key]
			if !ok {
				return fmt.Errorf("%s: unknown field %q (known fields: %s)", join(path, key), key, strings.Join(knownNames(fields), ", "))
			}
			if err := checkKnownFields(v[key], ft, join(path, key)); err != nil {
				return err
			}
		}
	case []any:
		if t.Kind() != reflect.Slice {
			return nil
		}
		for i, item := range v {
			if err := checkKnownFields(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

// jsonFields maps the JSON names of a struct's fields (including inlined ones) to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	fields := map[string]reflect.Type{}
	for f := range t.Fields() {
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && (name == "" || strings.Contains(opts, "inline")) {
			maps.Copy(fields, jsonFields(f.Type))
			continue
		}
		if name == "" {
			name = f.Name
		}
		fields[name] = f.Type
	}
	return fields
}

func knownNames(fields map[string]reflect.Type) []string {
	names := make([]string, 0, len(fields))
	for k := range fields {
		if k != "apiVersion" && k != "kind" {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	return names
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func describeType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Slice, reflect.Array:
		return "list"
	case reflect.Map, reflect.Struct, reflect.Pointer:
		return "object"
	default:
		return t.String()
	}
}
