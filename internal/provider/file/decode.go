package file

import (
	"context"
	"crypto/sha256"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/envoygw/envoy-gateway/internal/gatewayapi"
	"github.com/envoygw/envoy-gateway/internal/intern"
	"github.com/envoygw/envoy-gateway/internal/parallel"
	"github.com/envoygw/envoy-gateway/internal/validation"
)

// DefaultNamespace is the namespace of namespaced objects that name none.
const DefaultNamespace = "default"

// Source says where an object was read. An Object holds one (50,000 at
// 10,000 routes): 32-bit numbers make an Object 48 bytes, not 64.
type Source struct {
	File string `json:"file"`
	// Document is the 1-based index of the YAML document in the file.
	Document int32 `json:"document"`
	// Line is the 1-based line where the document starts.
	Line int32 `json:"line"`
}

// Object is one decoded, defaulted and validated object.
type Object struct {
	Source Source
	// kind is the object's kind (one of kinds), its group/version/kind
	// the translator reads it as: a pointer rather than the three strings
	// (an Object per object read: 50,000 at 10,000 routes).
	kind   *kind
	Object client.Object
}

// GVK is the group/version/kind the translator reads o as.
func (o Object) GVK() schema.GroupVersionKind { return o.kind.gvk }

// Problem is an error or a warning about one document (or one field of it).
type Problem struct {
	Source    `json:",inline"`
	Kind      string `json:"kind,omitempty"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name,omitempty"`
	// Field is the path of the offending field, empty when the whole document is at fault.
	Field string `json:"field,omitempty"`
	// FieldLine is the 1-based line of Field in the file (of its closest
	// parent when the field is absent, e.g. required), 0 when unknown.
	FieldLine int    `json:"fieldLine,omitempty"`
	Message   string `json:"message"`
}

// Error formats the problem as "file: document N (line L): Kind ns/name:
// field (line F): message", L being the line where the document starts.
func (p Problem) Error() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Document > 0 {
		fmt.Fprintf(&b, ": document %d (line %d)", p.Document, p.Line)
	}
	if p.Kind != "" {
		b.WriteString(": " + p.Kind + " ")
		if p.Namespace != "" {
			b.WriteString(p.Namespace + "/")
		}
		b.WriteString(p.Name)
	}
	if p.Field != "" {
		b.WriteString(": " + p.Field)
		if p.FieldLine > 0 {
			fmt.Fprintf(&b, " (line %d)", p.FieldLine)
		}
	}
	b.WriteString(": " + p.Message)
	return b.String()
}

// Parsed is the outcome of parsing one file. The provider keeps one per
// file (50,000 at 10,000 routes), nearly all without problems: those are
// apart.
type Parsed struct {
	Objects []Object
	// problems are the file's errors and warnings, nil when it has none.
	problems *fileProblems
}

// fileProblems are the problems of a file.
type fileProblems struct {
	errors, warnings []Problem
}

// Errors make the file invalid as a whole.
func (p *Parsed) Errors() []Problem {
	if p.problems == nil {
		return nil
	}
	return p.problems.errors
}

// Warnings are documents ignored without invalidating the file (kinds the
// translator does not read).
func (p *Parsed) Warnings() []Problem {
	if p.problems == nil {
		return nil
	}
	return p.problems.warnings
}

// addProblems adds errors and warnings to p's.
func (p *Parsed) addProblems(errors, warnings []Problem) {
	if len(errors) == 0 && len(warnings) == 0 {
		return
	}
	if p.problems == nil {
		p.problems = &fileProblems{}
	}
	p.problems.errors = append(p.problems.errors, errors...)
	p.problems.warnings = append(p.problems.warnings, warnings...)
}

// ParseOptions configure Parse.
type ParseOptions struct {
	// Validator checks objects; nil means validation.Default().
	Validator *validation.Validator
	// Workers bound how many documents are decoded at once; 0 means GOMAXPROCS.
	Workers int
	// Cache, when set, reuses the outcome of documents seen in the previous
	// parse of the same file, so editing one document of a file of several
	// re-validates that document only.
	Cache *DocumentCache
	// Values, when set, holds the values the objects share (see package
	// intern); nil means a table for this parse only.
	Values *intern.Table
}

