package engine_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"sync"
	"testing"

	"github.com/prismd/prismd/backends/faulty"
	"github.com/prismd/prismd/engine"
	plog "github.com/prismd/prismd/log"
)

func TestPutGetSizes(t *testing.T) {
	for _, mode := range []string{"erasure", "replica", "hybrid"} {
		t.Run(mode, func(t *testing.T) {
			c := newCluster(t, 3, plog.Policy{Mode: mode, DataShards: 2, ParityShards: 1, HybridThreshold: 100 << 10})
			ctx := context.Background()
			if err := c.e.CreateBucket(ctx, "bkt", ""); err != nil {
				t.Fatal(err)
			}
			for i, size := range []int{0, 1, 100, 64<<10 - 1, 64 << 10, 128<<10 + 3, 1 << 20, 1<<20 + 1, 3<<20 + 12345} {
				data := payload(uint64(i), size)
				put(t, c.e, "bkt", "k", data)
				r, err := c.e.GetObject(ctx, "bkt", "k", engineGet())
				if err != nil {
					t.Fatalf("size %d: get: %v", size, err)
				}
				got, err := io.ReadAll(r)
				r.Close()
				if err != nil || !bytes.Equal(got, data) {
					t.Fatalf("size %d: got %d bytes (err %v), equal=%v", size, len(got), err, bytes.Equal(got, data))
				}
			}
		})
	}
}

// TestWriteTo streams through io.Copy (WriteTo) and through Read, for
// whole objects and ranges, and both give the written bytes.
func TestWriteTo(t *testing.T) {
	c := newCluster(t, 3, plog.Policy{Mode: "erasure", DataShards: 2, ParityShards: 1})
	ctx := context.Background()
	c.e.CreateBucket(ctx, "bkt", "")
	data := payload(3, 2_345_678)
	put(t, c.e, "bkt", "k", data)
	for _, rg := range []*engine.Range{nil, {Start: 5, End: 1_500_000}, {Start: -70_000}, {Start: 1 << 20, End: -1}} {
		r, err := c.e.GetObject(ctx, "bkt", "k", engine.GetOptions{Range: rg})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		n, err := io.Copy(&buf, r)
		r.Close()
		if err != nil || n != r.Length || !bytes.Equal(buf.Bytes(), data[r.Offset:r.Offset+r.Length]) {
			t.Fatalf("range %+v: copied %d of %d, err %v", rg, n, r.Length, err)
		}
	}
}

// TestSmallRangeReadsOnlyItsDataShard: a range inside one data block of a
// healthy 2+1 object is read from that one shard; with its region down the
// read falls back to reconstruction and still returns the right bytes.
func TestSmallRangeReadsOnlyItsDataShard(t *testing.T) {
	c := newCluster(t, 3, plog.Policy{Mode: "erasure", DataShards: 2, ParityShards: 1, Placement: "priority"})
	ctx := context.Background()
	c.e.CreateBucket(ctx, "bkt", "")
	data := payload(8, 1_000_000) // 1 MiB segments, 64 KiB blocks: stripes of 128 KiB
	put(t, c.e, "bkt", "k", data)
	c.e.WaitWrites()
	gets := func() (n int64) {
		for _, r := range c.regions {
			n += r.Calls(faulty.OpGet)
		}
		return n
	}
	read := func(start, end int64) {
		t.Helper()
		r, err := c.e.GetObject(ctx, "bkt", "k", engine.GetOptions{Range: &engine.Range{Start: start, End: end}})
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		r.Close()
		if err != nil || !bytes.Equal(got, data[start:end+1]) {
			t.Fatalf("range %d-%d: %d bytes, %v", start, end, len(got), err)
		}
	}
	for _, tc := range []struct {
		start, end int64
		gets       int64
	}{
		{1000, 2000, 1}, // inside data shard 0 of stripe 0
		{(128 << 10) + 70_000, (128 << 10) + 70_100, 1}, // inside data shard 1 of stripe 1
		{60_000, 70_000, 2},                             // across shards 0 and 1
		{100_000, 200_000, 2},                           // across stripes: k shards
	} {
		before := gets()
		read(tc.start, tc.end)
		if n := gets() - before; n != tc.gets {
			t.Errorf("range %d-%d: %d backend reads, want %d", tc.start, tc.end, n, tc.gets)
		}
	}
	c.regions[0].SetDown(true) // region a holds data shard 0 (priority placement)
	read(1000, 2000)
}

// TestConcurrentETags: concurrent PUTs (hashed by the multi-buffer MD5
// server) get the same ETags as crypto/md5 computes.
func TestConcurrentETags(t *testing.T) {
	c := newCluster(t, 3, plog.Policy{Mode: "hybrid", DataShards: 2, ParityShards: 1, HybridThreshold: 100_000})
	ctx := context.Background()
	c.e.CreateBucket(ctx, "bkt", "")
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 6 {
				data := payload(uint64(w*100+i), (w*37+i*1009)*97+i)
				info, err := c.e.PutObject(ctx, engine.PutInput{Bucket: "bkt", Key: fmt.Sprintf("w%d/%d", w, i), Size: int64(len(data)), Body: bytes.NewReader(data)})
				sum := md5.Sum(data)
				if err != nil || info.ETag != hex.EncodeToString(sum[:]) {
					t.Errorf("put %d bytes: etag %s, want %x (%v)", len(data), info.ETag, sum, err)
				}
			}
		}()
	}
	wg.Wait()
}
