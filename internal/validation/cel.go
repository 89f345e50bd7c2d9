package validation

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	celgo "github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/interpreter"
	apiextensions "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	apiextensionscel "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel/model"
	"k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	apiservercel "k8s.io/apiserver/pkg/cel"
	"k8s.io/apiserver/pkg/cel/common"
	"k8s.io/apiserver/pkg/cel/environment"
	"k8s.io/utils/ptr"
)

// celValidator evaluates the x-kubernetes-validations rules of a schema on
// create, exactly as k8s.io/apiextensions-apiserver's cel.Validator does
// (same compilation, cost budget, error messages and field paths), with one
// difference: values are exposed to CEL through schemas whose Properties,
// Items and AdditionalProperties are computed once instead of on every field
// access. The upstream adapter rebuilds the property map of an object on
// each lookup, which made CEL the largest cost of validating Gateway API
// routes. TestCELMatchesUpstream checks both give the same errors.
//
// Only create is supported: there is no oldSelf value, so transition rules
// run only when they declare optionalOldSelf, as upstream does.
type celValidator struct {
	items                *celValidator
	properties           map[string]*celValidator
	allOf                []*celValidator
	additionalProperties *celValidator

	schema *structuralschema.Structural
	// activationSchema is the schema values are evaluated against: the node
	// schema, with kind, apiVersion and metadata at a resource root.
	activationSchema common.Schema

	rules []apiextensions.ValidationRule

	// The rules are compiled the first time the node has a value to check
	// (compile): objects use a fraction of the rules of their schema.
	once              sync.Once
	compilationSchema *structuralschema.Structural
	declType          *apiservercel.DeclType
	isResourceRoot    bool
	perCallLimit      uint64

	compiled       []apiextensionscel.CompilationResult
	compilationErr error
	// unmetered are the rules compiled again without cost tracking (nil
	// where that failed), for quickValid.
	unmetered []celgo.Program

	// staticCost is the sum of the cost estimates of the rules quickValid
	// evaluates, maxRuleCost the largest.
	staticCost, maxRuleCost uint64
	// memo holds the values (by canonicalKey) on which every rule passed,
	// for nodes whose rules are expensive (memoized): rules are pure
	// functions of the value, and objects often repeat one (routes with the
	// same parentRefs, whose rules compare every pair of entries).
	memoized  bool
	memo      sync.Map
	memoCount atomic.Int64
}

// memoMinCost is the static cost from which a node remembers the values
// that pass its rules, and memoMaxEntries how many it remembers.
const (
	memoMinCost    = 100000
	memoMaxEntries = 1024
)

// newCELValidator compiles the rules of s, or returns nil when it has none.
func newCELValidator(s *structuralschema.Structural, isResourceRoot bool, perCallLimit uint64) *celValidator {
	if !hasXValidations(s) {
		return nil
	}
	return buildCELValidator(s, s, isResourceRoot, model.SchemaDeclType(s, isResourceRoot), perCallLimit)
}

// buildCELValidator mirrors upstream's validator(): validationSchema holds the
// rules (it differs from nodeSchema only inside allOf).
func buildCELValidator(validationSchema, nodeSchema *structuralschema.Structural, isResourceRoot bool, declType *apiservercel.DeclType, perCallLimit uint64) *celValidator {
	compilationSchema := *nodeSchema
	compilationSchema.XValidations = validationSchema.XValidations
	v := &celValidator{
		schema:            nodeSchema,
		rules:             validationSchema.XValidations,
		compilationSchema: &compilationSchema,
		declType:          declType,
		isResourceRoot:    isResourceRoot,
		perCallLimit:      perCallLimit,
	}
	var elemType *apiservercel.DeclType
	if declType != nil {
		elemType = declType.ElemType
	}
	if validationSchema.Items != nil && nodeSchema.Items != nil {
		v.items = buildCELValidator(validationSchema.Items, nodeSchema.Items, nodeSchema.Items.XEmbeddedResource, elemType, perCallLimit)
	}
	v.properties = propertyValidators(validationSchema, nodeSchema, declType, perCallLimit)
	if validationSchema.AdditionalProperties != nil && validationSchema.AdditionalProperties.Structural != nil &&
		nodeSchema.AdditionalProperties != nil && nodeSchema.AdditionalProperties.Structural != nil {
		nodeAP := nodeSchema.AdditionalProperties.Structural
		v.additionalProperties = buildCELValidator(validationSchema.AdditionalProperties.Structural, nodeAP, nodeAP.XEmbeddedResource, elemType, perCallLimit)
	}
	if validationSchema.ValueValidation != nil {
		for i := range validationSchema.ValueValidation.AllOf {
			if a := buildCELValidator(nestedToStructural(&validationSchema.ValueValidation.AllOf[i]), nodeSchema, isResourceRoot, declType, perCallLimit); a != nil {
				v.allOf = append(v.allOf, a)
			}
		}
	}
	// (Compile returns no result and no error exactly when there are no rules.)
	if len(v.rules) == 0 && v.items == nil && v.additionalProperties == nil && len(v.properties) == 0 && len(v.allOf) == 0 {
		return nil
	}
	return v
}

