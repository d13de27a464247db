package bench

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// shaperChunk is the most bytes the shaper reads and forwards at once.
const shaperChunk = 32 << 10

// chunks recycles the shaper's chunk buffers: a relay that allocated one
// per read made the bench process, which also runs the client, spend its
// CPU on garbage collection, the CPU the servers it measures share.
var chunks = sync.Pool{New: func() any { return new([shaperChunk]byte) }}

// Shaper is a TCP relay on 127.0.0.1 that makes a local server look
// distant: every byte is delivered Delay after it was received, in each
// direction (a round trip gains 2 × Delay), and, when BytesPerSec > 0, no
// connection moves more than that many bytes a second in either
// direction. It understands nothing of what it carries (HTTP, TLS), so
// one Shaper in front of each region makes a WAN of local servers.
type Shaper struct {
	// Addr is where clients connect ("127.0.0.1:port").
	Addr string

	target      string
	delay       time.Duration
	bytesPerSec int64
	ln          net.Listener
	wg          sync.WaitGroup
	mu          sync.Mutex
	conns       map[net.Conn]struct{}
	closed      bool
}

// StartShaper listens on a free port of 127.0.0.1 and relays every
// connection to target (host:port) with the given one-way delay and
// per-connection bandwidth (0: unlimited).
func StartShaper(target string, delay time.Duration, bytesPerSec int64) (*Shaper, error) {
	if target == "" || delay < 0 || bytesPerSec < 0 {
		return nil, fmt.Errorf("%w: shaper to %q, delay %v, %d B/s", ErrInvalidConfig, target, delay, bytesPerSec)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrProcess, err)
	}
	s := &Shaper{Addr: ln.Addr().String(), target: target, delay: delay, bytesPerSec: bytesPerSec, ln: ln, conns: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

func (s *Shaper) accept() {
	defer s.wg.Done()
	for {
		in, err := s.ln.Accept()
		if err != nil {
			return
		}
		out, err := net.DialTimeout("tcp", s.target, 5*time.Second)
		if err != nil {
			in.Close()
			continue
		}
		if !s.track(in, out) {
			return
		}
		var pair sync.WaitGroup
		pair.Add(2)
		s.wg.Add(1)
		go func() { defer pair.Done(); s.pipe(out, in) }()
		go func() { defer pair.Done(); s.pipe(in, out) }()
		go func() {
			defer s.wg.Done()
			pair.Wait()
			s.untrack(in, out)
		}()
	}
}

// untrack closes and forgets a connection pair whose pipes have ended.
func (s *Shaper) untrack(cs ...net.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range cs {
		c.Close()
		delete(s.conns, c)
	}
}

// track records a connection pair for Close; false when closed already.
func (s *Shaper) track(cs ...net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		for _, c := range cs {
			c.Close()
		}
		return false
	}
	for _, c := range cs {
		s.conns[c] = struct{}{}
	}
	return true
}

// delayed is a chunk and when it may be delivered.
type delayed struct {
	buf *[shaperChunk]byte
	n   int
	due time.Time
}

// pipe copies src to dst: a reader stamps each chunk with its due time
// (arrival + delay, later when the bandwidth is used up) and a writer
// delivers it then. The queue between them is bounded, so a slow receiver
// slows the sender as TCP would.
func (s *Shaper) pipe(dst, src net.Conn) {
	q := make(chan delayed, 256)
	go func() {
		defer close(q)
		next := time.Now() // when the link is free again
		for {
			buf := chunks.Get().(*[shaperChunk]byte)
			n, err := src.Read(buf[:])
			if n == 0 {
				chunks.Put(buf)
			}
			if n > 0 {
				now := time.Now()
				due := now.Add(s.delay)
				if s.bytesPerSec > 0 {
					next = maxTime(next, now).Add(time.Duration(int64(n) * int64(time.Second) / s.bytesPerSec))
					due = next.Add(s.delay)
				}
				q <- delayed{buf: buf, n: n, due: due}
			}
			if err != nil {
				return
			}
		}
	}()
	for c := range q {
		if d := time.Until(c.due); d > 0 {
			time.Sleep(d)
		}
		_, err := dst.Write(c.buf[:c.n])
		chunks.Put(c.buf)
		if err != nil {
			break
		}
	}
	for c := range q { // let the reader finish
		chunks.Put(c.buf)
	}
	if tc, ok := dst.(*net.TCPConn); ok {
		tc.CloseWrite()
	} else {
		dst.Close()
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// Close stops listening and closes every connection.
func (s *Shaper) Close() error {
	s.mu.Lock()
	s.closed = true
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	err := s.ln.Close()
	s.wg.Wait()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

var _ io.Closer = (*Shaper)(nil)
