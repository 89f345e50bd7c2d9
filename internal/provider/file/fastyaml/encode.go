package fastyaml

import (
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// JSONToYAML prints JSON (as encoding/json produces it) as YAML, byte for
// byte as sigs.k8s.io/yaml.JSONToYAML does, without its round trip through
// the yaml.v2 parser and reflection-driven emitter: on large outputs those
// took longer than both translators together.
//
// It reads the JSON the way yaml.v2 reads it (numbers resolved as YAML 1.1
// plain scalars, keys sorted in yaml.v2's natural order) and writes it with
// a port of the parts of yaml.v2's emitter (go.yaml.in/yaml/v2 emitterc.go,
// Apache 2.0, Copyright 2011-2016 Canonical Ltd.) that block mappings,
// block sequences, empty collections and scalars use. ok is false for input
// it does not handle the same way (invalid JSON, escapes or characters the
// yaml.v2 reader rejects, very long keys); callers then use JSONToYAML.
// TestJSONToYAMLMatchesUpstream and FuzzJSONToYAML check the equivalence.
func JSONToYAML(js []byte) (out []byte, ok bool) {
	p := jsonParser{src: string(js)}
	root, ok := p.parse()
	if !ok {
		return nil, false
	}
	e := yamlEmitter{
		out:        make([]byte, 0, len(js)),
		indent:     -1,
		whitespace: true,
		indention:  true,
	}
	e.node(&root, true, false, false, false)
	// Document end (implicit): a final line break.
	e.writeIndent()
	return e.out, true
}

// jsonKind is the kind of a jsonNode.
type jsonKind uint8

const (
	jsonString jsonKind = iota
	// jsonScalar is a number, true, false or null, already formatted as
	// yaml.v2 prints the value it resolves it to.
	jsonScalar
	jsonArray
	jsonObject
)

type jsonNode struct {
	kind    jsonKind
	text    string
	items   []jsonNode
	members []jsonMember
}

type jsonMember struct {
	key   string
	value jsonNode
}

// maxKeyLen bounds the keys handled (both ways): the yaml.v2 scanner stops
// treating a key of more than 1024 characters as a simple key.
const maxKeyLen = 1000

// jsonParser reads JSON into jsonNodes.
type jsonParser struct {
	src string
	pos int
	buf []byte
}

func (p *jsonParser) parse() (jsonNode, bool) {
	n, ok := p.value(0)
	if !ok {
		return n, false
	}
	p.space()
	return n, p.pos == len(p.src)
}

// maxDepth bounds nesting, below the yaml.v2 parser's own limit.
const maxDepth = 1000

// space skips spaces. Other JSON whitespace is left to yaml.v2, which
// rejects tabs where a token starts and gives line breaks meaning.
func (p *jsonParser) space() {
	for p.pos < len(p.src) && p.src[p.pos] == ' ' {
		p.pos++
	}
}

func (p *jsonParser) value(depth int) (jsonNode, bool) {
	if depth > maxDepth {
		return jsonNode{}, false
	}
	p.space()
	if p.pos >= len(p.src) {
		return jsonNode{}, false
	}
	switch c := p.src[p.pos]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"':
		s, ok := p.string()
		return jsonNode{kind: jsonString, text: s}, ok
	case c == 't':
		return p.literal("true")
	case c == 'f':
		return p.literal("false")
	case c == 'n':
		return p.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	}
	return jsonNode{}, false
}

func (p *jsonParser) literal(word string) (jsonNode, bool) {
	if !strings.HasPrefix(p.src[p.pos:], word) {
		return jsonNode{}, false
	}
	p.pos += len(word)
	return jsonNode{kind: jsonScalar, text: word}, true
}

