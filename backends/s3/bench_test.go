package s3_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prismd/prismd/backends/s3"
	"github.com/prismd/prismd/backends/s3/s3test"
)

// The benchmarks run one operation at a time against one versitygw, so
// ns/op is mostly the server's latency. What the backend itself costs shows
// in allocs/op, B/op and cpu-ns/op (CPU time of this process per op, all
// goroutines); srv-cpu-ns/op is versitygw's CPU per op, for scale.

func benchBackend(b *testing.B, cfg func(*s3.Config)) (*s3.Backend, *s3test.Server) {
	b.Helper()
	srv := s3test.StartVersity(b, b.TempDir())
	c := config(srv)
	if cfg != nil {
		cfg(&c)
	}
	be := newBackend(b, c)
	if err := be.CreateBucket(context.Background(), "bench"); err != nil {
		b.Fatal(err)
	}
	return be, srv
}

// cpuMeter reports process and server CPU per op as custom metrics.
type cpuMeter struct {
	b        *testing.B
	srv      *s3test.Server
	self, gw time.Duration
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procCPU returns pid's user+system CPU from /proc (clock ticks of 10ms).
func procCPU(pid int) time.Duration {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(data)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

func startCPU(b *testing.B, srv *s3test.Server) *cpuMeter {
	return &cpuMeter{b: b, srv: srv, self: selfCPU(), gw: procCPU(srv.PID())}
}

func (m *cpuMeter) stop(n int) {
	self, gw := selfCPU()-m.self, procCPU(m.srv.PID())-m.gw
	if n > 0 {
		m.b.ReportMetric(float64(self.Nanoseconds())/float64(n), "cpu-ns/op")
		m.b.ReportMetric(float64(gw.Nanoseconds())/float64(n), "srv-cpu-ns/op")
	}
}

func benchGet(b *testing.B, size int, length int64) {
	be, srv := benchBackend(b, nil)
	ctx := context.Background()
	data := bytes.Repeat([]byte("g"), size)
	if err := be.Put(ctx, "bench", "obj", bytes.NewReader(data), int64(size)); err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 64<<10)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	n := 0
	m := startCPU(b, srv)
	for b.Loop() {
		rc, err := be.Get(ctx, "bench", "obj", 0, length)
		if err != nil {
			b.Fatal(err)
		}
		got, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{rc}, buf)
		rc.Close()
		if err != nil || got != int64(size) {
			b.Fatalf("Get read %d bytes, %v", got, err)
		}
		n++
	}
	m.stop(n)
}

// BenchmarkGet4KiB is a ranged GET of a whole 4 KiB object, as the gateway
// does for small objects' shards.
func BenchmarkGet4KiB(b *testing.B) { benchGet(b, 4<<10, 4<<10) }

// BenchmarkGet8MiB reads a whole 8 MiB object (no Range header).
func BenchmarkGet8MiB(b *testing.B) { benchGet(b, 8<<20, -1) }

// BenchmarkPut4KiB overwrites a 4 KiB object from a plain io.Reader.
func BenchmarkPut4KiB(b *testing.B) {
	be, srv := benchBackend(b, nil)
	ctx := context.Background()
	data := bytes.Repeat([]byte("p"), 4<<10)
	r := bytes.NewReader(data)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	n := 0
	m := startCPU(b, srv)
	for b.Loop() {
		r.Reset(data)
		if err := be.Put(ctx, "bench", "obj", struct{ io.Reader }{r}, int64(len(data))); err != nil {
			b.Fatal(err)
		}
		n++
	}
	m.stop(n)
}

// BenchmarkStat is a HEAD of an existing object.
func BenchmarkStat(b *testing.B) {
	be, srv := benchBackend(b, nil)
	ctx := context.Background()
	if err := be.Put(ctx, "bench", "obj", strings.NewReader("x"), 1); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	n := 0
	m := startCPU(b, srv)
	for b.Loop() {
		if _, err := be.Stat(ctx, "bench", "obj"); err != nil {
			b.Fatal(err)
		}
		n++
	}
	m.stop(n)
}

// pieces is a backends.PiecewiseBody over data in pieces of 1 MiB, as the
// engine hands a shard to a region.
type pieces struct{ data []byte }

func (p *pieces) NextPiece() ([]byte, error) {
	if len(p.data) == 0 {
		return nil, io.EOF
	}
	n := min(len(p.data), 1<<20)
	piece := p.data[:n]
	p.data = p.data[n:]
	return piece, nil
}

func (p *pieces) Read(b []byte) (int, error) {
	if len(p.data) == 0 {
		return 0, io.EOF
	}
	n := copy(b, p.data)
	p.data = p.data[n:]
	return n, nil
}

// BenchmarkPut4MiB overwrites a 4 MiB object (a shard of an 8 MiB object
// in 2+1) from a plain io.Reader, which net/http copies through a buffer,
// and from a body in pieces, which goes to the socket from its memory.
func BenchmarkPut4MiB(b *testing.B) {
	data := bytes.Repeat([]byte("p"), 4<<20)
	for _, c := range []struct {
		name string
		body func() io.Reader
	}{
		{"reader", func() io.Reader { return struct{ io.Reader }{bytes.NewReader(data)} }},
		{"pieces", func() io.Reader { return &pieces{data: data} }},
	} {
		b.Run(c.name, func(b *testing.B) {
			be, srv := benchBackend(b, nil)
			ctx := context.Background()
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			n := 0
			m := startCPU(b, srv)
			for b.Loop() {
				if err := be.Put(ctx, "bench", "obj", c.body(), int64(len(data))); err != nil {
					b.Fatal(err)
				}
				n++
			}
			m.stop(n)
		})
	}
}