// compile compiles the node's rules, as upstream's validator does when it
// is built, and again without cost tracking; it is safe for concurrent use.
func (v *celValidator) compile() {
	v.once.Do(func() {
		loader := &recordingEnvLoader{EnvLoader: apiextensionscel.StoredExpressionsEnvLoader()}
		v.compiled, v.compilationErr = apiextensionscel.Compile(v.compilationSchema, v.declType, v.perCallLimit,
			environment.MustBaseEnvSet(environment.DefaultCompatibilityVersion()), loader)
		if v.compilationErr == nil {
			v.unmetered = unmeteredPrograms(v.rules, v.compiled, loader.envs)
		}
		for i, c := range v.compiled {
			if c.Program != nil && (!c.UsesOldSelf || ptr.Deref(v.rules[i].OptionalOldSelf, false)) {
				v.staticCost += c.MaxCost
				v.maxRuleCost = max(v.maxRuleCost, c.MaxCost)
			}
		}
		v.memoized = v.staticCost >= memoMinCost
		activation := v.schema
		if v.isResourceRoot {
			activation = model.WithTypeAndObjectMeta(v.schema)
		}
		v.activationSchema = newCachedSchema(activation)
	})
}

// recordingEnvLoader remembers the environment each rule was compiled in,
// in order, to compile the rule again without cost tracking.
type recordingEnvLoader struct {
	apiextensionscel.EnvLoader
	envs []*celgo.Env
}

func (l *recordingEnvLoader) RuleEnv(envSet *environment.EnvSet, expression string) *celgo.Env {
	env := l.EnvLoader.RuleEnv(envSet, expression)
	l.envs = append(l.envs, env)
	return env
}

// withoutCostTracking is a program option turning off the cost tracking
// that the Kubernetes base environment adds to every program
// (environment.StrictCostOpt, cel.CostTracking). cel-go has no option to
// undo another one, so this one clears the OptTrackCost flag of the
// program being built, found by reflection. It is nil, and rules stay
// metered only, when cel-go's program type is not laid out as expected;
// TestUnmeteredProgramsTrackNoCost checks it takes effect.
var withoutCostTracking = clearEvalOption(celgo.OptTrackCost)

func clearEvalOption(opt celgo.EvalOption) celgo.ProgramOption {
	t := reflect.TypeFor[celgo.ProgramOption]()
	if t.NumIn() != 1 || t.NumOut() != 2 || t.In(0) != t.Out(0) || t.In(0).Kind() != reflect.Pointer ||
		t.In(0).Elem().Kind() != reflect.Struct || t.Out(1) != reflect.TypeFor[error]() {
		return nil
	}
	f, ok := t.In(0).Elem().FieldByName("evalOpts")
	if !ok || len(f.Index) != 1 || f.Type != reflect.TypeFor[celgo.EvalOption]() {
		return nil
	}
	noError := reflect.Zero(t.Out(1))
	fn := reflect.MakeFunc(t, func(args []reflect.Value) []reflect.Value {
		p := args[0]
		if !p.IsNil() {
			flags := (*celgo.EvalOption)(unsafe.Add(p.UnsafePointer(), f.Offset))
			*flags &^= opt
		}
		return []reflect.Value{p, noError}
	})
	return fn.Interface().(celgo.ProgramOption)
}

