package datapath

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/prismd/prismd/backends"
	"github.com/prismd/prismd/backends/faulty"
	"github.com/prismd/prismd/backends/mem"
	plog "github.com/prismd/prismd/log"
)

// TestReadOrder: a read asks the data shards first unless a parity shard's
// region is clearly faster, a gap regions on local disks never show but
// distant regions do; shards not stored are never asked.
func TestReadOrder(t *testing.T) {
	region := func(ms float64) Region { return testRegion{name: "r", score: ms / 1000} }
	for _, tc := range []struct {
		name string
		k    int
		ms   []float64 // the score of each shard's region; < 0: not stored
		want []int
	}{
		{"equal", 2, []float64{2, 2, 2}, []int{0, 1, 2}},
		{"local jitter: a data shard's disk 3 ms slower", 2, []float64{1, 4, 1}, []int{0, 1, 2}},
		{"local jitter: 8 ms slower", 2, []float64{9, 1, 1}, []int{1, 0, 2}},
		{"distant data region (100 ms), near parity (20 ms)", 2, []float64{50, 100, 20}, []int{2, 0, 1}},
		{"parity 35 ms, data 50 ms: not clearly faster", 2, []float64{50, 50, 35}, []int{0, 1, 2}},
		{"parity 30 ms, data 50 ms: clearly faster", 2, []float64{50, 50, 30}, []int{2, 0, 1}},
		{"data shard not stored", 2, []float64{-1, 5, 5}, []int{1, 2}},
		{"3+2, one data region slow", 3, []float64{2, 40, 2, 2, 3}, []int{0, 2, 3, 4, 1}},
	} {
		s := Segment{Geo: Geometry{K: tc.k, M: len(tc.ms) - tc.k, BlockSize: 4096, Size: 1 << 20}}
		for _, ms := range tc.ms {
			if ms < 0 {
				s.Shards = append(s.Shards, nil)
			} else {
				s.Shards = append(s.Shards, region(ms))
			}
		}
		if got := readOrder(s); !slices.Equal(got, tc.want) {
			t.Errorf("%s (%d+%d): order %v, want %v", tc.name, s.Geo.K, s.Geo.M, got, tc.want)
		}
	}
}

// TestReadOrderByPace: a region whose bodies flow slowly is read last for
// blocks big enough for its pace to matter, however fast it answers.
func TestReadOrderByPace(t *testing.T) {
	fast := testRegion{name: "fast", score: 0.050}
	starved := testRegion{name: "starved", score: 0.020, perByte: 1.0 / (1 << 20)} // 1 MiB/s
	for _, tc := range []struct {
		block int
		want  []int
	}{
		{4 << 10, []int{0, 1, 2}},   // 4 ms at its pace: its answer still wins
		{1 << 20, []int{1, 2, 0}},   // a second at its pace
		{256 << 10, []int{1, 2, 0}}, // a quarter of a second
	} {
		s := Segment{Geo: Geometry{K: 2, M: 1, BlockSize: tc.block, Size: 8 << 20}, Shards: []Region{starved, fast, fast}}
		if got := readOrder(s); !slices.Equal(got, tc.want) {
			t.Errorf("block %d: order %v, want %v", tc.block, got, tc.want)
		}
	}
	// A read told to retry the starved region's stale pace asks it first,
	// even when its answers were slow as well (a region starved of
	// bandwidth answers late too) and even for its parity shard.
	retried := starved
	retried.retry = true
	retried.score = 0.5
	for _, tc := range []struct {
		shards []Region
		want   []int
	}{
		{[]Region{retried, fast, fast}, []int{0, 1, 2}},
		{[]Region{fast, fast, retried}, []int{2, 0, 1}},
	} {
		s := Segment{Geo: Geometry{K: 2, M: 1, BlockSize: 1 << 20, Size: 8 << 20}, Shards: tc.shards}
		if got := readOrder(s); !slices.Equal(got, tc.want) {
			t.Errorf("stale pace retried: order %v, want %v", got, tc.want)
		}
	}
}

// TestBehind: a stream is hedged on its pace once enough of its body came
// to tell it, and only when the rest of its block at that pace would take
// longer than a spare's whole block.
func TestBehind(t *testing.T) {
	const ms = time.Millisecond
	for _, tc := range []struct {
		name   string
		got    int64
		waited time.Duration
		left   int64
		spare  time.Duration
		want   bool
	}{
		{"1 MiB/s, most of a 1 MiB block left, spare 60 ms", 100 << 10, 100 * ms, 900 << 10, 60 * ms, true},
		{"1 MiB/s, 40 KiB left: 40 ms, less than the spare", 984 << 10, 960 * ms, 40 << 10, 60 * ms, false},
		{"fast stream", 512 << 10, 2 * ms, 512 << 10, 60 * ms, false},
		{"too little came to tell", 8 << 10, 500 * ms, 1 << 20, 60 * ms, false},
		{"block already read", 1 << 20, time.Second, 0, 0, false},
		{"spare slower than the rest", 100 << 10, 100 * ms, 900 << 10, 2 * time.Second, false},
	} {
		if got := behind(tc.got, tc.waited, tc.left, tc.spare); got != tc.want {
			t.Errorf("%s: behind %v, want %v", tc.name, got, tc.want)
		}
	}
}

