package hcm

import (
	"strings"
)

// Path character classes of the URL canonicalizer Envoy uses for
// normalize_path (Chromium's url_canon_path.cc, the googleurl release
// Envoy vendors): pass unchanged, unescape when percent-encoded, escape,
// invalid (canonicalization fails), or special handling.
const (
	pathPass = iota
	pathUnescape
	pathEscape
	pathInvalid
	pathSpecial
)

// pathClass returns the class of an unescaped byte in a path.
func pathClass(c byte) int {
	switch {
	case c == 0:
		return pathInvalid
	case c < 0x20, c >= 0x7f:
		return pathEscape
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '~':
		return pathUnescape
	case c == '.', c == '\\', c == '%':
		return pathSpecial
	case strings.IndexByte(" \"#<>?^`{|}", c) >= 0:
		return pathEscape
	}
	return pathPass
}

// canonicalPath is Envoy's PathUtil::canonicalPath on a :path value:
// the part before '?' is canonicalized (dot segments removed, "%2e"
// counted as a dot, backslashes made slashes, percent-encoded unreserved
// characters decoded, characters not allowed in a path percent-encoded,
// other escapes kept as written), the query kept as is. Before that,
// path parameters are stripped from "." and ".." segments ("..;x" is
// "..", Envoy's strip_dotdot_segments_with_parameters). ok is false when
// the path cannot be canonicalized (a NUL byte, escaped or not): Envoy
// answers 400.
func canonicalPath(p string) (string, bool) {
	path, query, hasQuery := strings.Cut(p, "?")
	path = stripDotSegmentParameters(path)
	out, ok := canonicalize(path)
	if !ok {
		return "", false
	}
	if hasQuery {
		out += "?" + query
	}
	return out, true
}

// stripDotSegmentParameters turns "..;x" segments into ".." and ".;x"
// into ".".
func stripDotSegmentParameters(path string) string {
	if !strings.Contains(path, ".;") {
		return path
	}
	segs := strings.Split(path, "/")
	for i, s := range segs {
		switch {
		case strings.HasPrefix(s, "..;"):
			segs[i] = ".."
		case strings.HasPrefix(s, ".;"):
			segs[i] = "."
		}
	}
	return strings.Join(segs, "/")
}

// canonicalize is the canonicalizer's DoPartialPath over a path starting
// with a slash.
func canonicalize(in string) (string, bool) {
	var out []byte
	if in == "" || (in[0] != '/' && in[0] != '\\') {
		out = append(out, '/')
	}
	ok := true
	for i := 0; i < len(in); i++ {
		c := in[i]
		if pathClass(c) != pathSpecial {
			switch pathClass(c) {
			case pathInvalid:
				out = appendEscaped(out, c)
				ok = false
			case pathEscape:
				out = appendEscaped(out, c)
			default:
				out = append(out, c)
			}
			continue
		}
		if n := dotLen(in[i:]); n > 0 {
			i = handleDot(in, i, n, &out)
			continue
		}
		switch c {
		case '\\':
			out = append(out, '/')
		case '%':
			var good bool
			out, good = appendPercent(out, in, &i)
			ok = ok && good
		}
	}
	return string(out), ok
}

// handleDot deals with a dot (n bytes: "." or "%2e") at in[i]: a "." or
// ".." segment after a slash is resolved, any other dot is copied. It
// returns the index of the last byte consumed.
func handleDot(in string, i, n int, out *[]byte) int {
	if len(*out) == 0 || (*out)[len(*out)-1] != '/' {
		*out = append(*out, '.')
		return i + n - 1
	}
	rest := in[i+n:]
	switch {
	case rest == "":
		return i + n - 1 // "/." at the end
	case rest[0] == '/' || rest[0] == '\\':
		return i + n // "/./": skip the dot and the slash
	}
	if m := dotLen(rest); m > 0 {
		after := rest[m:]
		if after == "" || after[0] == '/' || after[0] == '\\' {
			backUp(out)
			if after == "" {
				return i + n + m - 1
			}
			return i + n + m
		}
	}
	*out = append(*out, '.')
	return i + n - 1
}

// backUp removes the last segment of out, which ends with a slash,
// keeping that slash's predecessor slash; it never goes above the root.
func backUp(out *[]byte) {
	o := *out
	j := len(o) - 1
	if j == 0 {
		return
	}
	for j--; j > 0 && o[j] != '/'; j-- {
	}
	*out = o[:j+1]
}

// dotLen is 1 for ".", 3 for "%2e" or "%2E", else 0.
func dotLen(s string) int {
	if strings.HasPrefix(s, ".") {
		return 1
	}
	if len(s) >= 3 && s[0] == '%' && s[1] == '2' && (s[2] == 'e' || s[2] == 'E') {
		return 3
	}
	return 0
}

// appendPercent handles a '%' at in[*i]: a valid escape of an unreserved
// character is decoded, of NUL fails, of anything else is copied as
// written; an invalid escape copies the '%' alone.
func appendPercent(out []byte, in string, i *int) ([]byte, bool) {
	if *i+2 >= len(in) || !isHex(in[*i+1]) || !isHex(in[*i+2]) {
		return append(out, '%'), true
	}
	v := unhex(in[*i+1])<<4 | unhex(in[*i+2])
	hi, lo := in[*i+1], in[*i+2]
	*i += 2
	switch pathClass(v) {
	case pathUnescape:
		return append(out, v), true
	case pathInvalid:
		return append(out, '%', hi, lo), false
	}
	return append(out, '%', hi, lo), true
}

func appendEscaped(out []byte, c byte) []byte {
	const hexDigits = "0123456789ABCDEF"
	return append(out, '%', hexDigits[c>>4], hexDigits[c&15])
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// mergeSlashes is Envoy's PathUtil::mergeSlashes: runs of slashes in the
// path (not the query) become one.
func mergeSlashes(p string) string {
	path, query, hasQuery := strings.Cut(p, "?")
	if !strings.Contains(path, "//") {
		return p
	}
	var b strings.Builder
	if strings.HasPrefix(path, "/") {
		b.WriteByte('/')
	}
	var segs []string
	for s := range strings.SplitSeq(path, "/") {
		if s != "" {
			segs = append(segs, s)
		}
	}
	b.WriteString(strings.Join(segs, "/"))
	if strings.HasSuffix(path, "/") {
		b.WriteByte('/')
	}
	if hasQuery {
		b.WriteString("?" + query)
	}
	return b.String()
}

// unescapeSlashes is Envoy's PathUtil::unescapeSlashes: %2F and %5C (any
// case) in the path become "/" and "\"; found says whether any was.
func unescapeSlashes(p string) (string, bool) {
	path, query, hasQuery := strings.Cut(p, "?")
	if !strings.Contains(path, "%") {
		return p, false
	}
	r := strings.NewReplacer("%2F", "/", "%2f", "/", "%5C", `\`, "%5c", `\`)
	out := r.Replace(path)
	found := out != path
	if hasQuery {
		out += "?" + query
	}
	return out, found
}
