package leader

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/go-logr/logr"
)

// recordingSink records the level of each entry: "error", or "info <V>".
type recordingSink struct{ entries *[]string }

func (s recordingSink) Init(logr.RuntimeInfo)          {}
func (s recordingSink) Enabled(level int) bool         { return level <= 1 }
func (s recordingSink) WithValues(...any) logr.LogSink { return s }
func (s recordingSink) WithName(string) logr.LogSink   { return s }
func (s recordingSink) Info(level int, msg string, _ ...any) {
	*s.entries = append(*s.entries, fmt.Sprintf("info %d: %s", level, msg))
}
func (s recordingSink) Error(_ error, msg string, _ ...any) {
	*s.entries = append(*s.entries, "error: "+msg)
}

// TestTermLoggerQuietsRequestsTheEndOfTheTermCut checks that the term's
// logger logs a cancellation as information once the term is over, and
// every other error, and a cancellation during the term, as errors.
func TestTermLoggerQuietsRequestsTheEndOfTheTermCut(t *testing.T) {
	cases := []struct {
		name     string
		termOver bool
		err      error
		want     string
	}{
		{"cancelled during the term", false, context.Canceled, "error: request"},
		{"cancelled by the end of the term", true, fmt.Errorf("reading the body: %w", context.Canceled), "info 1: request"},
		{"another error after the term", true, errors.New("connection refused"), "error: request"},
		{"a deadline after the term", true, context.DeadlineExceeded, "error: request"},
	}
	for _, tc := range cases {
		term, end := context.WithCancel(t.Context())
		if tc.termOver {
			end()
		}
		var got []string
		ctx := withTermLogger(logr.NewContext(term, logr.New(recordingSink{entries: &got})))
		logr.FromContextOrDiscard(ctx).WithName("client").WithValues("k", "v").Error(tc.err, "request")
		end()
		if !slices.Equal(got, []string{tc.want}) {
			t.Errorf("%s: logged %q, want %q", tc.name, got, tc.want)
		}
	}
}
