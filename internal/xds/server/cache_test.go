package server

import (
	"strings"
	"testing"

	"github.com/go-logr/logr/funcr"
)

// countingStringer counts how often it is formatted.
type countingStringer struct{ n *int }

func (c countingStringer) String() string {
	*c.n++
	return "names"
}

// TestCacheLoggerFormatsOnlyEnabledMessages checks that go-control-plane's
// verbose messages are formatted only at a verbosity that logs them.
func TestCacheLoggerFormatsOnlyEnabledMessages(t *testing.T) {
	for _, tc := range []struct {
		verbosity int
		want      []string
	}{
		{verbosity: 0, want: []string{"error names"}},
		{verbosity: 1, want: []string{"warn names", "error names"}},
		{verbosity: 3, want: []string{"debug names", "info names", "warn names", "error names"}},
	} {
		var lines []string
		log := funcr.New(func(_, args string) { lines = append(lines, args) }, funcr.Options{Verbosity: tc.verbosity})
		formatted := 0
		arg := countingStringer{&formatted}
		l := cacheLogger{log}
		l.Debugf("debug %v", arg)
		l.Infof("info %v", arg)
		l.Warnf("warn %v", arg)
		l.Errorf("error %v", arg)
		if formatted != len(tc.want) || len(lines) != len(tc.want) {
			t.Errorf("verbosity %d: formatted %d times, %d lines, want %d", tc.verbosity, formatted, len(lines), len(tc.want))
			continue
		}
		for i, w := range tc.want {
			if !strings.Contains(lines[i], w) {
				t.Errorf("verbosity %d: line %d is %s, want it to hold %q", tc.verbosity, i, lines[i], w)
			}
		}
	}
}
