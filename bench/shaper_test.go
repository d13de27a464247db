package bench

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"
)

// echoServer answers every connection with what it sent.
func echoServer(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(c, c); c.Close() }()
		}
	}()
	return ln.Addr().String()
}

// TestShaperDelaysAndLimits checks the shaper's floor: the bytes come back
// intact, a round trip takes at least twice the one-way delay, and a
// transfer at least its size over the bandwidth. (Lower bounds only: a
// busy machine can make it slower, never faster.)
func TestShaperDelaysAndLimits(t *testing.T) {
	target := echoServer(t)
	const delay = 40 * time.Millisecond
	s, err := StartShaper(target, delay, 256<<10)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	start := time.Now()
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 4)
	if _, err := io.ReadFull(c, got); err != nil || string(got) != "ping" {
		t.Fatalf("echo: %q, %v", got, err)
	}
	if rtt := time.Since(start); rtt < 2*delay {
		t.Errorf("round trip %v, want at least %v", rtt, 2*delay)
	}

	// 128 KiB at 256 KiB/s each way: at least half a second there, and
	// the echo back is paced too.
	data := bytes.Repeat([]byte("0123456789abcdef"), 8<<10)
	start = time.Now()
	go c.Write(data)
	back := make([]byte, len(data))
	if _, err := io.ReadFull(c, back); err != nil || !bytes.Equal(back, data) {
		t.Fatalf("transfer: %v, equal %v", err, bytes.Equal(back, data))
	}
	if d := time.Since(start); d < 500*time.Millisecond {
		t.Errorf("128 KiB at 256 KiB/s took %v, want at least 500ms", d)
	}
}

func TestShaperRefusesBadConfig(t *testing.T) {
	for _, c := range []struct {
		target string
		delay  time.Duration
		bw     int64
	}{{"", 0, 0}, {"127.0.0.1:1", -1, 0}, {"127.0.0.1:1", 0, -1}} {
		if s, err := StartShaper(c.target, c.delay, c.bw); err == nil {
			s.Close()
			t.Errorf("StartShaper(%q, %v, %d) accepted", c.target, c.delay, c.bw)
		}
	}
}
