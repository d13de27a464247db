package s3

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/prismd/prismd/backends"
)

// exactBody passes exactly size bytes of r to the HTTP client and fails
// (instead of returning the final bytes) when r turns out to be shorter or
// longer, so that the server never receives a complete request for a bad
// body. err records the first failure so Put can report it rather than the
// transport's description of it.
type exactBody struct {
	r         io.Reader
	size      int64
	remaining int64
	err       error
}

func newExactBody(r io.Reader, size int64) *exactBody {
	return &exactBody{r: r, size: size, remaining: size}
}

func (e *exactBody) Read(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	if e.remaining == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > e.remaining {
		p = p[:e.remaining]
	}
	n, err := e.r.Read(p)
	e.remaining -= int64(n)
	switch {
	case err == io.EOF && e.remaining > 0:
		e.err = fmt.Errorf("body has %d bytes, want %d: %w", e.size-e.remaining, e.size, backends.ErrShortBody)
		return 0, e.err
	case err != nil && err != io.EOF:
		e.err = fmt.Errorf("read body: %w", err)
		return 0, e.err
	case e.remaining == 0 && err == nil:
		// Hold the last bytes back until r is known to end here.
		if err := e.checkEOF(); err != nil {
			e.err = err
			return 0, err
		}
	}
	return n, nil
}

// failure returns the error that explains a failed read of e: its own
// record when it has one, else err.
func (e *exactBody) failure(err error) error {
	if e.err != nil {
		return e.err
	}
	return err
}

// checkEOF reports whether r is exhausted.
func (e *exactBody) checkEOF() error {
	var one [1]byte
	for range 1000 {
		n, err := e.r.Read(one[:])
		switch {
		case n > 0:
			return fmt.Errorf("body longer than %d bytes: %w", e.size, backends.ErrShortBody)
		case err == io.EOF:
			return nil
		case err != nil:
			return fmt.Errorf("read body: %w", err)
		}
	}
	return fmt.Errorf("read body: %w", io.ErrNoProgress)
}

// safeBody is a request body that can be cut off: the HTTP transport may
// keep reading a request body after Do returns, so the lean path closes it
// then and later reads get io.EOF (never the caller's reader, which the
// caller may reuse once Put returns). It is what the SDK wraps bodies in.
//
// A body of at most smallBodyBytes is read into mem before the request is
// built: net/http then writes headers and body together (one write and one
// packet instead of two for every small shard), and nobody else holds mem.
type safeBody struct {
	mu     sync.Mutex
	closed bool
	r      io.Reader
	mem    []byte
	size   int64
}

// smallBodyBytes is the largest body sent from memory (see safeBody); it
// fits with the request's headers in the transport's write buffer.
const smallBodyBytes = 48 << 10

func (s *safeBody) Read(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, io.EOF
	}
	return s.r.Read(p)
}

func (s *safeBody) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

// getBody is a Get response body whose read failures (other than the
// caller's canceled context) wrap ErrUnavailable.
type getBody struct {
	ctx context.Context
	b   *Backend
	rc  io.ReadCloser
	r   io.Reader
}

func (g *getBody) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	if err != nil && err != io.EOF {
		if g.ctx.Err() != nil {
			return n, err
		}
		return n, fmt.Errorf("s3 %s: read body: %w: %w", g.b.cfg.Name, backends.ErrUnavailable, err)
	}
	return n, err
}

func (g *getBody) Close() error { return g.rc.Close() }
