package datapath

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sync/atomic"
	"testing"
	"time"

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
