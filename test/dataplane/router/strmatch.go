package router

import (
	"fmt"
	"regexp"
	"strings"

	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
)

// stringMatch is a compiled envoy.type.matcher.v3.StringMatcher.
type stringMatch func(string) bool

// compileStringMatcher follows Envoy's StringMatcherImpl: exact, prefix,
// suffix and contains compare bytes, or ASCII case-insensitively with
// ignore_case; safe_regex must match the whole value (RE2 FullMatch) and
// rejects ignore_case ("ignore_case has no effect for safe_regex").
func compileStringMatcher(m *matcherv3.StringMatcher, path string) (stringMatch, error) {
	fold := m.GetIgnoreCase()
	switch p := m.GetMatchPattern().(type) {
	case *matcherv3.StringMatcher_Exact:
		want := p.Exact
		if fold {
			lw := asciiLower(want)
			return func(v string) bool { return asciiLower(v) == lw }, nil
		}
		return func(v string) bool { return v == want }, nil
	case *matcherv3.StringMatcher_Prefix:
		want := p.Prefix
		if fold {
			return func(v string) bool { return hasPrefixFold(v, want) }, nil
		}
		return func(v string) bool { return strings.HasPrefix(v, want) }, nil
	case *matcherv3.StringMatcher_Suffix:
		want := p.Suffix
		if fold {
			return func(v string) bool { return hasSuffixFold(v, want) }, nil
		}
		return func(v string) bool { return strings.HasSuffix(v, want) }, nil
	case *matcherv3.StringMatcher_Contains:
		want := p.Contains
		if fold {
			lw := asciiLower(want)
			return func(v string) bool { return strings.Contains(asciiLower(v), lw) }, nil
		}
		return func(v string) bool { return strings.Contains(v, want) }, nil
	case *matcherv3.StringMatcher_SafeRegex:
		if fold {
			return nil, fmt.Errorf("%s: invalid: ignore_case has no effect for safe_regex", joinPath(path, "ignore_case"))
		}
		re, err := compileRegex(p.SafeRegex, joinPath(path, "safe_regex"))
		if err != nil {
			return nil, err
		}
		return re.fullMatch, nil
	}
	return nil, fmt.Errorf("%s: invalid: no match pattern", path)
}

// compiledRegex is an RE2 regular expression compiled with Go's regexp,
// whose syntax is RE2's. Envoy also rejects programs larger than its
// re2.max_program_size.error_level runtime value (100 by default); Go does
// not compute RE2's program size, so that limit is not enforced here.
type compiledRegex struct {
	source string
	full   *regexp.Regexp
	search *regexp.Regexp
}

func compileRegex(m *matcherv3.RegexMatcher, path string) (*compiledRegex, error) {
	src := m.GetRegex()
	search, err := regexp.Compile(src)
	if err != nil {
		return nil, fmt.Errorf("%s: invalid: regex %q does not compile: %v", joinPath(path, "regex"), src, err)
	}
	full := regexp.MustCompile(`\A(?:` + src + `)\z`)
	return &compiledRegex{source: src, full: full, search: search}, nil
}

// fullMatch is RE2::FullMatch.
func (r *compiledRegex) fullMatch(v string) bool { return r.full.MatchString(v) }

func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}, s)
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && asciiLower(s[:len(prefix)]) == asciiLower(prefix)
}

func hasSuffixFold(s, suffix string) bool {
	return len(s) >= len(suffix) && asciiLower(s[len(s)-len(suffix):]) == asciiLower(suffix)
}
