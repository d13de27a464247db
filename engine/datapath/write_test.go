package datapath

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/prismd/prismd/backends"
	"github.com/prismd/prismd/backends/mem"
	plog "github.com/prismd/prismd/log"
)

// testRegion is a healthy Region over a backend, with a read score, the
// seconds its bodies take per byte (and whether reads should retry it) and
// how long a read waits for it.
type testRegion struct {
	name       string
	b          backends.Backend
	score      float64
	perByte    float64
	retry      bool // RetryPace's answer
	hedgeAfter time.Duration
}

func (r testRegion) Name() string              { return r.name }
func (r testRegion) Backend() backends.Backend { return r.b }
func (r testRegion) Available() bool           { return true }
func (r testRegion) Health() Health {
	return Health{Healthy: true, Score: r.score, PerByte: r.perByte, HedgeAfter: r.hedgeAfter}
}
func (r testRegion) RetryPace() bool               { return r.retry }
func (r testRegion) Observe(time.Duration, error)  {}
func (r testRegion) Streamed(int64, time.Duration) {}
func (r testRegion) Outcome(error)                 {}
func (r testRegion) Wrote(error)                   {}

// watchedPut counts the shard bytes its Puts have read and the Puts that
// have seen the end of their body.
type watchedPut struct {
	backends.Backend
	read, ended *atomic.Int64
}

func (w watchedPut) Put(ctx context.Context, bucket, key string, r io.Reader, size int64) error {
	data := make([]byte, size)
	if _, err := io.ReadFull(r, data); err != nil {
		return err
	}
	w.read.Add(size)
	if n, err := r.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		return errors.New("body longer than its size")
	}
	w.ended.Add(1)
	return w.Backend.Put(ctx, bucket, key, bytes.NewReader(data), size)
}

// TestEndAfterHoldsShardEnds checks the gate of EndAfter: every shard's
// bytes reach its backend while the gate is closed, but no backend Put
// sees the end of its body — so none can make its object appear — until
// the gate opens; a failing gate fails the segment and lands nothing.
func TestEndAfterHoldsShardEnds(t *testing.T) {
	for _, gateErr := range []error{nil, errors.New("log failed")} {
		var read, ended atomic.Int64
		var regions []Region
		var stores []backends.Backend
		for _, name := range []string{"a", "b", "c"} {
			m := mem.New()
			if err := m.CreateBucket(context.Background(), "bk"); err != nil {
				t.Fatal(err)
			}
			stores = append(stores, m)
			regions = append(regions, testRegion{name: name, b: watchedPut{Backend: m, read: &read, ended: &ended}})
		}
		blob := Blob{ID: plog.BlobID{1}, Bucket: "bk", Layout: plog.Layout{K: 2, M: 1, BlockSize: 4096, SegmentSize: 1 << 20}, Size: 10_000}
		var landed atomic.Int64
		w := NewWriter(context.Background(), blob, regions, 2, func(seg, shard int, err error) error {
			if err == nil {
				landed.Add(1)
			}
			return nil
		})
		open := make(chan struct{})
		w.EndAfter(func() error { <-open; return gateErr })
		done := make(chan error, 1)
		go func() {
			done <- w.WriteSegment(context.Background(), 0, bytes.NewReader(make([]byte, blob.Size)), nil, nil)
		}()

		want := 3 * SegmentGeometry(blob.Layout, blob.Size, 0).ShardSize()
		deadline := time.Now().Add(time.Minute)
		for read.Load() < want {
			if time.Now().After(deadline) {
				t.Fatalf("the shards' bytes did not reach the backends while the gate was closed: %d of %d", read.Load(), want)
			}
			time.Sleep(5 * time.Millisecond)
		}
		if n := ended.Load(); n != 0 {
			t.Fatalf("%d shard streams ended before the gate opened", n)
		}
		close(open)
		err := <-done
		w.Wait()
		if gateErr == nil && (err != nil || landed.Load() != 3 || ended.Load() != 3) {
			t.Errorf("open gate: err %v, %d landed, %d ended; want 3 and 3", err, landed.Load(), ended.Load())
		}
		if gateErr != nil {
			if !errors.Is(err, gateErr) || landed.Load() != 0 {
				t.Errorf("failed gate: err %v, %d landed; want the gate's error and none", err, landed.Load())
			}
			for _, s := range stores {
				s.List(context.Background(), "bk", "", func(o backends.ObjectInfo) bool {
					t.Errorf("shard %s stored although the gate failed", o.Key)
					return true
				})
			}
		}
	}
}

// piecePut takes every shard body in pieces (backends.PiecewiseBody), as
// the fs backend does, and wants every piece of an erasure-coded shard but
// the last to be one direct I/O takes as it is: page-aligned in memory and
// in the shard, whole pages long.
type piecePut struct {
	backends.Backend
	t       *testing.T
	aligned bool
}

