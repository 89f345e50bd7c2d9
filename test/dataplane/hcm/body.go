package hcm

import (
	"bytes"
	"errors"
	"io"
	"sync"
)

// requestBody is the downstream request body as the router sends it
// upstream: buffered when retries or mirrors need it (up to the buffer
// limit, as Envoy's router buffers for retries and shadows), streamed
// otherwise.
type requestBody struct {
	buf []byte
	// rest is the part of the downstream body not buffered (nil when
	// complete).
	rest     io.Reader
	complete bool
	// length is the downstream Content-Length (-1 unknown).
	length int64
	// onEnd is called once when the downstream body has been read to its
	// end (the router's global timeout starts then).
	onEnd   func()
	endOnce sync.Once
	used    bool
}

// newRequestBody reads up to limit bytes of body when buffer is set.
func newRequestBody(body io.Reader, length int64, buffer bool, limit int) *requestBody {
	b := &requestBody{length: length}
	if body == nil || length == 0 {
		b.complete = true
		return b
	}
	if !buffer {
		b.rest = body
		return b
	}
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(body, int64(limit)+1))
	b.buf = buf.Bytes()
	switch {
	case err != nil:
		// A broken downstream body: send what was read and let the
		// upstream see the truncation as Envoy would see the reset.
		b.rest = errReader{err}
	case n <= int64(limit):
		b.complete = true
	default:
		b.rest = body
	}
	return b
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// replayable reports whether the body can be sent again (retries,
// mirrors): it was small enough to buffer.
func (b *requestBody) replayable() bool { return b.complete }

// ended calls onEnd once.
func (b *requestBody) ended() {
	b.endOnce.Do(func() {
		if b.onEnd != nil {
			b.onEnd()
		}
	})
}

// reader returns the body for one upstream request, nil for no body.
func (b *requestBody) reader() (io.Reader, error) {
	if b.complete {
		b.ended()
		if b.length == 0 || (len(b.buf) == 0 && b.length < 0) {
			return nil, nil
		}
		return bytes.NewReader(b.buf), nil
	}
	if b.used {
		return nil, errors.New("request body already streamed")
	}
	b.used = true
	return &endNotifier{r: io.MultiReader(bytes.NewReader(b.buf), b.rest), end: b.ended}, nil
}

// snapshot returns the buffered body for a shadow request (nil for no
// body) without marking the downstream body ended.
func (b *requestBody) snapshot() io.Reader {
	if len(b.buf) == 0 {
		return nil
	}
	return bytes.NewReader(b.buf)
}

// endNotifier calls end when r reaches EOF.
type endNotifier struct {
	r   io.Reader
	end func()
}

func (e *endNotifier) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if errors.Is(err, io.EOF) {
		e.end()
	}
	return n, err
}
