package file

import (
	"bytes"
	"strings"
)

// rawDocument is one YAML document of a file.
type rawDocument struct {
	// Index is the 1-based position of the document in the file, counting
	// empty documents too, so it matches what a reader counts.
	Index int
	// Line is the 1-based line where the document's content starts.
	Line int
	Data []byte
}

// splitDocuments splits a multi-document YAML stream on "---" separator
// lines. Documents holding only comments or blank lines are dropped (their
// index is still counted).
func splitDocuments(data []byte) []rawDocument {
	var docs []rawDocument
	index, start, startLine, line := 1, 0, 1, 1
	sawSeparator := false
	flush := func(end int) {
		doc := data[start:end]
		if !blank(doc) {
			docs = append(docs, rawDocument{Index: index, Line: startLine, Data: doc})
		}
	}
	for pos := 0; pos < len(data); {
		next := bytes.IndexByte(data[pos:], '\n')
		end := len(data)
		if next >= 0 {
			end = pos + next + 1
		}
		if isSeparator(data[pos:end]) {
			// Comments before the first separator are not a document.
			if sawSeparator || !blank(data[start:pos]) {
				flush(pos)
				index++
			}
			sawSeparator = true
			start, startLine = end, line+1
		}
		pos = end
		line++
	}
	flush(len(data))
	return docs
}

// isSeparator reports whether line is a YAML document separator ("---",
// optionally followed by spaces or a comment).
func isSeparator(line []byte) bool {
	s := strings.TrimRight(string(line), " \t\r\n")
	if !strings.HasPrefix(s, "---") {
		return false
	}
	rest := strings.TrimLeft(s[3:], " \t")
	return rest == "" || strings.HasPrefix(rest, "#")
}

// blank reports whether a document holds only whitespace and comments.
func blank(doc []byte) bool {
	for len(doc) > 0 {
		l := doc
		if i := bytes.IndexByte(doc, '\n'); i >= 0 {
			l, doc = doc[:i], doc[i+1:]
		} else {
			doc = nil
		}
		t := bytes.TrimSpace(l)
		if len(t) > 0 && t[0] != '#' {
			return false
		}
	}
	return true
}