// DocumentCache remembers, per file, the outcome of each document by content
// (validation depends on nothing else). It is not safe for concurrent Parse calls.
// One map holds the documents of every file (a map per file cost about
// a kilobyte for its single document: 50 MB at 50,000 files).
type DocumentCache struct {
	docs map[docKey]docResult
	// keys are the content hashes of each file's cached documents.
	keys map[string][][sha256.Size]byte
}

// docKey is a document of a file, by content.
type docKey struct {
	file string
	sum  [sha256.Size]byte
}

// NewDocumentCache returns an empty cache.
func NewDocumentCache() *DocumentCache {
	return &DocumentCache{docs: map[docKey]docResult{}, keys: map[string][][sha256.Size]byte{}}
}

// Forget drops a file's entries (the file is gone).
func (c *DocumentCache) Forget(file string) {
	for _, k := range c.keys[file] {
		delete(c.docs, docKey{file: file, sum: k})
	}
	delete(c.keys, file)
}

// lookup returns the cached outcome of a document, moved to src.
func (c *DocumentCache) lookup(file string, key [sha256.Size]byte, src Source) (docResult, bool) {
	r, ok := c.docs[docKey{file: file, sum: key}]
	if !ok {
		return docResult{}, false
	}
	return r.at(src), true
}

// store remembers a document's outcome.
func (c *DocumentCache) store(file string, key [sha256.Size]byte, r docResult) {
	k := docKey{file: file, sum: key}
	if _, ok := c.docs[k]; !ok {
		c.keys[file] = append(c.keys[file], key)
	}
	c.docs[k] = r
}

// at returns the result with every source set to src (and field lines
// moved with the document).
func (r docResult) at(src Source) docResult {
	out := docResult{
		objects:  make([]Object, len(r.objects)),
		errors:   make([]Problem, len(r.errors)),
		warnings: make([]Problem, len(r.warnings)),
	}
	for i, o := range r.objects {
		o.Source = src
		out.objects[i] = o
	}
	for i, p := range r.errors {
		out.errors[i] = p.at(src)
	}
	for i, p := range r.warnings {
		out.warnings[i] = p.at(src)
	}
	return out
}

// at returns p moved to src.
func (p Problem) at(src Source) Problem {
	if p.FieldLine > 0 {
		p.FieldLine += int(src.Line - p.Line)
	}
	p.Source = src
	return p
}

// FileData is the content of one file.
type FileData struct {
	Name string
	Data []byte
}

// Parse decodes, defaults and validates every document of the files, using
// several goroutines. The result is in input order, one Parsed per file.
func Parse(ctx context.Context, files []FileData, opts ParseOptions) ([]*Parsed, error) {
	v := opts.Validator
	if v == nil {
		var err error
		if v, err = validation.Default(); err != nil {
			return nil, err
		}
	}
	type job struct {
		file   int
		src    Source
		data   []byte
		key    [sha256.Size]byte
		cached bool
		// keep is set when the outcome goes into the cache: a document of
		// a file of several (a file of one is parsed again when its one
		// document changed, seldom otherwise, and 50,000 such files would
		// cost the cache about 12 MB).
		keep bool
	}
	var jobs []job
	var results []docResult
	for i, f := range files {
		docs := splitDocuments(f.Data)
		for _, d := range docs {
			j := job{file: i, src: Source{File: f.Name, Document: int32(d.Index), Line: int32(d.Line)}, data: d.Data}
			var r docResult
			if opts.Cache != nil && len(docs) > 1 {
				j.key, j.keep = sha256.Sum256(d.Data), true
				r, j.cached = opts.Cache.lookup(f.Name, j.key, j.src)
			}
			jobs = append(jobs, j)
			results = append(results, r)
		}
	}
	// Two passes: every document is validated before any is converted to
	// its Go type (see docResult.encoded).
	parallel.For(len(jobs), opts.Workers, func(i int) {
		if !jobs[i].cached {
			results[i] = decodeDocument(ctx, v, jobs[i].src, jobs[i].data)
		}
	})
	values := opts.Values
	if values == nil {
		values = &intern.Table{}
	}
	parallel.For(len(jobs), opts.Workers, func(i int) {
		if !jobs[i].cached {
			results[i].decodeTyped(values)
		}
	})
	if opts.Cache != nil {
		for _, f := range files {
			opts.Cache.Forget(f.Name)
		}
		for i, j := range jobs {
			if j.keep {
				opts.Cache.store(files[j.file].Name, j.key, results[i])
			}
		}
	}
	out := make([]*Parsed, len(files))
	for i := range out {
		out[i] = &Parsed{}
	}
	for i, r := range results {
		p := out[jobs[i].file]
		p.Objects = append(p.Objects, r.objects...)
		p.addProblems(r.errors, r.warnings)
	}
	return out, nil
}

