package validation

import (
	"math"
	"regexp"
	"slices"
	"unicode/utf8"

	"k8s.io/kube-openapi/pkg/validation/spec"
	"k8s.io/kube-openapi/pkg/validation/strfmt"
)

// openAPICheck answers one question quickly: does a value pass the
// kube-openapi schema validation the API server runs (the SchemaValidator
// made by apiservervalidation.NewSchemaValidator) without any error? It is
// compiled from the same converted schema and implements only what our
// CRDs use (type, nullable, format, enum, string length and pattern,
// integer bounds, item counts, properties, required, additionalProperties,
// property counts). It says "valid" only when kube-openapi finds nothing;
// for anything else — a failing value, a keyword it does not implement
// (allOf, anyOf, oneOf, not, patternProperties, ...), a value type it does
// not expect — it says "don't know", and the caller runs kube-openapi,
// which also makes every error message. Walking the compiled tree costs a
// fraction of kube-openapi, which builds a validator per schema node for
// every value. TestOpenAPICheckNeverHidesErrors checks the one-sided
// guarantee on corpora and mutations of them.
type openAPICheck struct {
	// unsupported: the node uses a keyword not implemented here.
	unsupported bool

	types    []string
	nullable bool
	// format is checked for strings when the registry knows it.
	format string
	int32  bool // integer format int32: the value must fit

	enum []string // string values of enum
	// hasEnum: the node has an enum; nonStringEnum: some values are not strings.
	hasEnum, nonStringEnum bool

	maxLength, minLength *int64
	pattern              *regexp.Regexp

	// Integer bounds; numberUnsupported when a bound is not an integer
	// that a float64 holds exactly, or multipleOf is set.
	maximum, minimum                   *int64
	exclusiveMaximum, exclusiveMinimum bool
	numberUnsupported                  bool

	maxItems, minItems *int64
	items              *openAPICheck

	properties           map[string]*openAPICheck
	required             []string
	additional           *openAPICheck
	additionalNotAllowed bool
	maxProperties        *int64
	minProperties        *int64
}

// newOpenAPICheck compiles s and its children.
func newOpenAPICheck(s *spec.Schema) *openAPICheck {
	c := &openAPICheck{
		types:         s.Type,
		nullable:      s.Nullable,
		maxLength:     s.MaxLength,
		minLength:     s.MinLength,
		maxItems:      s.MaxItems,
		minItems:      s.MinItems,
		required:      s.Required,
		maxProperties: s.MaxProperties,
		minProperties: s.MinProperties,
	}
	if len(s.AllOf) > 0 || len(s.AnyOf) > 0 || len(s.OneOf) > 0 || s.Not != nil || len(s.Dependencies) > 0 ||
		len(s.PatternProperties) > 0 || s.AdditionalItems != nil || s.UniqueItems || s.Ref.String() != "" ||
		s.Items != nil && (s.Items.Schema == nil || len(s.Items.Schemas) > 0) {
		c.unsupported = true
		return c
	}
	if s.Format != "" {
		switch {
		case s.Format == "int32":
			c.int32 = true
		case strfmt.Default.ContainsName(s.Format):
			c.format = s.Format
		}
		if !slices.Equal(s.Type, []string{"string"}) && !slices.Equal(s.Type, []string{"integer"}) {
			c.unsupported = true // formats of other types: leave the type rules to kube-openapi
			return c
		}
	}
	if s.Enum != nil {
		c.hasEnum = true
		for _, e := range s.Enum {
			if str, ok := e.(string); ok {
				c.enum = append(c.enum, str)
			} else {
				c.nonStringEnum = true
			}
		}
	}
	if s.Pattern != "" {
		re, err := regexp.Compile(s.Pattern)
		if err != nil {
			c.unsupported = true
			return c
		}
		c.pattern = re
	}
	c.maximum, c.exclusiveMaximum = integerBound(s.Maximum, s.ExclusiveMaximum, &c.numberUnsupported)
	c.minimum, c.exclusiveMinimum = integerBound(s.Minimum, s.ExclusiveMinimum, &c.numberUnsupported)
	if s.MultipleOf != nil {
		c.numberUnsupported = true
	}
	if s.Items != nil {
		c.items = newOpenAPICheck(s.Items.Schema)
	}
	if len(s.Properties) > 0 {
		c.properties = make(map[string]*openAPICheck, len(s.Properties))
		for name := range s.Properties {
			prop := s.Properties[name]
			c.properties[name] = newOpenAPICheck(&prop)
		}
	}
	if s.AdditionalProperties != nil {
		switch {
		case s.AdditionalProperties.Schema != nil:
			c.additional = newOpenAPICheck(s.AdditionalProperties.Schema)
		case !s.AdditionalProperties.Allows:
			c.additionalNotAllowed = true
		}
	}
	return c
}