// unmeteredPrograms compiles each successfully compiled rule again, in the
// same environment and with the same options except cost tracking, the
// per-call cost limit and interrupt checks (quickValid evaluates without a
// context: its cost is bounded). envs are the environments of the non-empty rules, in
// order (compileRule skips empty rules before asking for one).
func unmeteredPrograms(rules []apiextensions.ValidationRule, compiled []apiextensionscel.CompilationResult, envs []*celgo.Env) []celgo.Program {
	out := make([]celgo.Program, len(rules))
	next := 0
	for i, rule := range rules {
		if len(strings.TrimSpace(rule.Rule)) == 0 {
			continue
		}
		if next >= len(envs) {
			return out // unexpected: leave the remaining rules metered
		}
		env := envs[next]
		next++
		if compiled[i].Program == nil || compiled[i].Error != nil || withoutCostTracking == nil {
			continue
		}
		ast, issues := env.Compile(rule.Rule)
		if issues != nil && issues.Err() != nil {
			continue
		}
		prog, err := env.Program(ast, withoutCostTracking)
		if err != nil {
			continue
		}
		out[i] = prog
	}
	return out
}

func propertyValidators(validationSchema, nodeSchema *structuralschema.Structural, declType *apiservercel.DeclType, perCallLimit uint64) map[string]*celValidator {
	if len(validationSchema.Properties) == 0 {
		return nil
	}
	out := map[string]*celValidator{}
	for k, validationProperty := range validationSchema.Properties {
		nodeProperty, ok := nodeSchema.Properties[k]
		if !ok {
			continue // only fields on the structural spine get value validations
		}
		var fieldType *apiservercel.DeclType
		if escaped, ok := apiservercel.Escape(k); ok {
			if declType == nil {
				continue
			}
			f, ok := declType.Fields[escaped]
			if !ok {
				continue // fields of unknown types are not validated
			}
			fieldType = f.Type
		} else if fieldType = model.SchemaDeclType(&nodeProperty, nodeProperty.XEmbeddedResource); fieldType == nil {
			continue
		}
		if p := buildCELValidator(&validationProperty, &nodeProperty, nodeProperty.XEmbeddedResource, fieldType, perCallLimit); p != nil {
			out[k] = p
		}
	}
	return out
}

func hasXValidations(s *structuralschema.Structural) bool {
	if s == nil {
		return false
	}
	if len(s.XValidations) > 0 {
		return true
	}
	if hasXValidations(s.Items) {
		return true
	}
	if s.AdditionalProperties != nil && hasXValidations(s.AdditionalProperties.Structural) {
		return true
	}
	for _, p := range s.Properties {
		if hasXValidations(&p) {
			return true
		}
	}
	if s.ValueValidation != nil {
		for i := range s.ValueValidation.AllOf {
			if hasXValidations(nestedToStructural(&s.ValueValidation.AllOf[i])) {
				return true
			}
		}
	}
	return false
}

func nestedToStructural(nested *structuralschema.NestedValueValidation) *structuralschema.Structural {
	if nested == nil {
		return nil
	}
	out := &structuralschema.Structural{
		ValueValidation:      &nested.ValueValidation,
		ValidationExtensions: nested.ValidationExtensions,
		Generic:              nested.ForbiddenGenerics,
		Extensions:           nested.ForbiddenExtensions,
		Items:                nestedToStructural(nested.Items),
	}
	if len(nested.Properties) > 0 {
		out.Properties = make(map[string]structuralschema.Structural, len(nested.Properties))
		for k, v := range nested.Properties {
			out.Properties[k] = *nestedToStructural(&v)
		}
	}
	if nested.AdditionalProperties != nil {
		out.AdditionalProperties = &structuralschema.StructuralOrBool{Structural: nestedToStructural(nested.AdditionalProperties)}
	}
	return out
}

