package cluster

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestContainerLog(t *testing.T) {
	l := &containerLog{}
	_, _ = l.Write([]byte("one\ntw"))
	_, _ = l.Write([]byte("o\nthree\npartial"))
	if got := string(l.read(logQuery{tailLines: -1, limitBytes: -1})); got != "one\ntwo\nthree\n" {
		t.Errorf("all lines = %q", got)
	}
	if got := string(l.read(logQuery{tailLines: 2, limitBytes: -1})); got != "two\nthree\n" {
		t.Errorf("tail 2 = %q", got)
	}
	if got := string(l.read(logQuery{tailLines: -1, limitBytes: 6})); got != "one\ntw" {
		t.Errorf("limit 6 = %q", got)
	}
	if got := l.read(logQuery{since: time.Now().Add(time.Hour), tailLines: -1, limitBytes: -1}); len(got) != 0 {
		t.Errorf("since the future = %q", got)
	}
	ts := string(l.read(logQuery{timestamps: true, tailLines: 1, limitBytes: -1}))
	stamp, line, _ := strings.Cut(strings.TrimSuffix(ts, "\n"), " ")
	if _, err := time.Parse(time.RFC3339Nano, stamp); err != nil || line != "three" {
		t.Errorf("timestamps = %q (%v)", ts, err)
	}
}

func TestParseLogQuery(t *testing.T) {
	cases := []struct {
		query   string
		wantErr string
		check   func(logQuery) bool
	}{
		{"", "", func(q logQuery) bool { return q.tailLines == -1 && q.limitBytes == -1 && q.since.IsZero() }},
		{"tailLines=3&limitBytes=10&timestamps=true", "", func(q logQuery) bool {
			return q.tailLines == 3 && q.limitBytes == 10 && q.timestamps
		}},
		{"sinceTime=2026-01-02T03:04:05Z", "", func(q logQuery) bool {
			return q.since.Equal(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
		}},
		{"sinceSeconds=60", "", func(q logQuery) bool { return time.Since(q.since) >= time.Minute }},
		{"follow=true", "follow", nil},
		{"previous=true", "previous", nil},
		{"tailLines=-1", "tailLines", nil},
		{"sinceTime=yesterday", "sinceTime", nil},
		{"stream=Stderr", "stream", nil},
	}
	for _, c := range cases {
		r := &http.Request{URL: &url.URL{RawQuery: c.query}}
		q, err := parseLogQuery(r)
		switch {
		case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
			t.Errorf("%q: error = %v, want one about %s", c.query, err, c.wantErr)
		case c.wantErr == "" && err != nil:
			t.Errorf("%q: %v", c.query, err)
		case c.wantErr == "" && !c.check(q):
			t.Errorf("%q: query %+v", c.query, q)
		}
	}
}