// stallingGet is a backend whose Get bodies deliver their first after
// bytes and then stall until the read is given up.
type stallingGet struct {
	backends.Backend
	after int64
}

func (s stallingGet) Get(ctx context.Context, bucket, key string, off, n int64) (io.ReadCloser, error) {
	rc, err := s.Backend.Get(ctx, bucket, key, off, n)
	if err != nil {
		return nil, err
	}
	return stalled{io.LimitReader(rc, s.after), ctx, rc}, nil
}

type stalled struct {
	r   io.Reader
	ctx context.Context
	c   io.Closer
}

func (s stalled) Read(p []byte) (int, error) {
	if n, err := s.r.Read(p); err != io.EOF {
		return n, err
	}
	<-s.ctx.Done()
	return 0, s.ctx.Err()
}

func (s stalled) Close() error { return s.c.Close() }

// TestReadHedgesAStreamThatStallsMidBlock: a shard whose body stops
// after its first 64 KiB, in the middle of its first block, is given up for
// the spare without waiting for its region's HedgeAfter (an hour here): the
// time it has waited for nothing counts against its pace.
func TestReadHedgesAStreamThatStallsMidBlock(t *testing.T) {
	seg, data := hedgeSegment(t, func(m backends.Backend) backends.Backend { return stallingGet{Backend: m, after: 64 << 10} })
	geo := seg.Geo
	// Without hedging on progress the read would wait for ever: a minute
	// bounds it (it takes milliseconds).
	rctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r := Read(rctx, seg, 0, geo.Stripes()-1, nil, nil)
	defer r.Close()
	got, err := io.ReadAll(r.Data())
	if err != nil {
		t.Fatalf("read with a stalled shard: %v", err)
	}
	if !bytes.Equal(got, data) {
		t.Fatal("bytes differ")
	}
}

// hedgeSegment writes a 2 MiB segment (2+1, blocks of 256 KiB) over three
// in-memory regions whose reads hedge only on progress (HedgeAfter is an
// hour); wrap wraps the backend of the first, the best for reads, which
// holds data shard 0. It returns the segment and its data.
func hedgeSegment(t *testing.T, wrap func(backends.Backend) backends.Backend) (Segment, []byte) {
	t.Helper()
	ctx := context.Background()
	blob := Blob{ID: plog.BlobID{7}, Bucket: "bk", Layout: plog.Layout{K: 2, M: 1, BlockSize: 256 << 10, SegmentSize: 8 << 20}, Size: 2 << 20}
	var regions []Region
	for i, name := range []string{"a", "b", "c"} {
		m := mem.New()
		if err := m.CreateBucket(ctx, "bk"); err != nil {
			t.Fatal(err)
		}
		r := testRegion{name: name, b: m, score: 0.001, hedgeAfter: time.Hour}
		if i == 0 {
			r.b, r.score = wrap(m), 0
		}
		regions = append(regions, r)
	}
	data := randomData(int(blob.Size))
	w := NewWriter(ctx, blob, regions, 2, nil)
	if err := w.WriteSegment(ctx, 0, bytes.NewReader(data), nil, nil); err != nil {
		t.Fatal(err)
	}
	w.Wait()
	return Segment{Blob: blob.ID, Geo: SegmentGeometry(blob.Layout, blob.Size, 0), Bucket: "bk", Shards: regions}, data
}

// randomData returns n reproducible pseudo-random bytes.
func randomData(n int) []byte {
	rnd := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rnd.Uint32())
	}
	return b
}

// TestReadHedgesAStreamThatFallsBehind: a shard whose region answers at
// once but whose body then trickles is given up for the spare mid-block,
// without waiting for its region's HedgeAfter (an hour here) or for its
// body (half a minute at its pace): the read completes with the right
// bytes from the other two shards. So does the read that tries a region
// whose stale pace it was told to retry (asked first despite a slow
// answer time) when that region is still slow.
func TestReadHedgesAStreamThatFallsBehind(t *testing.T) {
	for _, trial := range []bool{false, true} {
		var slow *faulty.Backend
		seg, data := hedgeSegment(t, func(m backends.Backend) backends.Backend { slow = faulty.Wrap(m); return slow })
		if trial {
			r := seg.Shards[0].(testRegion)
			r.score, r.perByte, r.retry = 0.5, 1e-9, true
			seg.Shards[0] = r
		}
		geo := seg.Geo
		const rate = 32 << 10
		slow.SetReadRate(rate)
		slow.ResetCalls() // count the read's calls, not the write's
		whole := time.Duration(geo.ShardSize() / rate * int64(time.Second))
		done := make(chan []byte, 1)
		go func() {
			r := Read(context.Background(), seg, 0, geo.Stripes()-1, nil, nil)
			defer r.Close()
			got, err := io.ReadAll(r.Data())
			if err != nil {
				t.Error(err)
			}
			done <- got
		}()
		select {
		case got := <-done:
			if !bytes.Equal(got, data) {
				t.Fatalf("trial %v: bytes differ", trial)
			}
		case <-time.After(whole):
			t.Fatalf("trial %v: the read waited for the slow shard's whole body (%v at %d B/s)", trial, whole, rate)
		}
		if slow.Calls(faulty.OpGet) == 0 {
			t.Fatalf("trial %v: the slow region was never asked: the test proves nothing", trial)
		}
	}
}
