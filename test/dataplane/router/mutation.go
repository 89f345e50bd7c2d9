package router

import (
	"fmt"
	"regexp"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
)

// headerAdd is one compiled HeaderValueOption.
type headerAdd struct {
	key       string
	value     string
	action    corev3.HeaderValueOption_HeaderAppendAction
	keepEmpty bool
}

// headerParser is one level's headers_to_add and headers_to_remove, as
// Envoy's HeaderParser. A nil parser changes nothing.
type headerParser struct {
	add    []headerAdd
	remove []string
}

// mutationFields names the four header mutation fields of one level
// ("request_headers_to_add", ...).
type mutationFields struct{ add, remove string }

var (
	requestMutationFields  = mutationFields{"request_headers_to_add", "request_headers_to_remove"}
	responseMutationFields = mutationFields{"response_headers_to_add", "response_headers_to_remove"}
)

// compileHeaderParser validates one level's mutations as Envoy's
// HeaderParser::configure does: no ":"-prefixed or host header may be
// added or removed, append and a non-default append_action may not be set
// together, and each value is a substitution format string of which only
// literal text (with "%%" for "%") is implemented.
func compileHeaderParser(adds []*corev3.HeaderValueOption, removes []string, path string,
	f mutationFields) (*headerParser, error) {
	if len(adds) == 0 && len(removes) == 0 {
		return nil, nil
	}
	p := &headerParser{}
	for i, o := range adds {
		at := fmt.Sprintf("%s[%d]", joinPath(path, f.add), i)
		a, err := compileHeaderAdd(o, at)
		if err != nil {
			return nil, err
		}
		p.add = append(p.add, a)
	}
	for i, name := range removes {
		if !modifiableHeader(name) {
			return nil, fmt.Errorf("%s[%d]: invalid: :-prefixed or host headers may not be removed",
				joinPath(path, f.remove), i)
		}
		p.remove = append(p.remove, strings.ToLower(name))
	}
	return p, nil
}

func compileHeaderAdd(o *corev3.HeaderValueOption, path string) (headerAdd, error) {
	key := o.GetHeader().GetKey()
	if !modifiableHeader(key) {
		return headerAdd{}, fmt.Errorf("%s: invalid: :-prefixed or host headers may not be modified",
			joinPath(path, "header.key"))
	}
	action := o.GetAppendAction()
	//nolint:staticcheck // append is deprecated but accepted by Envoy (warning only), so implemented
	if appendValue := o.GetAppend(); appendValue != nil {
		if action != corev3.HeaderValueOption_APPEND_IF_EXISTS_OR_ADD {
			return headerAdd{}, fmt.Errorf("%s: invalid: both append and append_action are set and it's not allowed", path)
		}
		if !appendValue.GetValue() {
			action = corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD
		}
	}
	value, err := literalFormat(o.GetHeader().GetValue(), joinPath(path, "header.value"))
	if err != nil {
		return headerAdd{}, err
	}
	return headerAdd{key: strings.ToLower(key), value: value, action: action, keepEmpty: o.GetKeepEmptyValue()}, nil
}

// modifiableHeader is Envoy's HeaderUtility::isModifiableHeader (and
// isRemovableHeader): not a pseudo-header and not host.
func modifiableHeader(name string) bool {
	return !strings.HasPrefix(name, ":") && !strings.EqualFold(name, "host")
}

// commandPattern is the shape of a substitution command in Envoy's format
// strings: %NAME%, %NAME(args)%, %NAME(args):length%.
var commandPattern = regexp.MustCompile(`^%[A-Z0-9_]+(\([^)]*\))?(:[0-9]+)?%`)

// literalFormat parses a header value the way Envoy's substitution
// formatter does and returns its literal text. "%%" is a literal "%"; a
// valid command such as %REQ(x)% is not implemented here; any other "%"
// is a configuration Envoy rejects.
func literalFormat(format, path string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(format); {
		if format[i] != '%' {
			b.WriteByte(format[i])
			i++
			continue
		}
		if i+1 < len(format) && format[i+1] == '%' {
			b.WriteByte('%')
			i += 2
			continue
		}
		if cmd := commandPattern.FindString(format[i:]); cmd != "" {
			return "", fmt.Errorf("%s: substitution command %s is not implemented by the test data plane", path, cmd)
		}
		return "", fmt.Errorf("%s: invalid: %q is not a valid format string: no valid command at position %d "+
			"(a literal %% is written %%%%)", path, format, i)
	}
	return b.String(), nil
}

// apply evaluates the parser on h as Envoy's HeaderParser::evaluateHeaders:
// removals first; then every addition is decided against the headers as
// they are after the removals (ADD_IF_ABSENT and OVERWRITE_IF_EXISTS look
// at them, not at this level's own additions); overwrites are applied
// before appends; an empty value is skipped unless keep_empty_value.
func (p *headerParser) apply(h Headers) {
	if p == nil {
		return
	}
	for _, name := range p.remove {
		h.Del(name)
	}
	var appends, overwrites []headerAdd
	for _, a := range p.add {
		if a.value == "" && !a.keepEmpty {
			continue
		}
		switch a.action {
		case corev3.HeaderValueOption_APPEND_IF_EXISTS_OR_ADD:
			appends = append(appends, a)
		case corev3.HeaderValueOption_ADD_IF_ABSENT:
			if !h.Has(a.key) {
				appends = append(appends, a)
			}
		case corev3.HeaderValueOption_OVERWRITE_IF_EXISTS:
			if h.Has(a.key) {
				overwrites = append(overwrites, a)
			}
		case corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD:
			overwrites = append(overwrites, a)
		}
	}
	for _, a := range overwrites {
		h.Set(a.key, a.value)
	}
	for _, a := range appends {
		h.Add(a.key, a.value)
	}
}
