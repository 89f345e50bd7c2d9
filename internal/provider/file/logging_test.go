package file

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
)

// logEntry is one recorded log call.
type logEntry struct {
	err error
	msg string
	// level is the V level of an Info call; -1 for Error calls.
	level int
}

// logRecorder is a logr.LogSink keeping every entry, for checks of what is
// logged at which level.
type logRecorder struct {
	mu      *sync.Mutex
	entries *[]logEntry
}

func newLogRecorder() logRecorder {
	return logRecorder{mu: &sync.Mutex{}, entries: &[]logEntry{}}
}

func (r logRecorder) Init(logr.RuntimeInfo)                {}
func (r logRecorder) Enabled(int) bool                     { return true }
func (r logRecorder) WithValues(...any) logr.LogSink       { return r }
func (r logRecorder) WithName(string) logr.LogSink         { return r }
func (r logRecorder) Info(level int, msg string, _ ...any) { r.add(logEntry{msg: msg, level: level}) }
func (r logRecorder) Error(err error, msg string, _ ...any) {
	r.add(logEntry{err: err, msg: msg, level: -1})
}

func (r logRecorder) add(e logEntry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	*r.entries = append(*r.entries, e)
}

func (r logRecorder) snapshot() []logEntry {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(*r.entries)
}

// TestProviderLogsAnInvalidFileAsAnError: a file that fails validation is
// logged at error level (not info), with every problem at its field's line.
func TestProviderLogsAnInvalidFileAsAnError(t *testing.T) {
	rec := newLogRecorder()
	pt := startProviderLogging(t, map[string]string{"gateway.yaml": gatewayYAML, "route.yaml": routeYAML}, logr.New(rec))
	pt.next()
	broken := strings.Replace(routeYAML, "port: 3000", "port: 0", 1)
	pt.write("route.yaml", broken)
	portLine := slices.IndexFunc(strings.Split(broken, "\n"), func(l string) bool { return strings.Contains(l, "port: 0") }) + 1
	wantProblem := fmt.Sprintf("spec.rules[0].backendRefs[0].port (line %d)", portLine)

	var logged logEntry
	deadline := time.Now().Add(waitBound)
	for logged.msg == "" {
		if time.Now().After(deadline) {
			t.Fatalf("nothing logged for the invalid file within %s: %+v", waitBound, rec.snapshot())
		}
		time.Sleep(5 * time.Millisecond)
		for _, e := range rec.snapshot() {
			if strings.HasPrefix(e.msg, "file is invalid") {
				logged = e
			}
		}
	}
	if logged.level >= 0 {
		t.Fatalf("%q logged at info level %d, want error level", logged.msg, logged.level)
	}
	if logged.err == nil || !strings.Contains(logged.err.Error(), wantProblem) {
		t.Errorf("logged error %v, want one naming %s", logged.err, wantProblem)
	}
	for _, e := range rec.snapshot() {
		if e.level >= 0 && strings.Contains(e.msg, "invalid") {
			t.Errorf("logged at info level: %q", e.msg)
		}
	}
}