func (p *jsonParser) object(depth int) (jsonNode, bool) {
	p.pos++ // {
	var members []jsonMember
	p.space()
	if p.pos < len(p.src) && p.src[p.pos] == '}' {
		p.pos++
		return jsonNode{kind: jsonObject}, true
	}
	for {
		p.space()
		if p.pos >= len(p.src) || p.src[p.pos] != '"' {
			return jsonNode{}, false
		}
		keyStart := p.pos
		key, ok := p.string()
		if !ok || key == "<<" { // "<<" could be a merge key
			return jsonNode{}, false
		}
		p.space()
		if p.pos >= len(p.src) || p.src[p.pos] != ':' || p.pos-keyStart > maxKeyLen {
			return jsonNode{}, false // (the yaml.v2 limit counts the key as written)
		}
		p.pos++
		v, ok := p.value(depth + 1)
		if !ok {
			return jsonNode{}, false
		}
		members = append(members, jsonMember{key: key, value: v})
		p.space()
		if p.pos >= len(p.src) {
			return jsonNode{}, false
		}
		c := p.src[p.pos]
		p.pos++
		if c == '}' {
			break
		}
		if c != ',' {
			return jsonNode{}, false
		}
	}
	slices.SortStableFunc(members, func(a, b jsonMember) int {
		switch {
		case keyLess(a.key, b.key):
			return -1
		case keyLess(b.key, a.key):
			return 1
		}
		return 0
	})
	for i := 1; i < len(members); i++ {
		if members[i].key == members[i-1].key {
			return jsonNode{}, false // duplicate keys: leave them to yaml.v2
		}
	}
	return jsonNode{kind: jsonObject, members: members}, true
}

func (p *jsonParser) array(depth int) (jsonNode, bool) {
	p.pos++ // [
	var items []jsonNode
	p.space()
	if p.pos < len(p.src) && p.src[p.pos] == ']' {
		p.pos++
		return jsonNode{kind: jsonArray}, true
	}
	for {
		v, ok := p.value(depth + 1)
		if !ok {
			return jsonNode{}, false
		}
		items = append(items, v)
		p.space()
		if p.pos >= len(p.src) {
			return jsonNode{}, false
		}
		c := p.src[p.pos]
		p.pos++
		if c == ']' {
			break
		}
		if c != ',' {
			return jsonNode{}, false
		}
	}
	return jsonNode{kind: jsonArray, items: items}, true
}

// string reads a JSON string as the yaml.v2 scanner reads a double-quoted
// scalar. ok is false for what yaml.v2 would reject or read differently:
// the \/ escape, escaped surrogates, raw characters outside the YAML
// printable set, raw line breaks other than \n, a byte order mark.
func (p *jsonParser) string() (string, bool) {
	p.pos++ // "
	start := p.pos
	// Fast path: no escapes.
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		if c == '"' {
			s := p.src[start:p.pos]
			p.pos++
			return s, true
		}
		if c == '\\' || c < 0x20 || c >= 0x7F {
			break
		}
		p.pos++
	}
	b := append(p.buf[:0], p.src[start:p.pos]...)
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		var ok bool
		switch {
		case c == '"':
			p.pos++
			p.buf = b
			return string(b), true
		case c == '\\':
			b, ok = p.escape(b)
		case c < 0x80:
			ok = c >= 0x20 && c != 0x7F
			b = append(b, c)
			p.pos++
		default:
			r, w := utf8.DecodeRuneInString(p.src[p.pos:])
			// The reader rejects some characters; a raw line break (NEL,
			// LS, PS) would be folded like a newline in a quoted scalar.
			ok = (r != utf8.RuneError || w > 1) && yamlReadable(r) && r != 0xFEFF && r != 0x85 && r != 0x2028 && r != 0x2029
			b = append(b, p.src[p.pos:p.pos+w]...)
			p.pos += w
		}
		if !ok {
			return "", false
		}
	}
	return "", false
}

