package cluster

import (
	"bytes"
	"sync"
	"time"
)

// maxLogLines bounds what a container's log keeps (the oldest lines go).
const maxLogLines = 20000

// logLine is one line of a container's output and when it was written.
type logLine struct {
	at   time.Time
	text string
}

// containerLog is a container's output as the kubelet keeps it: lines with
// the time they were written.
type containerLog struct {
	mu      sync.Mutex
	lines   []logLine
	partial []byte
}

// Write appends output; a line counts once its newline is written.
func (l *containerLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	data := append(l.partial, p...)
	for {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			break
		}
		l.lines = append(l.lines, logLine{at: now, text: string(data[:i])})
		data = data[i+1:]
	}
	l.partial = append([]byte(nil), data...)
	if over := len(l.lines) - maxLogLines; over > 0 {
		l.lines = append([]logLine(nil), l.lines[over:]...)
	}
	return len(p), nil
}

// logQuery is the part of PodLogOptions the kubelet applies.
type logQuery struct {
	since      time.Time // zero: from the start
	timestamps bool
	tailLines  int // < 0: all
	limitBytes int // < 0: no limit
}

// read renders the lines the query selects.
func (l *containerLog) read(q logQuery) []byte {
	l.mu.Lock()
	lines := l.lines
	l.mu.Unlock()
	start := 0
	for start < len(lines) && lines[start].at.Before(q.since) {
		start++
	}
	lines = lines[start:]
	if q.tailLines >= 0 && len(lines) > q.tailLines {
		lines = lines[len(lines)-q.tailLines:]
	}
	var b bytes.Buffer
	for _, ln := range lines {
		if q.timestamps {
			b.WriteString(ln.at.UTC().Format(time.RFC3339Nano))
			b.WriteByte(' ')
		}
		b.WriteString(ln.text)
		b.WriteByte('\n')
	}
	out := b.Bytes()
	if q.limitBytes >= 0 && len(out) > q.limitBytes {
		out = out[:q.limitBytes]
	}
	return out
}

// logStore holds the logs of every container the kubelet runs, by
// namespace, Pod and container name.
type logStore struct {
	mu   sync.Mutex
	logs map[logKey]*containerLog
}

type logKey struct{ namespace, pod, container string }

// open returns a container's log, creating it.
func (s *logStore) open(k logKey) *containerLog {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.logs == nil {
		s.logs = map[logKey]*containerLog{}
	}
	l, ok := s.logs[k]
	if !ok {
		l = &containerLog{}
		s.logs[k] = l
	}
	return l
}

// get returns a container's log if there is one.
func (s *logStore) get(k logKey) (*containerLog, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.logs[k]
	return l, ok
}

// removePod drops the logs of a Pod's containers.
func (s *logStore) removePod(namespace, pod string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.logs {
		if k.namespace == namespace && k.pod == pod {
			delete(s.logs, k)
		}
	}
}
