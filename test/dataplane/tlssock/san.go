package tlssock

import (
	"crypto/x509"
	"fmt"
	"regexp"
	"strings"

	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
)

// sanMatcher is a compiled SubjectAltNameMatcher.
type sanMatcher struct {
	kind  tlsv3.SubjectAltNameMatcher_SanType
	match stringMatcher
}

func compileSANMatchers(in []*tlsv3.SubjectAltNameMatcher, path string) ([]sanMatcher, error) {
	out := make([]sanMatcher, 0, len(in))
	for i, m := range in {
		sm, err := compileStringMatcher(m.GetMatcher(), fmt.Sprintf("%s[%d].matcher", path, i))
		if err != nil {
			return nil, err
		}
		out = append(out, sanMatcher{kind: m.GetSanType(), match: sm})
	}
	return out, nil
}

// matchSANs reports whether any matcher matches any SAN of its type in
// cert (Envoy's DefaultCertValidator::matchSubjectAltName). A DNS SAN
// "*.example.com" matches an exact matcher "a.example.com", as Envoy's
// DNS matcher does for wildcard certificates.
func matchSANs(cert *x509.Certificate, matchers []sanMatcher) bool {
	for _, m := range matchers {
		for _, san := range sansOf(cert, m.kind) {
			if m.match.matches(san) {
				return true
			}
			if m.kind == tlsv3.SubjectAltNameMatcher_DNS && m.match.exact != nil && wildcardMatch(san, *m.match.exact) {
				return true
			}
		}
	}
	return false
}

func sansOf(cert *x509.Certificate, kind tlsv3.SubjectAltNameMatcher_SanType) []string {
	var out []string
	switch kind {
	case tlsv3.SubjectAltNameMatcher_DNS:
		out = cert.DNSNames
	case tlsv3.SubjectAltNameMatcher_EMAIL:
		out = cert.EmailAddresses
	case tlsv3.SubjectAltNameMatcher_URI:
		for _, u := range cert.URIs {
			out = append(out, u.String())
		}
	case tlsv3.SubjectAltNameMatcher_IP_ADDRESS:
		for _, ip := range cert.IPAddresses {
			out = append(out, ip.String())
		}
	}
	return out
}

// wildcardMatch reports whether a wildcard certificate name "*.rest"
// covers name: exactly one label before rest.
func wildcardMatch(pattern, name string) bool {
	rest, ok := strings.CutPrefix(pattern, "*.")
	if !ok {
		return false
	}
	label, tail, ok := strings.Cut(name, ".")
	return ok && label != "" && strings.EqualFold(tail, rest)
}

// stringMatcher is a compiled envoy.type.matcher.v3.StringMatcher.
type stringMatcher struct {
	exact, prefix, suffix, contains *string
	regex                           *regexp.Regexp
	ignoreCase                      bool
}

func compileStringMatcher(m *matcherv3.StringMatcher, path string) (stringMatcher, error) {
	sm := stringMatcher{ignoreCase: m.GetIgnoreCase()}
	switch p := m.GetMatchPattern().(type) {
	case *matcherv3.StringMatcher_Exact:
		sm.exact = &p.Exact
	case *matcherv3.StringMatcher_Prefix:
		sm.prefix = &p.Prefix
	case *matcherv3.StringMatcher_Suffix:
		sm.suffix = &p.Suffix
	case *matcherv3.StringMatcher_Contains:
		sm.contains = &p.Contains
	case *matcherv3.StringMatcher_SafeRegex:
		// ignore_case has no effect on safe_regex (Envoy's documentation).
		re, err := regexp.Compile("^(?:" + p.SafeRegex.GetRegex() + ")$")
		if err != nil {
			return sm, fmt.Errorf("%s.safe_regex.regex: invalid regex: %w", path, err)
		}
		sm.regex = re
	default:
		return sm, fmt.Errorf("%s: match_pattern: %s", path, "not implemented by the test data plane")
	}
	return sm, nil
}

func (m stringMatcher) matches(v string) bool {
	fold := func(s string) string {
		if m.ignoreCase {
			return strings.ToLower(s)
		}
		return s
	}
	switch {
	case m.exact != nil:
		return fold(v) == fold(*m.exact)
	case m.prefix != nil:
		return strings.HasPrefix(fold(v), fold(*m.prefix))
	case m.suffix != nil:
		return strings.HasSuffix(fold(v), fold(*m.suffix))
	case m.contains != nil:
		return strings.Contains(fold(v), fold(*m.contains))
	case m.regex != nil:
		return m.regex.MatchString(v)
	}
	return false
}
