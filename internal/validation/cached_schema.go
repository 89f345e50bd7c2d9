package validation

import (
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel/model"
	"k8s.io/apiserver/pkg/cel/common"
)

// cachedSchema is model.Structural (the CEL view of a structural schema)
// with its children computed once: model.Structural builds a new property
// map, with a copy of every property schema, on each call of Properties(),
// and CEL calls it on every field access.
type cachedSchema struct {
	*model.Structural
	properties map[string]common.Schema
	items      common.Schema
	additional common.SchemaOrBool
}

var _ common.Schema = (*cachedSchema)(nil)

// newCachedSchema wraps s and, recursively, its children.
func newCachedSchema(s *structuralschema.Structural) *cachedSchema {
	c := &cachedSchema{Structural: &model.Structural{Structural: s}}
	if s.Properties != nil {
		c.properties = make(map[string]common.Schema, len(s.Properties))
		for name := range s.Properties {
			prop := s.Properties[name]
			c.properties[name] = newCachedSchema(&prop)
		}
	}
	if s.Items != nil {
		c.items = newCachedSchema(s.Items)
	}
	if s.AdditionalProperties != nil {
		c.additional = &cachedSchemaOrBool{allows: s.AdditionalProperties.Bool}
		if s.AdditionalProperties.Structural != nil {
			c.additional.(*cachedSchemaOrBool).schema = newCachedSchema(s.AdditionalProperties.Structural)
		}
	}
	return c
}

// Properties returns the cached property schemas; callers must not modify the map.
func (c *cachedSchema) Properties() map[string]common.Schema { return c.properties }

// Items returns the cached item schema.
func (c *cachedSchema) Items() common.Schema {
	if c.items == nil {
		return nil
	}
	return c.items
}

// AdditionalProperties returns the cached additional properties.
func (c *cachedSchema) AdditionalProperties() common.SchemaOrBool {
	if c.additional == nil {
		return nil
	}
	return c.additional
}

// WithTypeAndObjectMeta wraps the schema with kind, apiVersion and metadata.
func (c *cachedSchema) WithTypeAndObjectMeta() common.Schema {
	return newCachedSchema(model.WithTypeAndObjectMeta(c.Structural.Structural))
}

type cachedSchemaOrBool struct {
	schema *cachedSchema
	allows bool
}

func (c *cachedSchemaOrBool) Schema() common.Schema {
	if c.schema == nil {
		return nil
	}
	return c.schema
}

func (c *cachedSchemaOrBool) Allows() bool { return c.allows }