// validate evaluates every rule on obj and below it, within costBudget.
func (v *celValidator) validate(ctx context.Context, fldPath *field.Path, obj any, costBudget int64) (field.ErrorList, int64) {
	if v == nil || obj == nil {
		return nil, costBudget
	}
	errs, remaining := v.validateExpressions(ctx, fldPath, obj, costBudget)
	if remaining < 0 {
		return errs, remaining
	}
	for _, a := range v.allOf {
		var allOfErrs field.ErrorList
		allOfErrs, remaining = a.validate(ctx, fldPath, obj, remaining)
		errs = append(errs, allOfErrs...)
		if remaining < 0 {
			return errs, remaining
		}
	}
	var childErrs field.ErrorList
	switch o := obj.(type) {
	case []any:
		childErrs, remaining = v.validateArray(ctx, fldPath, o, remaining)
	case map[string]any:
		childErrs, remaining = v.validateMap(ctx, fldPath, o, remaining)
	}
	return append(errs, childErrs...), remaining
}

// quickValid reports whether validate would find no error in obj, by
// evaluating the rules without cost tracking, which takes about a third of
// the time. That is only the same when no cost limit can be reached: every
// rule evaluated must have a static cost estimate (an upper bound of its
// runtime cost, as the API server relies on to admit CRDs) within half the
// per-call limit, and their sum within half the object's budget; the
// caller makes sure the object is within the request size the estimates
// assume. false means "don't know": any rule failing or erroring, or a
// bound exceeded; the caller then runs validate.
func (v *celValidator) quickValid(obj any, perCallLimit uint64, bound *uint64) bool {
	if v == nil || obj == nil {
		return true
	}
	if !v.quickExpressions(obj, perCallLimit, bound) {
		return false
	}
	for _, a := range v.allOf {
		if !a.quickValid(obj, perCallLimit, bound) {
			return false
		}
	}
	switch o := obj.(type) {
	case []any:
		if v.items != nil {
			for _, item := range o {
				if !v.items.quickValid(item, perCallLimit, bound) {
					return false
				}
			}
		}
	case map[string]any:
		if v.additionalProperties != nil {
			for _, val := range o {
				if !v.additionalProperties.quickValid(val, perCallLimit, bound) {
					return false
				}
			}
		}
		if v.properties != nil {
			for k, val := range o {
				if sub, ok := v.properties[k]; ok && !sub.quickValid(val, perCallLimit, bound) {
					return false
				}
			}
		}
	}
	return true
}

// quickExpressions is validateExpressions for quickValid.
func (v *celValidator) quickExpressions(obj any, perCallLimit uint64, bound *uint64) bool {
	v.compile()
	if v.compilationErr != nil {
		return false
	}
	if len(v.compiled) == 0 {
		return true
	}
	var key string
	if v.memoized && v.maxRuleCost <= perCallLimit/2 {
		if key = canonicalKey(obj); key != "" {
			if _, ok := v.memo.Load(key); ok {
				// The rules passed on this value before, costing this much.
				*bound += v.staticCost
				return *bound <= celconfig.RuntimeCELCostBudget/2
			}
		}
	}
	var self ref.Val
	for i, compiled := range v.compiled {
		rule := v.rules[i]
		if compiled.Error != nil {
			return false
		}
		if compiled.Program == nil {
			continue
		}
		optionalOldSelf := ptr.Deref(rule.OptionalOldSelf, false)
		if compiled.UsesOldSelf && !optionalOldSelf {
			continue
		}
		prog := v.unmetered[i]
		if prog == nil || compiled.MaxCost > perCallLimit/2 {
			return false
		}
		*bound += compiled.MaxCost
		if *bound > celconfig.RuntimeCELCostBudget/2 {
			return false
		}
		if self == nil {
			self = quickVal(obj, v.activationSchema)
		}
		activation := &celActivation{self: self}
		if optionalOldSelf {
			activation = &celActivation{self: self, hasOldSelf: true, oldSelf: types.OptionalNone}
		}
		result, _, err := prog.Eval(activation)
		if err != nil || result != types.True {
			return false
		}
	}
	if key != "" && v.memoCount.Add(1) <= memoMaxEntries {
		v.memo.Store(key, struct{}{})
	}
	return true
}

