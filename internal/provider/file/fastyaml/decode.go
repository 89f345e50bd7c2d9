package fastyaml

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// YAMLToUnstructured reads one YAML document holding a mapping into the
// value that sigs.k8s.io/yaml.YAMLToJSONStrict followed by
// k8s.io/apimachinery/pkg/util/json.Unmarshal gives (maps, slices, strings,
// bool, int64, nil), without yaml.v2's parser and the JSON round trip.
//
// It handles block mappings and sequences (indentless sequences and
// mappings in sequence items included), comments, plain scalars on one
// line and quoted scalars with simple escapes. ok is false for anything
// else: flow collections, block scalars, anchors, aliases, tags, multi-line
// scalars, floats and other numbers but plain decimal integers, keys that
// are not strings, duplicate keys, tabs, carriage returns, control
// characters, a document that is not a mapping, and every syntax error.
func YAMLToUnstructured(data []byte) (obj map[string]any, ok bool) {
	if !plainText(data) {
		return nil, false
	}
	d := decoder{src: string(data)}
	d.next()
	if d.eof || d.line.indent != 0 || isSequenceEntry(d.line.text) {
		return nil, false
	}
	v, ok := d.mapping(0, 0)
	if !ok || !d.eof {
		return nil, false
	}
	return v, true
}

// plainText reports whether data holds only printable characters the
// yaml.v2 reader takes as they are: no tabs, carriage returns, control
// characters, byte order marks or line breaks other than \n.
func plainText(data []byte) bool {
	for i := 0; i < len(data); {
		c := data[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\n' || c == 0x7F {
				return false
			}
			i++
			continue
		}
		r, w := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && w <= 1 || !yamlReadable(r) || r == 0xFEFF || r == 0x85 || r == 0x2028 || r == 0x2029 {
			return false
		}
		i += w
	}
	return true
}