// docResult is what one document yields.
type docResult struct {
	objects  []Object
	errors   []Problem
	warnings []Problem
	// encoded are the validated objects, as JSON, that decodeTyped is yet
	// to convert to their Go types (the objects' Object fields are nil
	// until then). Converting them apart from the validation, after every
	// document is validated, keeps the objects away from the validation's
	// garbage: decoded among it, each object's small allocations shared
	// memory pages with the garbage, which the runtime then could not
	// return (at 50,000 files, as much unused memory as objects).
	encoded []encodedObject
}

// encodedObject is a validated object in JSON, and the problem reported
// if it does not convert to its Go type.
type encodedObject struct {
	json    []byte
	problem Problem
}

// decodeTyped converts the encoded objects to their Go types, their
// repeated values shared through values; one that does not convert is
// left out, with an error.
func (r *docResult) decodeTyped(values *intern.Table) {
	if len(r.encoded) == 0 {
		return
	}
	objects := r.objects[:0]
	for i, o := range r.objects {
		e := r.encoded[i]
		k := o.kind
		obj := k.newObject()
		if err := utiljson.Unmarshal(e.json, obj); err != nil {
			e.problem.Message = err.Error()
			r.errors = append(r.errors, e.problem)
			continue
		}
		setTypeMeta(obj, k)
		if s, ok := obj.(*discoveryv1.EndpointSlice); ok {
			gatewayapi.ClipEndpoints(s)
		}
		values.Object(obj)
		o.Object = obj
		objects = append(objects, o)
	}
	r.objects, r.encoded = objects, nil
}

// setTypeMeta gives obj its kind's TypeMeta, whose strings every object
// of the kind shares.
func setTypeMeta(obj client.Object, k *kind) {
	if tm, ok := obj.GetObjectKind().(*metav1.TypeMeta); ok {
		*tm = k.typeMeta
		return
	}
	obj.GetObjectKind().SetGroupVersionKind(k.gvk)
}

// decodeDocument turns one YAML document (an object or a List of objects)
// into validated objects.
func decodeDocument(ctx context.Context, v *validation.Validator, src Source, data []byte) docResult {
	content, err := toUnstructured(data)
	if err != nil {
		return docResult{errors: []Problem{{Source: src, Message: absoluteYAMLLine(err.Error(), int(src.Line))}}}
	}
	res := decodeContent(ctx, v, src, content)
	setFieldLines(res.errors, data, int(src.Line))
	return res
}

// setFieldLines sets the line of the field of each problem, parsing the
// document again for its node positions (only documents with errors).
func setFieldLines(problems []Problem, data []byte, start int) {
	var lines *documentLines
	for i := range problems {
		if problems[i].Field == "" {
			continue
		}
		if lines == nil {
			if lines = newDocumentLines(data, start); lines == nil {
				return
			}
		}
		problems[i].FieldLine = lines.line(problems[i].Field)
	}
}

// decodeContent validates the object or List of objects of a document.
func decodeContent(ctx context.Context, v *validation.Validator, src Source, content map[string]any) docResult {
	u := &unstructured.Unstructured{Object: content}
	if !u.IsList() {
		return decodeObject(ctx, v, src, u, nil)
	}
	var res docResult
	items, _, _ := unstructured.NestedSlice(content, "items")
	for i, item := range items {
		m, ok := item.(map[string]any)
		if !ok {
			res.errors = append(res.errors, Problem{Source: src, Field: fmt.Sprintf("items[%d]", i), Message: "must be an object"})
			continue
		}
		r := decodeObject(ctx, v, src, &unstructured.Unstructured{Object: m}, field.NewPath("items").Index(i))
		res.objects = append(res.objects, r.objects...)
		res.encoded = append(res.encoded, r.encoded...)
		res.errors = append(res.errors, r.errors...)
		res.warnings = append(res.warnings, r.warnings...)
	}
	return res
}