func (p piecePut) Put(ctx context.Context, bucket, key string, r io.Reader, size int64) error {
	pb, ok := r.(backends.PiecewiseBody)
	if !ok {
		return errors.New("the shard body is not a PiecewiseBody")
	}
	var data []byte
	for {
		piece, err := pb.NextPiece()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if len(piece) == 0 {
			return errors.New("an empty piece")
		}
		last := int64(len(data)+len(piece)) == size
		page := backends.PieceAlign
		if p.aligned && !last && (len(data)%page != 0 || len(piece)%page != 0 || uintptr(unsafe.Pointer(&piece[0]))%uintptr(page) != 0) {
			p.t.Errorf("%s: a piece of %d bytes at offset %d, address %% %d = %d: not one for direct I/O", key, len(piece), len(data), page, uintptr(unsafe.Pointer(&piece[0]))%uintptr(page))
		}
		data = append(data, piece...)
	}
	if int64(len(data)) != size {
		return fmt.Errorf("%s: %d bytes in pieces, want %d", key, len(data), size)
	}
	return p.Backend.Put(ctx, bucket, key, bytes.NewReader(data), size)
}

// TestShardStreams writes segments of many shapes — erasure-coded and
// replicated, empty, smaller than a page, stripes shorter than a page,
// blocks that are not whole pages, one piece buffer or several — through backends that read their
// bodies with Read and through backends that take them in pieces, and
// checks every shard byte: its header, every block's hash at its place,
// and the data blocks holding the body.
func TestShardStreams(t *testing.T) {
	layouts := []plog.Layout{
		{K: 2, M: 1, BlockSize: 4096},
		{K: 2, M: 1, BlockSize: 100},
		{K: 3, M: 2, BlockSize: 5000},
		{K: 4, M: 2, BlockSize: 64 << 10},
		{K: 2, M: 1, BlockSize: 256 << 10},
		{K: 1, M: 2, BlockSize: 4096},
	}
	for _, l := range layouts {
		l.SegmentSize, l.Hash = 1<<30, plog.HashXXH3
		for _, size := range []int64{0, 1, 99, 4096, 8192, 10_000, 123_457, 1<<20 + 3, 5<<20 + 12_345} {
			for _, pieces := range []bool{false, true} {
				name := fmt.Sprintf("%d+%d blocks of %d, %d bytes, pieces %v", l.K, l.M, l.BlockSize, size, pieces)
				body := make([]byte, size)
				for i := range body {
					body[i] = byte(i*7 + i/251)
				}
				blob := Blob{ID: plog.BlobID{byte(size), byte(l.BlockSize)}, Bucket: "bk", Layout: l, Size: size}
				var regions []Region
				var stores []*mem.Backend
				for i := range l.K + l.M {
					m := mem.New()
					if err := m.CreateBucket(context.Background(), "bk"); err != nil {
						t.Fatal(err)
					}
					stores = append(stores, m)
					var b backends.Backend = m
					if pieces {
						b = piecePut{Backend: m, t: t, aligned: l.K > 1}
					}
					regions = append(regions, testRegion{name: fmt.Sprint(i), b: b})
				}
				w := NewWriter(context.Background(), blob, regions, l.K+l.M, nil)
				if err := w.WriteSegment(context.Background(), 0, bytes.NewReader(body), nil, nil); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				w.Wait()
				geo := SegmentGeometry(l, size, 0)
				for i, m := range stores {
					rc, err := m.Get(context.Background(), "bk", Key(blob.Layout.Keys, blob.ID, 0, i), 0, -1)
					if err != nil {
						t.Fatalf("%s: shard %d: %v", name, i, err)
					}
					shard, _ := io.ReadAll(rc)
					rc.Close()
					checkShard(t, name, shard, body, blob, geo, i)
				}
			}
		}
	}
}

// checkShard checks shard i of segment 0 of blob, whose data is body.
func checkShard(t *testing.T, name string, shard, body []byte, blob Blob, geo Geometry, i int) {
	t.Helper()
	if int64(len(shard)) != geo.ShardSize() {
		t.Fatalf("%s: shard %d has %d bytes, want %d", name, i, len(shard), geo.ShardSize())
	}
	if want := (Header{Blob: blob.ID, Segment: 0, Shard: i, Geo: geo}).Encode(); !bytes.Equal(shard[:HeaderSize], want) {
		t.Errorf("%s: shard %d: header %x, want %x", name, i, shard[:HeaderSize], want)
	}
	for j := range geo.Stripes() {
		off, bl := geo.blockOffset(j), geo.BlockLen(j)
		blk, sum := shard[off:off+int64(bl)], shard[off+int64(bl):geo.blockEnd(j)]
		if !verifyBlock(geo.Hash, blk, sum, blob.ID, 0, i, j) {
			t.Errorf("%s: shard %d, stripe %d: the block does not match its hash", name, i, j)
		}
		data := i // the data block this shard holds, if any
		if geo.K == 1 {
			data = 0
		}
		if data >= geo.K {
			continue
		}
		start := int64(j)*geo.StripeBytes() + int64(data*bl)
		want := body[min(start, int64(len(body))):min(start+int64(bl), int64(len(body)))]
		if !bytes.Equal(blk[:len(want)], want) || slices.ContainsFunc(blk[len(want):], func(b byte) bool { return b != 0 }) {
			t.Errorf("%s: shard %d, stripe %d: the block does not hold the body's bytes %d..%d, zero-padded", name, i, j, start, start+int64(len(want)))
		}
	}
}