// maxKeyLen bounds the values memoized.
const maxKeyLen = 4096

// canonicalKey serializes an unstructured value so that two values have
// the same key exactly when they are equal with the same types; "" when the
// value is too large to be worth remembering.
func canonicalKey(v any) string {
	b, ok := appendCanonical(make([]byte, 0, 128), v)
	if !ok {
		return ""
	}
	return string(b)
}

func appendCanonical(b []byte, v any) ([]byte, bool) {
	if len(b) > maxKeyLen {
		return b, false
	}
	var ok bool
	switch t := v.(type) {
	case nil:
		b = append(b, 'n')
	case bool:
		b = append(b, 'b')
		b = strconv.AppendBool(b, t)
	case string:
		b = append(b, 's')
		b = strconv.AppendQuote(b, t)
	case int64:
		b = append(b, 'i')
		b = strconv.AppendInt(b, t, 10)
	case float64:
		b = append(b, 'f')
		b = strconv.AppendUint(b, math.Float64bits(t), 16)
	case []any:
		b = append(b, '[')
		for _, e := range t {
			if b, ok = appendCanonical(b, e); !ok {
				return b, false
			}
			b = append(b, ',')
		}
		b = append(b, ']')
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, '{')
		for _, k := range keys {
			b = strconv.AppendQuote(b, k)
			b = append(b, ':')
			if b, ok = appendCanonical(b, t[k]); !ok {
				return b, false
			}
			b = append(b, ',')
		}
		b = append(b, '}')
	default:
		return b, false // not a JSON value: do not remember it
	}
	return b, len(b) <= maxKeyLen
}

func (v *celValidator) validateMap(ctx context.Context, fldPath *field.Path, obj map[string]any, remaining int64) (field.ErrorList, int64) {
	if remaining < 0 || obj == nil {
		return nil, remaining
	}
	var errs field.ErrorList
	if v.additionalProperties != nil {
		for k, val := range obj {
			var e field.ErrorList
			e, remaining = v.additionalProperties.validate(ctx, fldPath.Key(k), val, remaining)
			errs = append(errs, e...)
			if remaining < 0 {
				return errs, remaining
			}
		}
	}
	if v.properties != nil {
		for k, val := range obj {
			sub, ok := v.properties[k]
			if !ok {
				continue
			}
			var e field.ErrorList
			e, remaining = sub.validate(ctx, fldPath.Child(k), val, remaining)
			errs = append(errs, e...)
			if remaining < 0 {
				return errs, remaining
			}
		}
	}
	return errs, remaining
}

func (v *celValidator) validateArray(ctx context.Context, fldPath *field.Path, obj []any, remaining int64) (field.ErrorList, int64) {
	if remaining < 0 || v.items == nil {
		return nil, remaining
	}
	var errs field.ErrorList
	for i := range obj {
		var e field.ErrorList
		e, remaining = v.items.validate(ctx, fldPath.Index(i), obj[i], remaining)
		errs = append(errs, e...)
		if remaining < 0 {
			return errs, remaining
		}
	}
	return errs, remaining
}

