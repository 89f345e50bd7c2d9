package translate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/envoygw/envoy-gateway/internal/gatewayapi"
	"github.com/envoygw/envoy-gateway/internal/provider/file"
	"github.com/envoygw/envoy-gateway/internal/xds/translator"
)

// Targets of the translation (--to).
const (
	ToGatewayAPI = "gateway-api"
	ToIR         = "ir"
	ToXds        = "xds"
)

// Output formats (-o).
const (
	FormatYAML = "yaml"
	FormatJSON = "json"
)

// Options configure a translation.
type Options struct {
	// ControllerName is the GatewayClass controllerName served; empty means
	// the default one.
	ControllerName string
	// To is ToGatewayAPI, ToIR or ToXds.
	To string
	// Format is FormatYAML or FormatJSON.
	Format string
	// Types selects the xDS resource types printed (see ResourceTypes);
	// empty means all of them.
	Types []string
	// Parse configures input parsing.
	Parse file.ParseOptions
}

// Validate checks the options.
func (o Options) Validate() error {
	var errs []error
	if !slices.Contains([]string{ToGatewayAPI, ToIR, ToXds}, o.To) {
		errs = append(errs, fmt.Errorf("--to %q: must be one of %s, %s, %s", o.To, ToGatewayAPI, ToIR, ToXds))
	}
	if o.Format != FormatYAML && o.Format != FormatJSON {
		errs = append(errs, fmt.Errorf("-o %q: must be %s or %s", o.Format, FormatYAML, FormatJSON))
	}
	for _, t := range o.Types {
		if t != TypeAll && !slices.Contains(ResourceTypes, t) {
			errs = append(errs, fmt.Errorf("--type %q: must be one of %s, %s", t, strings.Join(ResourceTypes, ", "), TypeAll))
		}
	}
	return errors.Join(errs...)
}

// Output is the printed translation and what was noticed on the way.
type Output struct {
	Data []byte
	// Warnings are ignored documents and parts of the configuration the
	// xDS translator left out.
	Warnings []string
}

// InputError reports invalid input: every problem found, with file,
// document and field.
type InputError struct {
	Problems []file.Problem
}

func (e *InputError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.Error()
	}
	return fmt.Sprintf("invalid input (%d errors):\n%s", len(e.Problems), strings.Join(lines, "\n"))
}

// Translate parses and validates the files, translates them and formats
// the result. Invalid input returns an *InputError.
func Translate(ctx context.Context, files []file.FileData, opts Options) (*Output, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	parsed, err := file.Parse(ctx, files, opts.Parse)
	if err != nil {
		return nil, err
	}
	out := &Output{}
	var problems []file.Problem
	for _, p := range parsed {
		problems = append(problems, p.Errors()...)
		for _, w := range p.Warnings() {
			out.Warnings = append(out.Warnings, w.Error())
		}
	}
	res, duplicates := file.Build(parsed, nil)
	problems = append(problems, duplicates...)
	if len(problems) > 0 {
		return nil, &InputError{Problems: problems}
	}
	if !slices.ContainsFunc(parsed, func(p *file.Parsed) bool { return len(p.Objects) > 0 }) {
		return nil, errors.New("the input holds no object the translator reads (Gateway API and EnvoyProxy objects, " +
			"Namespaces, Services, EndpointSlices, Secrets): nothing to translate")
	}
	result := gatewayapi.Translate(res, gatewayapi.Options{ControllerName: opts.ControllerName, DataPlane: translator.Checks{}})
	// The endpoints snapshot the server would be given (every EndpointSlice
	// of the input), translated as the xDS runner translates it.
	eps := gatewayapi.TranslateEndpoints(file.EndpointsOf(res))
	var doc any
	switch opts.To {
	case ToGatewayAPI:
		list, err := gatewayAPIDocument(parsed, result)
		if err != nil {
			return nil, err
		}
		if opts.Format == FormatYAML {
			out.Data, err = MarshalStream(list.Items)
			return out, err
		}
		doc = list
	case ToIR:
		doc = irDocument(result, eps)
	case ToXds:
		var warnings []string
		doc, warnings, err = XdsDocument(result, eps, opts.Types)
		out.Warnings = append(out.Warnings, warnings...)
	}
	if err != nil {
		return nil, err
	}
	out.Data, err = Marshal(doc, opts.Format)
	return out, err
}