// yamlReadable reports whether the yaml.v2 reader accepts r in its input.
func yamlReadable(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D || r >= 0x20 && r <= 0x7E || r == 0x85 ||
		r >= 0xA0 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

// maxNesting bounds the depth of the collections read.
const maxNesting = 100

// line is the current content line: its indentation and its text after the
// indentation (a part of a line after "- " counts as a line of its own).
type line struct {
	indent int
	text   string
}

type decoder struct {
	src  string
	pos  int // start of the next physical line
	line line
	eof  bool
}

// next moves to the next line holding content (not blank, not a comment).
func (d *decoder) next() {
	for d.pos < len(d.src) {
		end := strings.IndexByte(d.src[d.pos:], '\n')
		var raw string
		if end < 0 {
			raw = d.src[d.pos:]
			d.pos = len(d.src)
		} else {
			raw = d.src[d.pos : d.pos+end]
			d.pos += end + 1
		}
		indent := 0
		for indent < len(raw) && raw[indent] == ' ' {
			indent++
		}
		text := strings.TrimRight(raw[indent:], " ")
		if text == "" || text[0] == '#' {
			continue
		}
		d.line = line{indent: indent, text: text}
		return
	}
	d.eof = true
	d.line = line{indent: -1}
}

// isSequenceEntry reports whether text starts a block sequence entry.
func isSequenceEntry(text string) bool {
	return text == "-" || strings.HasPrefix(text, "- ")
}

// mapping reads a block mapping whose keys are at indent, starting at the
// current line. depth counts the enclosing collections.
func (d *decoder) mapping(indent, depth int) (map[string]any, bool) {
	if depth > maxNesting {
		return nil, false
	}
	m := make(map[string]any, 4)
	for !d.eof && d.line.indent == indent {
		text := d.line.text
		if isSequenceEntry(text) {
			return nil, false // a sequence entry among keys
		}
		key, rest, ok := splitKey(text)
		if !ok {
			return nil, false
		}
		if _, dup := m[key]; dup {
			return nil, false // strict decoding rejects it
		}
		var v any
		if rest == "" {
			d.next()
			v, ok = d.nested(indent, depth, true)
		} else {
			v, ok = scalar(rest)
			if ok {
				d.next()
				ok = d.line.indent <= indent // no continuation lines
			}
		}
		if !ok {
			return nil, false
		}
		m[key] = v
	}
	if d.line.indent > indent {
		return nil, false
	}
	return m, true
}

// nested reads the block node that is the value of a key or a sequence
// entry with nothing after its indicator, at the current line: a
// collection indented deeper than parent, an indentless sequence (for a
// key's value) or, when there is neither, null.
func (d *decoder) nested(parent, depth int, keyValue bool) (any, bool) {
	switch {
	case d.eof || d.line.indent < parent:
		return nil, true
	case d.line.indent == parent:
		if keyValue && isSequenceEntry(d.line.text) {
			return d.sequence(parent, depth+1)
		}
		return nil, true
	case isSequenceEntry(d.line.text):
		return d.sequence(d.line.indent, depth+1)
	}
	return d.mapping(d.line.indent, depth+1)
}

// sequence reads a block sequence whose "-" indicators are at indent.
func (d *decoder) sequence(indent, depth int) ([]any, bool) {
	if depth > maxNesting {
		return nil, false
	}
	var items []any
	for !d.eof && d.line.indent == indent && isSequenceEntry(d.line.text) {
		rest := strings.TrimLeft(d.line.text[1:], " ")
		if rest == "" || rest[0] == '#' {
			d.next()
			v, ok := d.nested(indent, depth, false)
			if !ok {
				return nil, false
			}
			items = append(items, v)
			continue
		}
		if isSequenceEntry(rest) || rest[0] == '?' {
			return nil, false // "- - a", complex keys
		}
		if _, _, isKey := splitKey(rest); isKey {
			// A mapping starting on the entry's line, its keys at the
			// column of the first one.
			d.line = line{indent: len(d.line.text) - len(rest) + indent, text: rest}
			v, ok := d.mapping(d.line.indent, depth+1)
			if !ok {
				return nil, false
			}
			items = append(items, v)
			continue
		}
		v, ok := scalar(rest)
		if !ok {
			return nil, false
		}
		d.next()
		if d.line.indent > indent {
			return nil, false // continuation lines
		}
		items = append(items, v)
	}
	if d.line.indent > indent {
		return nil, false
	}
	return items, true
}

// splitKey splits "key: rest" or "key:" into the key and the value text
// (empty when the value is on the following lines or null). ok is false
// when the line is not a mapping entry this decoder handles.
func splitKey(text string) (key, rest string, ok bool) {
	var end int // index of the ':' indicator
	switch text[0] {
	case '"', '\'':
		q, n, ok := quoted(text)
		if !ok || q == "<<" {
			return "", "", false
		}
		key, end = q, n
		if end >= len(text) || text[end] != ':' {
			return "", "", false
		}
	default:
		end = plainKeyEnd(text)
		if end < 0 {
			return "", "", false
		}
		key = text[:end]
		if !resolvesToString(key) {
			return "", "", false // a bool, number or null key
		}
	}
	if end > maxKeyLen {
		return "", "", false // not a simple key for yaml.v2 (which counts it as written)
	}
	rest = text[end+1:]
	switch {
	case rest == "":
	case rest[0] != ' ':
		return "", "", false // "key:value" is a plain scalar
	default:
		rest = strings.TrimLeft(rest, " ")
		if rest != "" && rest[0] == '#' {
			rest = ""
		}
	}
	return key, rest, true
}

// plainKeyEnd returns the index of the ':' ending a plain key made of
// letters, digits and "-_./", or -1.
func plainKeyEnd(text string) int {
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '/':
		case c == '-' || c == '.':
			if i == 0 {
				return -1 // indicator-like ("-", "---", "...", ".inf")
			}
		case c == ':':
			if i == 0 || i+1 < len(text) && text[i+1] != ' ' {
				return -1
			}
			return i
		default:
			return -1
		}
	}
	return -1
}

