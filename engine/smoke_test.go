package engine_test

import (
	"bytes"
	"context"
	"io"
	"testing"

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