// escape appends the character of the escape sequence at p.pos to b.
func (p *jsonParser) escape(b []byte) ([]byte, bool) {
	if p.pos+1 >= len(p.src) {
		return b, false
	}
	esc := p.src[p.pos+1]
	p.pos += 2
	switch esc {
	case '"', '\\':
		return append(b, esc), true
	case 'b':
		return append(b, '\b'), true
	case 'f':
		return append(b, '\f'), true
	case 'n':
		return append(b, '\n'), true
	case 'r':
		return append(b, '\r'), true
	case 't':
		return append(b, '\t'), true
	case 'u':
		if p.pos+4 > len(p.src) {
			return b, false
		}
		v, err := strconv.ParseUint(p.src[p.pos:p.pos+4], 16, 32)
		if err != nil || v >= 0xD800 && v <= 0xDFFF {
			return b, false
		}
		p.pos += 4
		return utf8.AppendRune(b, rune(v)), true
	}
	return b, false
}

// number reads a JSON number and formats it as yaml.v2 prints the value it
// resolves the plain scalar to (int, uint64 or float64).
func (p *jsonParser) number() (jsonNode, bool) {
	start := p.pos
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		if c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' {
			p.pos++
			continue
		}
		break
	}
	text := p.src[start:p.pos]
	if !validJSONNumber(text) {
		return jsonNode{}, false
	}
	if i, err := strconv.ParseInt(text, 0, 64); err == nil {
		return jsonNode{kind: jsonScalar, text: strconv.FormatInt(i, 10)}, true
	}
	if u, err := strconv.ParseUint(text, 0, 64); err == nil {
		return jsonNode{kind: jsonScalar, text: strconv.FormatUint(u, 10)}, true
	}
	if yamlStyleFloat.MatchString(text) {
		if f, err := strconv.ParseFloat(text, 64); err == nil {
			return jsonNode{kind: jsonScalar, text: strconv.FormatFloat(f, 'g', -1, 64)}, true
		}
	}
	return jsonNode{}, false // e.g. out of range: yaml.v2 reads a string
}

// validJSONNumber checks the JSON number grammar.
func validJSONNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		i = skipDigits(s, i)
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		if i = skipDigits(s, i+1); s[i-1] == '.' {
			return false // no digit after the point
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		start := i
		if i = skipDigits(s, i); i == start {
			return false
		}
	}
	return i == len(s)
}