// validateExpressions evaluates the rules of this node (upstream's
// validateExpressions without oldSelf and ratcheting).
func (v *celValidator) validateExpressions(ctx context.Context, fldPath *field.Path, obj any, remaining int64) (field.ErrorList, int64) {
	sts := v.schema
	if obj == nil {
		return nil, remaining
	}
	v.compile()
	if v.compilationErr != nil {
		return field.ErrorList{field.Invalid(fldPath, sts.Type, fmt.Sprintf("rule compiler initialization error: %v", v.compilationErr))}, remaining
	}
	if len(v.compiled) == 0 {
		return nil, remaining
	}
	if remaining <= 0 {
		return field.ErrorList{field.Invalid(fldPath, sts.Type, "validation failed due to running out of cost budget, no further validation rules will be run")}, -1
	}
	self := common.UnstructuredToVal(obj, v.activationSchema)
	activation := &celActivation{self: self}
	optionalActivation := &celActivation{self: self, hasOldSelf: true, oldSelf: types.OptionalNone}
	var errs field.ErrorList
	for i, compiled := range v.compiled {
		rule := v.rules[i]
		if compiled.Error != nil {
			errs = append(errs, field.Invalid(fldPath, sts.Type, fmt.Sprintf("rule compile error: %v", compiled.Error)))
			continue
		}
		if compiled.Program == nil {
			continue
		}
		optionalOldSelf := ptr.Deref(rule.OptionalOldSelf, false)
		if compiled.UsesOldSelf && !optionalOldSelf {
			continue // transition rules need an old value
		}
		ruleActivation := interpreter.Activation(activation)
		if optionalOldSelf {
			ruleActivation = optionalActivation
		}
		var ruleErrs field.ErrorList
		var stop bool
		ruleErrs, remaining, stop = v.evalRule(ctx, fldPath, obj, rule, compiled, ruleActivation, activation, remaining)
		errs = append(errs, ruleErrs...)
		if stop {
			return errs, -1
		}
	}
	return errs, remaining
}

// evalRule evaluates one rule; stop means no further rule may run.
func (v *celValidator) evalRule(ctx context.Context, fldPath *field.Path, obj any, rule apiextensions.ValidationRule,
	compiled apiextensionscel.CompilationResult, ruleActivation, activation interpreter.Activation, remaining int64) (field.ErrorList, int64, bool) {
	sts := v.schema
	result, details, err := compiled.Program.ContextEval(ctx, ruleActivation)
	if details == nil {
		return field.ErrorList{field.InternalError(fldPath, fmt.Errorf("runtime cost could not be calculated for validation rule: %v, no further validation rules will be run", ruleErrorString(rule)))}, -1, true
	}
	cost := details.ActualCost()
	if cost == nil {
		return field.ErrorList{field.Invalid(fldPath, sts.Type, fmt.Sprintf("runtime cost could not be calculated for validation rule: %v, no further validation rules will be run", ruleErrorString(rule)))}, -1, true
	}
	if *cost > math.MaxInt64 || int64(*cost) > remaining {
		return field.ErrorList{field.Invalid(fldPath, sts.Type, "validation failed due to running out of cost budget, no further validation rules will be run")}, -1, true
	}
	remaining -= int64(*cost)
	if err != nil {
		msg := err.Error()
		switch {
		case strings.HasPrefix(msg, "no such overload"):
			return field.ErrorList{field.Invalid(fldPath, sts.Type, fmt.Sprintf("'%v': call arguments did not match a supported operator, function or macro signature for rule: %v", err, ruleErrorString(rule)))}, remaining, false
		case strings.HasPrefix(msg, "operation cancelled: actual cost limit exceeded"):
			return field.ErrorList{field.Invalid(fldPath, sts.Type, fmt.Sprintf("'%v': no further validation rules will be run due to call cost exceeds limit for rule: %v", err, ruleErrorString(rule)))}, -1, true
		default:
			return field.ErrorList{field.Invalid(fldPath, sts.Type, fmt.Sprintf("%v evaluating rule: %v", err, ruleErrorString(rule)))}, remaining, false
		}
	}
	if result == types.True {
		return nil, remaining, false
	}
	path := fldPath
	if compiled.NormalizedRuleFieldPath != "" {
		path = path.Child(compiled.NormalizedRuleFieldPath)
	}
	detail, ok := "", false
	if compiled.MessageExpression != nil {
		msg, newRemaining, msgErr := evalMessageExpression(ctx, compiled.MessageExpression, rule.MessageExpression, activation, remaining)
		switch {
		case msgErr == nil:
			detail, ok, remaining = msg, true, newRemaining
		case msgErr.Type == apiservercel.ErrorTypeInternal:
			return field.ErrorList{field.InternalError(path, msgErr)}, -1, true
		case msgErr.Type == apiservercel.ErrorTypeInvalid:
			return field.ErrorList{field.Invalid(path, sts.Type, msgErr.Error())}, -1, true
		default:
			remaining = newRemaining
		}
	}
	if !ok {
		detail = ruleMessageOrDefault(rule)
	}
	value := obj
	if sts.Type == "object" || sts.Type == "array" {
		value = field.OmitValueType{}
	}
	return field.ErrorList{fieldErrorForReason(path, value, detail, rule.Reason)}, remaining, false
}

