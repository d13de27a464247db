package s3

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/prismd/prismd/backends"
)

// countedPieces is a backends.PiecewiseBody that counts how its bytes are
// taken.
type countedPieces struct {
	pieces     [][]byte
	nextPieces int   // pieces NextPiece gave
	readBytes  int64 // bytes Read gave
}

func (c *countedPieces) NextPiece() ([]byte, error) {
	if len(c.pieces) == 0 {
		return nil, io.EOF
	}
	p := c.pieces[0]
	c.pieces = c.pieces[1:]
	c.nextPieces++
	return p, nil
}

func (c *countedPieces) Read(p []byte) (int, error) {
	if len(c.pieces) == 0 {
		return 0, io.EOF
	}
	n := copy(p, c.pieces[0])
	if c.pieces[0] = c.pieces[0][n:]; len(c.pieces[0]) == 0 {
		c.pieces = c.pieces[1:]
	}
	c.readBytes += int64(n)
	return n, nil
}

// TestPiecewisePutSkipsTheCopy: a Put's body in pieces reaches the region
// through regionConn.ReadFrom, piece by piece from the body's memory: net/
// http reads only what fits beside the headers in its write buffer, the
// rest is taken with NextPiece, and the region receives the body byte for
// byte. A region that refuses the Put without reading ends it with its
// error.
func TestPiecewisePutSkipsTheCopy(t *testing.T) {
	data := make([]byte, 3<<20+7)
	rand.Read(data)
	for _, refuse := range []bool{false, true} {
		var mu sync.Mutex
		var got []byte
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if refuse {
				s3Error(w, 403, "AccessDenied", "Access Denied")
				return
			}
			b, _ := io.ReadAll(r.Body)
			mu.Lock()
			got = b
			mu.Unlock()
		}))
		b, err := New(t.Context(), Config{Name: "fake", Endpoint: srv.URL, AccessKey: "a", SecretKey: "s", PathStyle: true})
		if err != nil {
			t.Fatal(err)
		}
		body := &countedPieces{}
		for rest := data; len(rest) > 0; {
			n := min(len(rest), 1<<20)
			body.pieces = append(body.pieces, rest[:n])
			rest = rest[n:]
		}
		err = b.Put(t.Context(), "bkt", "k", body, int64(len(data)))
		srv.Close()
		mu.Lock()
		if refuse {
			if err == nil || !bytes.Contains([]byte(err.Error()), []byte("AccessDenied")) {
				t.Errorf("refused Put = %v, want AccessDenied", err)
			}
		} else {
			if err != nil || !bytes.Equal(got, data) {
				t.Errorf("Put = %v, region got %d bytes (equal %v), want %d", err, len(got), bytes.Equal(got, data), len(data))
			}
			if body.readBytes > 64<<10 || body.nextPieces < 3 {
				t.Errorf("net/http read %d bytes and took %d pieces: the body was copied, not sent from its pieces", body.readBytes, body.nextPieces)
			}
		}
		mu.Unlock()
	}
}

// TestEarlyAnswerEndsPut: a region that answers a Put before reading its
// body and then neither reads nor closes the connection still lets the Put
// end, with the region's error, while a piece is being written: the body's
// Close cuts off the write in progress.
func TestEarlyAnswerEndsPut(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					line, err := br.ReadString('\n')
					if err != nil {
						return
					}
					if line == "\r\n" {
						break
					}
				}
				const msg = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>no</Message></Error>`
				io.WriteString(c, "HTTP/1.1 403 Forbidden\r\nContent-Type: application/xml\r\nContent-Length: "+strconv.Itoa(len(msg))+"\r\n\r\n"+msg)
				<-done // neither reads nor closes
			}()
		}
	}()
	b, err := New(t.Context(), Config{Name: "fake", Endpoint: "http://" + ln.Addr().String(), AccessKey: "a", SecretKey: "s", PathStyle: true})
	if err != nil {
		t.Fatal(err)
	}
	body := &countedPieces{}
	data := make([]byte, 64<<20) // more than the socket buffers hold
	for rest := data; len(rest) > 0; rest = rest[4<<20:] {
		body.pieces = append(body.pieces, rest[:4<<20])
	}
	errc := make(chan error, 1)
	go func() { errc <- b.Put(t.Context(), "bkt", "k", body, int64(len(data))) }()
	select {
	case err := <-errc:
		if err == nil || !bytes.Contains([]byte(err.Error()), []byte("AccessDenied")) {
			t.Errorf("Put = %v, want AccessDenied", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("Put still running a minute after the region answered it")
	}
}

// TestLateCloseLeavesConnHealthy: a Close that comes after writeTo's last
// write (the region answered before writeTo returned) cuts nothing off,
// and the connection, which may serve the next request, still writes.
func TestLateCloseLeavesConnHealthy(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			io.Copy(io.Discard, c)
			c.Close()
		}
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s := &safeBody{r: newExactBody(&countedPieces{pieces: [][]byte{[]byte("abc")}}, 3), size: 3}
	if !s.startWriting(c) {
		t.Fatal("startWriting on an open body = false")
	}
	s.Close() // as if the answer came between the last write and the return
	s.stopWriting(c)
	if _, err := c.Write([]byte("next request")); err != nil {
		t.Errorf("write after a late Close: %v", err)
	}
	if s.startWriting(c) {
		t.Error("startWriting on a closed body = true")
	}
}

// TestStalledRegionFails: a region that stops sending mid-body fails the
// read with ErrUnavailable once nothing came for Timeout; one that sends
// slowly but steadily, for longer than Timeout in all, is read to the end.
func TestStalledRegionFails(t *testing.T) {
	// The steady region pauses a tenth of the timeout between chunks (a busy
	// machine has nine tenths of slack) and takes 1.5 timeouts in all.
	const timeout = time.Second
	const chunk, chunks = 1000, 15
	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(chunk*chunks))
		w.WriteHeader(200)
		flusher := w.(http.Flusher)
		for i := range chunks {
			if r.URL.Path == "/bkt/stalls" && i == 2 {
				<-stop // silent until the test ends
				return
			}
			w.Write(bytes.Repeat([]byte{byte(i)}, chunk))
			flusher.Flush()
			time.Sleep(timeout / 10) // the region's pace, not a wait for the test

		}
	}))
	defer srv.Close()
	defer close(stop)
	b, err := New(t.Context(), Config{Name: "fake", Endpoint: srv.URL, AccessKey: "a", SecretKey: "s", PathStyle: true, Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	rc, err := b.Get(t.Context(), "bkt", "steady", 0, chunk*chunks)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, rc)
	rc.Close()
	if err != nil || n != chunk*chunks {
		t.Errorf("steady region: read %d bytes, %v; want %d", n, err, chunk*chunks)
	}
	rc, err = b.Get(t.Context(), "bkt", "stalls", 0, chunk*chunks)
	if err != nil {
		t.Fatal(err)
	}
	n, err = io.Copy(io.Discard, rc)
	rc.Close()
	if !errors.Is(err, backends.ErrUnavailable) || n != 2*chunk {
		t.Errorf("stalled region: read %d bytes, %v; want %d and ErrUnavailable", n, err, 2*chunk)
	}
}
