package s3

import (
	"errors"
	"io"
	"net/http"
	"os"
	"time"
)

// Idle timeouts: a request whose body stops arriving, or whose answer stops
// being read, must not hold its connection, its file descriptors and what
// the engine opened for it forever. Both work through the connection's
// deadlines (http.ResponseController), pushed ahead before every read or
// write: only a read or write that makes no progress for the whole timeout
// fails.

// idleBody is a request body whose every Read must return within timeout.
// A Read that times out returns ErrRequestTimeout, which the payload
// records, so the engine's read fails, nothing commits and the client is
// answered 400 RequestTimeout.
type idleBody struct {
	io.ReadCloser
	rc      *http.ResponseController
	timeout time.Duration
	off     bool // the connection has no deadlines
}

func (b *idleBody) Read(p []byte) (int, error) {
	if !b.off && b.rc.SetReadDeadline(time.Now().Add(b.timeout)) != nil {
		b.off = true
	}
	n, err := b.ReadCloser.Read(p)
	switch {
	case err == io.EOF && !b.off:
		// Once the body ended the server reads the connection in the
		// background to notice a hang-up; that read must not time out
		// (it would cancel the request while the engine commits).
		b.rc.SetReadDeadline(time.Time{})
	case errors.Is(err, os.ErrDeadlineExceeded):
		err = ErrRequestTimeout
	}
	return n, err
}

// watchIdle arms the idle timeouts of one request: it wraps r's body and
// gives w the write timeout. The returned function pushes the write
// deadline ahead once more for what the server flushes after the handler.
func (s *Server) watchIdle(w *statusWriter, r *http.Request) (done func()) {
	rc := http.NewResponseController(w.ResponseWriter)
	if t := s.cfg.BodyIdleTimeout; t > 0 && r.Body != nil && r.Body != http.NoBody {
		r.Body = &idleBody{ReadCloser: r.Body, rc: rc, timeout: t}
	}
	t := s.cfg.ResponseIdleTimeout
	if t <= 0 {
		return func() {}
	}
	// A keep-alive connection still carries the previous request's
	// deadline: clear it, or the server's own writes (100 Continue) fail.
	if rc.SetWriteDeadline(time.Time{}) != nil {
		return func() {}
	}
	w.rc, w.writeTimeout = rc, t
	return func() { rc.SetWriteDeadline(time.Now().Add(t)) }
}

// extendWrite pushes the write deadline ahead before a write to the client.
func (w *statusWriter) extendWrite() {
	if w.rc != nil {
		w.rc.SetWriteDeadline(time.Now().Add(w.writeTimeout))
	}
}