// integerBound converts a bound to an int64 when it is an integer that
// float64 and int64 both hold exactly.
func integerBound(b *float64, exclusive bool, unsupported *bool) (*int64, bool) {
	if b == nil {
		return nil, false
	}
	if *b != math.Trunc(*b) || math.Abs(*b) > 1<<53 {
		*unsupported = true
		return nil, false
	}
	i := int64(*b)
	return &i, exclusive
}

// valid reports whether kube-openapi certainly finds no error in v; false
// means "don't know".
func (c *openAPICheck) valid(v any) bool {
	if c.unsupported {
		return false
	}
	switch t := v.(type) {
	case nil:
		return (len(c.types) == 0 || c.nullable) && !c.hasEnum
	case string:
		return c.hasType("string") && c.validString(t)
	case int64:
		return c.hasType("integer") && c.validInteger(t)
	case bool:
		return c.hasType("boolean") && !c.hasEnum
	case map[string]any:
		return c.hasType("object") && !c.hasEnum && c.validObject(t)
	case []any:
		return c.hasType("array") && !c.hasEnum && c.validArray(t)
	}
	return false // float64 and anything else: leave it to kube-openapi
}

// hasType reports whether the schema's type rule accepts a value of type
// name for sure: no type and no format, or that type listed.
func (c *openAPICheck) hasType(name string) bool {
	if len(c.types) == 0 {
		return c.format == "" && !c.int32
	}
	return slices.Contains(c.types, name)
}

func (c *openAPICheck) validString(s string) bool {
	if c.hasEnum && (c.nonStringEnum || !slices.Contains(c.enum, s)) {
		return false
	}
	if c.int32 {
		return false // an integer format on a string: let kube-openapi decide
	}
	if c.maxLength != nil || c.minLength != nil {
		n := int64(utf8.RuneCountInString(s))
		if c.maxLength != nil && n > *c.maxLength || c.minLength != nil && n < *c.minLength {
			return false
		}
	}
	if c.pattern != nil && !c.pattern.MatchString(s) {
		return false
	}
	return c.format == "" || strfmt.Default.Validates(c.format, s)
}

func (c *openAPICheck) validInteger(i int64) bool {
	if c.hasEnum || c.numberUnsupported || i > 1<<53 || i < -1<<53 {
		return false // (beyond 2^53 kube-openapi may compare as float64)
	}
	if c.int32 && (i < math.MinInt32 || i > math.MaxInt32) {
		return false
	}
	if c.maximum != nil && (i > *c.maximum || c.exclusiveMaximum && i == *c.maximum) {
		return false
	}
	if c.minimum != nil && (i < *c.minimum || c.exclusiveMinimum && i == *c.minimum) {
		return false
	}
	return true
}

func (c *openAPICheck) validArray(items []any) bool {
	n := int64(len(items))
	if c.maxItems != nil && n > *c.maxItems || c.minItems != nil && n < *c.minItems {
		return false
	}
	if c.items == nil {
		return true
	}
	for _, item := range items {
		if !c.items.valid(item) {
			return false
		}
	}
	return true
}

func (c *openAPICheck) validObject(m map[string]any) bool {
	n := int64(len(m))
	if c.maxProperties != nil && n > *c.maxProperties || c.minProperties != nil && n < *c.minProperties {
		return false
	}
	for _, name := range c.required {
		if _, ok := m[name]; !ok {
			return false
		}
	}
	for k, v := range m {
		if p, ok := c.properties[k]; ok {
			if !p.valid(v) {
				return false
			}
			continue
		}
		switch {
		case c.additional != nil:
			if !c.additional.valid(v) {
				return false
			}
		case c.additionalNotAllowed:
			return false
		}
	}
	return true
}