// yamlLine finds the document-relative line numbers of YAML parser errors.
var yamlLine = regexp.MustCompile(`\bline (\d+):`)

// absoluteYAMLLine rewrites "line N:" in a YAML error to the line in the
// file, given the line where the document starts.
func absoluteYAMLLine(msg string, start int) string {
	return yamlLine.ReplaceAllStringFunc(msg, func(m string) string {
		n, err := strconv.Atoi(yamlLine.FindStringSubmatch(m)[1])
		if err != nil {
			return m
		}
		return fmt.Sprintf("line %d:", n+start-1)
	})
}

// toUnstructured decodes YAML (or JSON) into unstructured content with
// int64 numbers, rejecting duplicate keys, as kubectl sends it.
func toUnstructured(data []byte) (map[string]any, error) {
	js, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		return nil, fmt.Errorf("invalid YAML: %w", err)
	}
	var content map[string]any
	if err := utiljson.Unmarshal(js, &content); err != nil {
		return nil, fmt.Errorf("not an object: %w", err)
	}
	if content == nil {
		return nil, fmt.Errorf("not an object")
	}
	return content, nil
}

// decodeObject validates one object and converts it to its Go type. base is
// the path of the object inside a List, nil at the document root.
func decodeObject(ctx context.Context, v *validation.Validator, src Source, u *unstructured.Unstructured, base *field.Path) docResult {
	gvk := u.GroupVersionKind()
	problem := func(fieldPath, msg string) Problem {
		return Problem{Source: src, Kind: gvk.Kind, Namespace: u.GetNamespace(), Name: u.GetName(),
			Field: joinPath(base, fieldPath), Message: msg}
	}
	if gvk.Kind == "" || gvk.Version == "" {
		return docResult{errors: []Problem{problem("", "apiVersion and kind are required")}}
	}
	k, ok := translatorKind(gvk)
	if !ok {
		if msg := unknownKind(v, gvk); msg != "" {
			return docResult{errors: []Problem{problem("kind", msg)}}
		}
		return docResult{warnings: []Problem{problem("", fmt.Sprintf("kind %s is not read by the translator: ignored", gvk.GroupVersion().String()+" "+gvk.Kind))}}
	}
	if !v.Known(gvk) {
		return docResult{errors: []Problem{problem("apiVersion", fmt.Sprintf("%s is not a served version of %s (use %s)", gvk.GroupVersion(), gvk.Kind, k.gvk.GroupVersion()))}}
	}
	if v.Namespaced(gvk) {
		if u.GetNamespace() == "" {
			u.SetNamespace(DefaultNamespace)
		}
	} else {
		u.SetNamespace("")
	}
	if errs := v.Validate(ctx, u); len(errs) > 0 {
		res := docResult{}
		for _, e := range errs {
			res.errors = append(res.errors, problem(e.Field, errorMessage(e)))
		}
		return res
	}
	u.SetGroupVersionKind(k.gvk)
	encoded, err := utiljson.Marshal(u.Object)
	if err != nil {
		return docResult{errors: []Problem{problem("", err.Error())}}
	}
	return docResult{
		objects: []Object{{Source: src, kind: k}},
		encoded: []encodedObject{{json: encoded, problem: problem("", "")}},
	}
}

// errorMessage is a field error without its field path (kept apart in Problem.Field).
func errorMessage(e *field.Error) string {
	return strings.TrimPrefix(e.ErrorBody(), ": ")
}

func joinPath(base *field.Path, p string) string {
	switch {
	case base == nil:
		return p
	case p == "" || p == "<nil>":
		return base.String()
	case strings.HasPrefix(p, "["):
		return base.String() + p
	}
	return base.String() + "." + p
}

// objectKey identifies an object across files: its kind's name (the kinds
// the File provider reads have distinct names, see kinds), namespace and
// name. The provider keeps one per object (50,000 at 10,000 routes), the
// kind's name instead of its group, version and kind: 32 bytes less each.
type objectKey struct {
	Kind      string
	Namespace string
	Name      string
}

func keyOf(o Object) objectKey {
	return objectKey{Kind: o.kind.gvk.Kind, Namespace: o.Object.GetNamespace(), Name: o.Object.GetName()}
}