// celActivation resolves self and oldSelf.
type celActivation struct {
	self, oldSelf ref.Val
	hasOldSelf    bool
}

func (a *celActivation) ResolveName(name string) (any, bool) {
	switch name {
	case apiextensionscel.ScopedVarName:
		return a.self, true
	case apiextensionscel.OldScopedVarName:
		return a.oldSelf, a.hasOldSelf
	}
	return nil, false
}

func (a *celActivation) Parent() interpreter.Activation { return nil }

func fieldErrorForReason(fldPath *field.Path, value any, detail string, reason *apiextensions.FieldValueErrorReason) *field.Error {
	if reason == nil {
		return field.Invalid(fldPath, value, detail)
	}
	switch *reason {
	case apiextensions.FieldValueForbidden:
		return field.Forbidden(fldPath, detail)
	case apiextensions.FieldValueRequired:
		return field.Required(fldPath, detail)
	case apiextensions.FieldValueDuplicate:
		return field.Duplicate(fldPath, value)
	}
	return field.Invalid(fldPath, value, detail)
}

var newlines = regexp.MustCompile(`[\n]+`)

// evalMessageExpression is upstream's message expression evaluation.
func evalMessageExpression(ctx context.Context, expr celgo.Program, src string, activation interpreter.Activation, remaining int64) (string, int64, *apiservercel.Error) {
	result, details, err := expr.ContextEval(ctx, activation)
	if details == nil || details.ActualCost() == nil {
		return "", -1, &apiservercel.Error{Type: apiservercel.ErrorTypeInternal,
			Detail: fmt.Sprintf("runtime cost could not be calculated for messageExpression: %q", src)}
	}
	cost := *details.ActualCost()
	if cost > math.MaxInt64 || int64(cost) > remaining {
		return "", -1, &apiservercel.Error{Type: apiservercel.ErrorTypeInvalid,
			Detail: "messageExpression evaluation failed due to running out of cost budget, no further validation rules will be run"}
	}
	after := remaining - int64(cost)
	if err != nil {
		if strings.HasPrefix(err.Error(), "operation cancelled: actual cost limit exceeded") {
			return "", -1, &apiservercel.Error{Type: apiservercel.ErrorTypeInvalid,
				Detail: fmt.Sprintf("no further validation rules will be run due to call cost exceeds limit for messageExpression: %q", src)}
		}
		return "", after, &apiservercel.Error{Detail: fmt.Sprintf("messageExpression evaluation failed due to: %v", err.Error())}
	}
	msg, ok := result.Value().(string)
	if !ok {
		return "", after, &apiservercel.Error{Detail: "messageExpression failed to convert to string"}
	}
	msg = strings.TrimSpace(msg)
	switch {
	case len(msg) > celconfig.MaxEvaluatedMessageExpressionSizeBytes:
		return "", after, &apiservercel.Error{Detail: fmt.Sprintf("messageExpression beyond allowable length of %d", celconfig.MaxEvaluatedMessageExpressionSizeBytes)}
	case newlines.MatchString(msg):
		return "", after, &apiservercel.Error{Detail: "messageExpression should not contain line breaks"}
	case msg == "":
		return "", after, &apiservercel.Error{Detail: "messageExpression should evaluate to a non-empty string"}
	}
	return msg, after, nil
}

func ruleMessageOrDefault(rule apiextensions.ValidationRule) string {
	if rule.Message == "" {
		return fmt.Sprintf("failed rule: %s", ruleErrorString(rule))
	}
	return strings.TrimSpace(rule.Message)
}

func ruleErrorString(rule apiextensions.ValidationRule) string {
	if rule.Message != "" {
		return strings.TrimSpace(rule.Message)
	}
	return strings.TrimSpace(rule.Rule)
}