// scalar reads a value written on one line (after "key: " or "- "): a
// plain scalar with an optional comment, or a quoted scalar.
func scalar(text string) (any, bool) {
	switch text[0] {
	case '"', '\'':
		s, n, ok := quoted(text)
		if !ok {
			return nil, false
		}
		rest := strings.TrimLeft(text[n:], " ")
		if rest != "" && (rest[0] != '#' || n == len(text)-len(rest)) {
			return nil, false // text after the closing quote; "#" must follow a space
		}
		return s, true
	case '[', ']', '{', '}', ',', '&', '*', '!', '|', '>', '%', '@', '`', '#', '?', ':', '-':
		// Flow collections, anchors, aliases, tags, block scalars,
		// directives, reserved characters, indicators ("-1" is left to
		// yaml.v2 too).
		return nil, false
	}
	s := text
	if i := strings.Index(s, " #"); i >= 0 {
		s = strings.TrimRight(s[:i], " ")
	}
	if strings.Contains(s, ": ") || strings.HasSuffix(s, ":") {
		return nil, false // a mapping where a scalar goes
	}
	return resolvePlain(s)
}

// resolvePlain returns the value yaml.v2 resolves a plain scalar to, as the
// JSON round trip leaves it: strings, bools, null and decimal integers that
// fit an int64. ok is false for other numbers and timestamps.
func resolvePlain(s string) (any, bool) {
	switch s {
	case "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON":
		return true, true
	case "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF":
		return false, true
	case "~", "null", "Null", "NULL":
		return nil, true
	}
	if decimal(s) {
		i, err := strconv.ParseInt(s, 10, 64)
		return i, err == nil
	}
	if resolvesToString(s) {
		return s, true
	}
	return nil, false
}

// decimal reports whether s is an integer without sign, leading zeros,
// underscores or base prefix.
func decimal(s string) bool {
	if s == "" || len(s) > 1 && s[0] == '0' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// quoted reads the quoted scalar at the start of text, closed on the same
// line, and returns its value and the index after the closing quote.
// Double-quoted scalars may use the escapes \" \\ \n \t and \uXXXX only.
func quoted(text string) (value string, end int, ok bool) {
	q := text[0]
	for i := 1; i < len(text); i++ {
		switch c := text[i]; {
		case c == '\\' && q == '"', c == '\'' && q == '\'' && i+1 < len(text) && text[i+1] == '\'':
			return quotedEscaped(text)
		case c == q:
			return text[1:i], i + 1, true
		}
	}
	return "", 0, false // not closed on this line
}

// quotedEscaped is quoted for a scalar with escapes (” in single quotes,
// backslash escapes in double quotes).
func quotedEscaped(text string) (string, int, bool) {
	q := text[0]
	var b []byte
	for i := 1; i < len(text); i++ {
		c := text[i]
		switch {
		case c == q && q == '\'' && i+1 < len(text) && text[i+1] == '\'':
			b = append(b, '\'')
			i++
		case c == q:
			return string(b), i + 1, true
		case c == '\\' && q == '"':
			if i+1 >= len(text) {
				return "", 0, false
			}
			i++
			switch text[i] {
			case '"', '\\':
				b = append(b, text[i])
			case 'n':
				b = append(b, '\n')
			case 't':
				b = append(b, '\t')
			case 'u':
				if i+4 >= len(text) {
					return "", 0, false
				}
				v, err := strconv.ParseUint(text[i+1:i+5], 16, 32)
				if err != nil || v >= 0xD800 && v <= 0xDFFF {
					return "", 0, false
				}
				b = utf8.AppendRune(b, rune(v))
				i += 4
			default:
				return "", 0, false
			}
		default:
			b = append(b, c)
		}
	}
	return "", 0, false
}
