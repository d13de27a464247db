package s3

import (
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

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
	held      [1]byte // the last byte of a piecewise body (see nextPiece)
	holding   bool
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
	if e.holding {
		b, err := e.release()
		return copy(p, b), err
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

// nextPiece is Read for a body r that is a backends.PiecewiseBody (see
// safeBody.pieces): r's next piece as it is, without a copy, valid until
// the next call. As Read holds the last bytes back until r is known to end
// there, nextPiece holds back the body's last byte (a copy of it: the check
// reads on, and r may then reuse the piece's memory) and returns it by
// itself after the check.
func (e *exactBody) nextPiece() ([]byte, error) {
	if e.err != nil {
		return nil, e.err
	}
	if e.remaining == 0 {
		return nil, io.EOF
	}
	if e.holding {
		return e.release()
	}
	p, err := e.r.(backends.PiecewiseBody).NextPiece()
	switch {
	case err == io.EOF:
		e.err = fmt.Errorf("body has %d bytes, want %d: %w", e.size-e.remaining, e.size, backends.ErrShortBody)
		return nil, e.err
	case err != nil:
		e.err = fmt.Errorf("read body: %w", err)
		return nil, e.err
	case int64(len(p)) > e.remaining:
		e.err = fmt.Errorf("body longer than %d bytes: %w", e.size, backends.ErrShortBody)
		return nil, e.err
	case int64(len(p)) < e.remaining:
		e.remaining -= int64(len(p))
		return p, nil
	}
	// p ends the body: all of it but its last byte now, that byte later.
	e.held[0], e.holding = p[len(p)-1], true
	e.remaining = 1
	if len(p) == 1 {
		return e.release()
	}
	return p[:len(p)-1], nil
}

// release returns the held-back last byte once r is known to end after it.
func (e *exactBody) release() ([]byte, error) {
	e.holding = false
	if err := e.checkEOF(); err != nil {
		e.err = err
		return nil, err
	}
	e.remaining = 0
	return e.held[:], nil
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
//
// A body in pieces is written to the connection from the caller's memory
// (writeTo), so Close must wait for a write in progress; it first cuts
// that write off by expiring the connection's write deadline, as a region
// that answered early may never read the rest.
type safeBody struct {
	mu     sync.Mutex // held while the caller's reader or memory is in use
	closed bool
	r      io.Reader
	mem    []byte
	size   int64

	cutMu   sync.Mutex // never held across I/O
	cut     bool       // Close was called
	writing net.Conn   // the connection writeTo is writing to, if any
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

// pieces returns s's body when it is in pieces (backends.PiecewiseBody),
// which writeTo sends without a copy; nil otherwise.
func (s *safeBody) pieces() *exactBody {
	if e, ok := s.r.(*exactBody); ok {
		if _, ok := e.r.(backends.PiecewiseBody); ok {
			return e
		}
	}
	return nil
}

// writeTo writes the rest of s, a body in pieces, to c: piece by piece
// straight from the pieces' memory (one write each, no copy through a
// buffer), stopping once s is closed. It is how a region connection sends
// a Put's body (regionConn.ReadFrom); exactBody yields no more than size
// bytes in all, the Content-Length net/http limits the body to.
func (s *safeBody) writeTo(c net.Conn) (int64, error) {
	if !s.startWriting(c) {
		return 0, nil
	}
	defer s.stopWriting(c)
	e := s.pieces()
	var n int64
	for {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return n, nil
		}
		p, err := e.nextPiece()
		if err == nil {
			var m int
			m, err = c.Write(p)
			n += int64(m)
		}
		s.mu.Unlock()
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// startWriting records c as the connection writeTo writes to, for Close
// to cut off; false if s is already closed.
func (s *safeBody) startWriting(c net.Conn) bool {
	s.cutMu.Lock()
	defer s.cutMu.Unlock()
	s.writing = c
	return !s.cut
}

// stopWriting forgets c. A Close that came after writeTo's last write
// expired c's write deadline although nothing was cut off: c is healthy,
// and may serve the next request, so its deadline is cleared again.
func (s *safeBody) stopWriting(c net.Conn) {
	s.cutMu.Lock()
	defer s.cutMu.Unlock()
	s.writing = nil
	if s.cut {
		_ = c.SetWriteDeadline(time.Time{})
	}
}

// Close cuts s off: later reads get io.EOF and writeTo stops. A write
// of a piece in progress is failed at once (its connection's write
// deadline expires), then Close waits for it to return.
func (s *safeBody) Close() error {
	s.cutMu.Lock()
	s.cut = true
	if s.writing != nil {
		_ = s.writing.SetWriteDeadline(time.Unix(1, 0))
	}
	s.cutMu.Unlock()
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