// skipDigits returns the index of the first non-digit of s from i.
func skipDigits(s string, i int) int {
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

// keyLess is yaml.v2's order of string map keys (sorter.go): runes compared
// one by one, letters before other characters, runs of digits by value.
func keyLess(a, b string) bool {
	if isASCII(a) && isASCII(b) {
		return keyLessRunes(a, b, func(s string, i int) rune { return rune(s[i]) }, len(a), len(b))
	}
	ar, br := []rune(a), []rune(b)
	return keyLessRunes(ar, br, func(s []rune, i int) rune { return s[i] }, len(ar), len(br))
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func keyLessRunes[S any](ar, br S, at func(S, int) rune, na, nb int) bool {
	for i := 0; i < na && i < nb; i++ {
		ai, bi := at(ar, i), at(br, i)
		if ai == bi {
			continue
		}
		al := unicode.IsLetter(ai)
		bl := unicode.IsLetter(bi)
		if al && bl {
			return ai < bi
		}
		if al || bl {
			return bl
		}
		var aj, bj int
		var an, bn int64
		if ai == '0' || bi == '0' {
			for j := i - 1; j >= 0 && unicode.IsDigit(at(ar, j)); j-- {
				if at(ar, j) != '0' {
					an = 1
					bn = 1
					break
				}
			}
		}
		for aj = i; aj < na && unicode.IsDigit(at(ar, aj)); aj++ {
			an = an*10 + int64(at(ar, aj)-'0')
		}
		for bj = i; bj < nb && unicode.IsDigit(at(br, bj)); bj++ {
			bn = bn*10 + int64(at(br, bj)-'0')
		}
		if an != bn {
			return an < bn
		}
		if aj != bj {
			return aj < bj
		}
		return ai < bi
	}
	return na < nb
}

// Scalar styles.
type scalarStyle uint8

const (
	stylePlain scalarStyle = iota
	styleSingleQuoted
	styleDoubleQuoted
	styleLiteral
)

// bestWidth and bestIndent are yaml.v2's defaults.
const (
	bestWidth  = 80
	bestIndent = 2
)

// yamlEmitter is the state of yaml.v2's emitter that block output uses.
type yamlEmitter struct {
	out        []byte
	column     int
	indent     int
	indents    []int
	whitespace bool
	indention  bool
	flowLevel  int

	// Context of the node being written.
	rootContext, sequenceContext, mappingContext, simpleKeyContext bool
}

func (e *yamlEmitter) increaseIndent(flow, indentless bool) {
	e.indents = append(e.indents, e.indent)
	switch {
	case e.indent < 0 && flow:
		e.indent = bestIndent
	case e.indent < 0:
		e.indent = 0
	case !indentless:
		e.indent += bestIndent
	}
}

func (e *yamlEmitter) popIndent() {
	e.indent = e.indents[len(e.indents)-1]
	e.indents = e.indents[:len(e.indents)-1]
}

func (e *yamlEmitter) put(c byte) {
	e.out = append(e.out, c)
	e.column++
}

func (e *yamlEmitter) putBreak() {
	e.out = append(e.out, '\n')
	e.column = 0
}

// write copies the character at s[i] and returns the index after it.
func (e *yamlEmitter) write(s string, i int) int {
	w := width(s[i])
	e.out = append(e.out, s[i:i+w]...)
	e.column++
	return i + w
}

func (e *yamlEmitter) writeAll(s string) {
	for i := 0; i < len(s); {
		i = e.write(s, i)
	}
}

// writeBreak copies the line break at s[i].
func (e *yamlEmitter) writeBreak(s string, i int) int {
	if s[i] == '\n' {
		e.putBreak()
		return i + 1
	}
	i = e.write(s, i)
	e.column = 0
	return i
}

func (e *yamlEmitter) writeIndent() {
	indent := max(e.indent, 0)
	if !e.indention || e.column > indent || (e.column == indent && !e.whitespace) {
		e.putBreak()
	}
	for e.column < indent {
		e.put(' ')
	}
	e.whitespace = true
	e.indention = true
}

func (e *yamlEmitter) writeIndicator(indicator string, needWhitespace, isWhitespace, isIndention bool) {
	if needWhitespace && !e.whitespace {
		e.put(' ')
	}
	e.writeAll(indicator)
	e.whitespace = isWhitespace
	e.indention = e.indention && isIndention
}

// node writes n (yaml_emitter_emit_node and what follows from it).
func (e *yamlEmitter) node(n *jsonNode, root, sequence, mapping, simpleKey bool) {
	e.rootContext, e.sequenceContext, e.mappingContext, e.simpleKeyContext = root, sequence, mapping, simpleKey
	switch n.kind {
	case jsonString:
		e.scalar(n.text, stringStyle(n.text))
	case jsonScalar:
		e.scalar(n.text, stylePlain)
	case jsonArray:
		if len(n.items) == 0 {
			e.emptyFlow("[", "]")
			return
		}
		e.blockSequence(n.items)
	case jsonObject:
		if len(n.members) == 0 {
			e.emptyFlow("{", "}")
			return
		}
		e.blockMapping(n.members)
	}
}

// emptyFlow writes an empty flow sequence or mapping.
func (e *yamlEmitter) emptyFlow(open, end string) {
	e.writeIndicator(open, true, true, false)
	e.increaseIndent(true, false)
	e.flowLevel++
	e.flowLevel--
	e.popIndent()
	e.writeIndicator(end, false, false, false)
}

func (e *yamlEmitter) blockSequence(items []jsonNode) {
	e.increaseIndent(false, e.mappingContext && !e.indention)
	for i := range items {
		e.writeIndent()
		e.writeIndicator("-", true, false, true)
		e.node(&items[i], false, true, false, false)
	}
	e.popIndent()
}

func (e *yamlEmitter) blockMapping(members []jsonMember) {
	e.increaseIndent(false, false)
	for i := range members {
		m := &members[i]
		e.writeIndent()
		a := analyzeScalar(m.key)
		if !a.multiline && len(m.key) <= 128 { // a simple key
			e.rootContext, e.sequenceContext, e.mappingContext, e.simpleKeyContext = false, false, true, true
			e.scalarAnalyzed(m.key, stringStyle(m.key), a)
			e.writeIndicator(":", false, false, false)
		} else {
			e.writeIndicator("?", true, false, true)
			e.rootContext, e.sequenceContext, e.mappingContext, e.simpleKeyContext = false, false, true, false
			e.scalarAnalyzed(m.key, stringStyle(m.key), a)
			e.writeIndent()
			e.writeIndicator(":", true, false, true)
		}
		e.node(&m.value, false, false, true, false)
	}
	e.popIndent()
}

// stringStyle is the style yaml.v2's encoder asks for a string (stringv).
func stringStyle(s string) scalarStyle {
	switch {
	case strings.Contains(s, "\n"):
		return styleLiteral
	case resolvesToString(s) && !isBase60Float(s):
		return stylePlain
	}
	return styleDoubleQuoted
}

func (e *yamlEmitter) scalar(value string, style scalarStyle) {
	e.scalarAnalyzed(value, style, analyzeScalar(value))
}

// scalarAnalyzed writes a scalar (yaml_emitter_emit_scalar with an implicit
// tag): select the style, then write it one indentation level deeper.
func (e *yamlEmitter) scalarAnalyzed(value string, style scalarStyle, a scalarAnalysis) {
	if e.simpleKeyContext && a.multiline {
		style = styleDoubleQuoted
	}
	if style == stylePlain {
		if e.flowLevel > 0 && !a.flowPlainAllowed || e.flowLevel == 0 && !a.blockPlainAllowed {
			style = styleSingleQuoted
		}
		if len(value) == 0 && (e.flowLevel > 0 || e.simpleKeyContext) {
			style = styleSingleQuoted
		}
	}
	if style == styleSingleQuoted && !a.singleQuotedAllowed {
		style = styleDoubleQuoted
	}
	if style == styleLiteral && (!a.blockAllowed || e.flowLevel > 0 || e.simpleKeyContext) {
		style = styleDoubleQuoted
	}
	e.increaseIndent(true, false)
	allowBreaks := !e.simpleKeyContext
	switch style {
	case stylePlain:
		e.writePlain(value, allowBreaks)
	case styleSingleQuoted:
		e.writeSingleQuoted(value, allowBreaks)
	case styleDoubleQuoted:
		e.writeDoubleQuoted(value, allowBreaks)
	case styleLiteral:
		e.writeLiteral(value)
	}
	e.popIndent()
}

// scalarAnalysis is what yaml_emitter_analyze_scalar finds.
type scalarAnalysis struct {
	multiline           bool
	flowPlainAllowed    bool
	blockPlainAllowed   bool
	singleQuotedAllowed bool
	blockAllowed        bool
}

// simpleChar marks the ASCII characters that set none of the analysis
// flags wherever they are, as long as a scalar has no whitespace.
var simpleChar = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "_./+=()$^~;<" {
		t[c] = true
	}
	return t
}()

// simpleScalar reports whether value is made of simpleChar and '-' only
// (not leading, so it is no indicator) and does not start with "...": its
// analysis allows every style, and it is written as it is.
func simpleScalar(value string) bool {
	if value == "" || value[0] == '-' || strings.HasPrefix(value, "...") {
		return false
	}
	for i := 0; i < len(value); i++ {
		if c := value[i]; !simpleChar[c] && c != '-' {
			return false
		}
	}
	return true
}

func analyzeScalar(value string) scalarAnalysis {
	if simpleScalar(value) {
		return scalarAnalysis{flowPlainAllowed: true, blockPlainAllowed: true, singleQuotedAllowed: true, blockAllowed: true}
	}
	if len(value) == 0 {
		return scalarAnalysis{blockPlainAllowed: true, singleQuotedAllowed: true}
	}
	var blockIndicators, flowIndicators, lineBreaks, specialCharacters bool
	var leadingSpace, leadingBreak, trailingSpace, trailingBreak, breakSpace, spaceBreak bool
	var previousSpace, previousBreak bool

	if len(value) >= 3 && (value[:3] == "---" || value[:3] == "...") {
		blockIndicators = true
		flowIndicators = true
	}
	precededByWhitespace := true
	for i, w := 0, 0; i < len(value); i += w {
		w = width(value[i])
		followedByWhitespace := i+w >= len(value) || isBlank(value, i+w)
		flow, block := indicator(value[i], i == 0, precededByWhitespace, followedByWhitespace)
		flowIndicators = flowIndicators || flow
		blockIndicators = blockIndicators || block
		if !isPrintable(value, i) {
			specialCharacters = true // the emitter allows unicode
		}
		switch {
		case value[i] == ' ':
			if i == 0 {
				leadingSpace = true
			}
			if i+w == len(value) {
				trailingSpace = true
			}
			if previousBreak {
				breakSpace = true
			}
			previousSpace = true
			previousBreak = false
		case isBreak(value, i):
			lineBreaks = true
			if i == 0 {
				leadingBreak = true
			}
			if i+w == len(value) {
				trailingBreak = true
			}
			if previousSpace {
				spaceBreak = true
			}
			previousSpace = false
			previousBreak = true
		default:
			previousSpace = false
			previousBreak = false
		}
		precededByWhitespace = isBlankZ(value, i)
	}

	a := scalarAnalysis{
		multiline:           lineBreaks,
		flowPlainAllowed:    true,
		blockPlainAllowed:   true,
		singleQuotedAllowed: true,
		blockAllowed:        true,
	}
	if leadingSpace || leadingBreak || trailingSpace || trailingBreak {
		a.flowPlainAllowed = false
		a.blockPlainAllowed = false
	}
	if trailingSpace {
		a.blockAllowed = false
	}
	if breakSpace {
		a.flowPlainAllowed = false
		a.blockPlainAllowed = false
		a.singleQuotedAllowed = false
	}
	if spaceBreak || specialCharacters {
		a.flowPlainAllowed = false
		a.blockPlainAllowed = false
		a.singleQuotedAllowed = false
		a.blockAllowed = false
	}
	if lineBreaks {
		a.flowPlainAllowed = false
		a.blockPlainAllowed = false
	}
	if flowIndicators {
		a.flowPlainAllowed = false
	}
	if blockIndicators {
		a.blockPlainAllowed = false
	}
	return a
}

// indicator reports whether the character c of a scalar is a flow or a
// block indicator (the first part of the analysis loop).
func indicator(c byte, first, precededByWhitespace, followedByWhitespace bool) (flow, block bool) {
	if first {
		switch c {
		case '#', ',', '[', ']', '{', '}', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`':
			return true, true
		case '?', ':':
			return true, followedByWhitespace
		case '-':
			return followedByWhitespace, followedByWhitespace
		}
		return false, false
	}
	switch c {
	case ',', '?', '[', ']', '{', '}':
		return true, false
	case ':':
		return true, followedByWhitespace
	case '#':
		return precededByWhitespace, precededByWhitespace
	}
	return false, false
}

func (e *yamlEmitter) writePlain(value string, allowBreaks bool) {
	if !e.whitespace {
		e.put(' ')
	}
	if isASCII(value) && strings.IndexByte(value, ' ') < 0 && strings.IndexByte(value, '\n') < 0 && strings.IndexByte(value, '\r') < 0 {
		// No space to fold at, no line break: the characters as they are.
		e.out = append(e.out, value...)
		e.column += len(value)
		e.whitespace = false
		e.indention = false
		return
	}
	spaces, breaks := false, false
	for i := 0; i < len(value); {
		switch {
		case value[i] == ' ':
			if allowBreaks && !spaces && e.column > bestWidth && !isSpace(value, i+1) {
				e.writeIndent()
				i += width(value[i])
			} else {
				i = e.write(value, i)
			}
			spaces = true
		case isBreak(value, i):
			if !breaks && value[i] == '\n' {
				e.putBreak()
			}
			i = e.writeBreak(value, i)
			e.indention = true
			breaks = true
		default:
			if breaks {
				e.writeIndent()
			}
			i = e.write(value, i)
			e.indention = false
			spaces = false
			breaks = false
		}
	}
	e.whitespace = false
	e.indention = false
}

func (e *yamlEmitter) writeSingleQuoted(value string, allowBreaks bool) {
	e.writeIndicator("'", true, false, false)
	spaces, breaks := false, false
	for i := 0; i < len(value); {
		switch {
		case value[i] == ' ':
			if allowBreaks && !spaces && e.column > bestWidth && i > 0 && i < len(value)-1 && !isSpace(value, i+1) {
				e.writeIndent()
				i += width(value[i])
			} else {
				i = e.write(value, i)
			}
			spaces = true
		case isBreak(value, i):
			if !breaks && value[i] == '\n' {
				e.putBreak()
			}
			i = e.writeBreak(value, i)
			e.indention = true
			breaks = true
		default:
			if breaks {
				e.writeIndent()
			}
			if value[i] == '\'' {
				e.put('\'')
			}
			i = e.write(value, i)
			e.indention = false
			spaces = false
			breaks = false
		}
	}
	e.writeIndicator("'", false, false, false)
	e.whitespace = false
	e.indention = false
}

func (e *yamlEmitter) writeDoubleQuoted(value string, allowBreaks bool) {
	spaces := false
	e.writeIndicator(`"`, true, false, false)
	for i := 0; i < len(value); {
		switch {
		case !isPrintable(value, i) || isBOM(value) || isBreak(value, i) || value[i] == '"' || value[i] == '\\':
			r, w := utf8.DecodeRuneInString(value[i:])
			i += w
			e.put('\\')
			e.escape(r)
			spaces = false
		case value[i] == ' ':
			if allowBreaks && !spaces && e.column > bestWidth && i > 0 && i < len(value)-1 {
				e.writeIndent()
				if isSpace(value, i+1) {
					e.put('\\')
				}
				i += width(value[i])
			} else {
				i = e.write(value, i)
			}
			spaces = true
		default:
			i = e.write(value, i)
			spaces = false
		}
	}
	e.writeIndicator(`"`, false, false, false)
	e.whitespace = false
	e.indention = false
}

// escape writes the escape sequence of v, after its backslash.
func (e *yamlEmitter) escape(v rune) {
	switch v {
	case 0x00:
		e.put('0')
	case 0x07:
		e.put('a')
	case 0x08:
		e.put('b')
	case 0x09:
		e.put('t')
	case 0x0A:
		e.put('n')
	case 0x0b:
		e.put('v')
	case 0x0c:
		e.put('f')
	case 0x0d:
		e.put('r')
	case 0x1b:
		e.put('e')
	case 0x22:
		e.put('"')
	case 0x5c:
		e.put('\\')
	case 0x85:
		e.put('N')
	case 0xA0:
		e.put('_')
	case 0x2028:
		e.put('L')
	case 0x2029:
		e.put('P')
	default:
		var w int
		switch {
		case v <= 0xFF:
			e.put('x')
			w = 2
		case v <= 0xFFFF:
			e.put('u')
			w = 4
		default:
			e.put('U')
			w = 8
		}
		for k := (w - 1) * 4; k >= 0; k -= 4 {
			digit := byte((v >> uint(k)) & 0x0F)
			if digit < 10 {
				e.put(digit + '0')
			} else {
				e.put(digit + 'A' - 10)
			}
		}
	}
}

func (e *yamlEmitter) writeBlockScalarHints(value string) {
	if isSpace(value, 0) || isBreak(value, 0) {
		e.writeIndicator(string(rune('0'+bestIndent)), false, false, false)
	}
	var chomp string
	if len(value) == 0 {
		chomp = "-"
	} else {
		i := len(value) - 1
		for value[i]&0xC0 == 0x80 {
			i--
		}
		switch {
		case !isBreak(value, i):
			chomp = "-"
		case i == 0:
			chomp = "+"
		default:
			i--
			for value[i]&0xC0 == 0x80 {
				i--
			}
			if isBreak(value, i) {
				chomp = "+"
			}
		}
	}
	if chomp != "" {
		e.writeIndicator(chomp, false, false, false)
	}
}

func (e *yamlEmitter) writeLiteral(value string) {
	e.writeIndicator("|", true, false, false)
	e.writeBlockScalarHints(value)
	e.putBreak()
	e.indention = true
	e.whitespace = true
	breaks := true
	for i := 0; i < len(value); {
		if isBreak(value, i) {
			i = e.writeBreak(value, i)
			e.indention = true
			breaks = true
			continue
		}
		if breaks {
			e.writeIndent()
		}
		i = e.write(value, i)
		e.indention = false
		breaks = false
	}
}

// Character classes of yaml.v2 (yamlprivateh.go). s is valid UTF-8, so the
// bytes after a lead byte are there; an index past the end reads as NUL.

func at(s string, i int) byte {
	if i < len(s) {
		return s[i]
	}
	return 0
}

func width(b byte) int {
	switch {
	case b&0x80 == 0x00:
		return 1
	case b&0xE0 == 0xC0:
		return 2
	case b&0xF0 == 0xE0:
		return 3
	case b&0xF8 == 0xF0:
		return 4
	}
	return 1 // not reached for valid UTF-8
}

func isPrintable(s string, i int) bool {
	b0, b1, b2 := s[i], at(s, i+1), at(s, i+2)
	return b0 == 0x0A ||
		b0 >= 0x20 && b0 <= 0x7E ||
		b0 == 0xC2 && b1 >= 0xA0 ||
		b0 > 0xC2 && b0 < 0xED ||
		b0 == 0xED && b1 < 0xA0 ||
		b0 == 0xEE ||
		b0 == 0xEF && (b1 != 0xBB || b2 != 0xBF) && (b1 != 0xBF || b2 != 0xBE && b2 != 0xBF)
}

// isBOM is yaml.v2's is_bom, which looks at the start of the value
// whatever the index.
func isBOM(s string) bool {
	return at(s, 0) == 0xEF && at(s, 1) == 0xBB && at(s, 2) == 0xBF
}

func isSpace(s string, i int) bool { return at(s, i) == ' ' }

func isBlank(s string, i int) bool {
	c := at(s, i)
	return c == ' ' || c == '\t'
}

func isBreak(s string, i int) bool {
	b0, b1, b2 := at(s, i), at(s, i+1), at(s, i+2)
	return b0 == '\r' || b0 == '\n' ||
		b0 == 0xC2 && b1 == 0x85 ||
		b0 == 0xE2 && b1 == 0x80 && (b2 == 0xA8 || b2 == 0xA9)
}

func isBlankZ(s string, i int) bool {
	return isBlank(s, i) || isBreak(s, i) || at(s, i) == 0
}
