package router

import (
	"fmt"
	"regexp"
	"strings"

	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
)

// rewriteRegex is a compiled RegexMatchAndSubstitute, applied as RE2's
// GlobalReplace: every non-overlapping match is replaced; "\N" in the
// substitution is capture group N and "\\" a backslash.
type rewriteRegex struct {
	re       *regexp.Regexp
	template string
	// noop is set when the substitution names a group the pattern does not
	// have: RE2's GlobalReplace then refuses to replace anything.
	noop bool
}

func compileRewriteRegex(m *matcherv3.RegexMatchAndSubstitute, path string) (*rewriteRegex, error) {
	re, err := compileRegex(m.GetPattern(), joinPath(path, "pattern"))
	if err != nil {
		return nil, err
	}
	template, maxGroup, err := re2Template(m.GetSubstitution())
	if err != nil {
		return nil, fmt.Errorf("%s: %v", joinPath(path, "substitution"), err)
	}
	return &rewriteRegex{re: re.search, template: template, noop: maxGroup > re.search.NumSubexp()}, nil
}

// re2Template turns an RE2 rewrite string into a Go regexp template and
// returns the highest group it references.
func re2Template(sub string) (string, int, error) {
	var b strings.Builder
	maxGroup := 0
	for i := 0; i < len(sub); i++ {
		c := sub[i]
		switch {
		case c == '$':
			b.WriteString("$$")
		case c != '\\':
			b.WriteByte(c)
		case i+1 < len(sub) && sub[i+1] == '\\':
			b.WriteByte('\\')
			i++
		case i+1 < len(sub) && sub[i+1] >= '0' && sub[i+1] <= '9':
			n := int(sub[i+1] - '0')
			maxGroup = max(maxGroup, n)
			fmt.Fprintf(&b, "${%d}", n)
			i++
		default:
			return "", 0, fmt.Errorf("invalid: %q is not a valid RE2 rewrite string (a backslash must be followed by a digit "+
				"or a backslash); RE2 refuses it at request time, which the test data plane does not emulate", sub)
		}
	}
	return b.String(), maxGroup, nil
}

// replaceAll is Envoy's CompiledGoogleReMatcher::replaceAll.
func (r *rewriteRegex) replaceAll(s string) string {
	if r.noop {
		return s
	}
	return r.re.ReplaceAllString(s, r.template)
}

// rewritePath is Envoy's rewritePathByPrefixOrRegex: a prefix rewrite
// replaces the matched part at the start of the path (query string kept);
// a regex rewrite replaces matches in the path without its query string
// and fragment, then appends them again; "" means no rewrite (none
// configured, or the regex produced an empty path).
func rewritePath(path, matched, prefix string, re *rewriteRegex) string {
	if prefix != "" {
		return prefix + path[len(matched):]
	}
	if re != nil {
		only := removeQueryAndFragment(path)
		rewritten := re.replaceAll(only)
		if rewritten == "" {
			return ""
		}
		return rewritten + path[len(only):]
	}
	return ""
}
