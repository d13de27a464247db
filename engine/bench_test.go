package engine_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"fmt"
	"io"
	"testing"

	"github.com/klauspost/reedsolomon"
	"github.com/zeebo/xxh3"

	"github.com/prismd/prismd/backends"
	"github.com/prismd/prismd/engine"
	plog "github.com/prismd/prismd/log"
)

// The engine benchmarks run the PUT and GET paths on in-memory regions; the
// Raw* benchmarks measure, in the same run, the irreducible work per byte
// (Reed-Solomon with the same k+m, the block hash, MD5 for the ETag), so
// their ratio says what the engine adds. Compare MB/s:
//
//	go test -run '^$' -bench 'Put|Get|Raw' -benchtime 2s ./engine/

const benchSize = 8 << 20

func benchEngine(b *testing.B, k, m int) *engine.Engine {
	c := newCluster(b, k+m, plog.Policy{Mode: "erasure", DataShards: k, ParityShards: m, Placement: "priority"})
	c.cfg.SegmentSize = engine.DefaultSegmentSize
	c.cfg.BlockSize = engine.DefaultBlockSize
	c.restart()
	if err := c.e.CreateBucket(context.Background(), "bench", ""); err != nil {
		b.Fatal(err)
	}
	return c.e
}

// discardPuts is an in-memory region whose Put reads the whole shard and
// keeps none of it: BenchmarkPut measures the engine's path, not the
// allocation of the mem backend's copies (which, never purged with the
// background workers off, grew the heap by 12 MiB a PUT and made the figure
// swing by 2× from run to run).
type discardPuts struct{ backends.Backend }

func (d discardPuts) Put(ctx context.Context, bucket, key string, r io.Reader, size int64) error {
	n, err := io.Copy(io.Discard, r)
	if err != nil {
		return err
	}
	if n != size {
		return fmt.Errorf("discard put %s/%s: %d bytes, want %d: %w", bucket, key, n, size, backends.ErrShortBody)
	}
	return nil
}

func BenchmarkPut(b *testing.B) {
	for _, km := range [][2]int{{2, 1}, {3, 2}} {
		b.Run(fmt.Sprintf("%d+%d", km[0], km[1]), func(b *testing.B) {
			c := newCluster(b, km[0]+km[1], plog.Policy{Mode: "erasure", DataShards: km[0], ParityShards: km[1], Placement: "priority"})
			c.cfg.SegmentSize = engine.DefaultSegmentSize
			c.cfg.BlockSize = engine.DefaultBlockSize
			for i := range c.cfg.Regions {
				c.cfg.Regions[i].Backend = discardPuts{c.cfg.Regions[i].Backend}
			}
			c.restart()
			e := c.e
			if err := e.CreateBucket(context.Background(), "bench", ""); err != nil {
				b.Fatal(err)
			}
			data := payload(1, benchSize)
			b.SetBytes(benchSize)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				_, err := e.PutObject(context.Background(), engine.PutInput{Bucket: "bench", Key: "k", Size: benchSize, Body: bytes.NewReader(data)})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			e.WaitWrites()
		})
	}
}

// BenchmarkPutParallel is eight 8 MiB PUTs at a time on 2+1, as a gateway
// under load sees them.
func BenchmarkPutParallel(b *testing.B) {
	c := newCluster(b, 3, plog.Policy{Mode: "erasure", DataShards: 2, ParityShards: 1, Placement: "priority"})
	c.cfg.SegmentSize = engine.DefaultSegmentSize
	c.cfg.BlockSize = engine.DefaultBlockSize
	for i := range c.cfg.Regions {
		c.cfg.Regions[i].Backend = discardPuts{c.cfg.Regions[i].Backend}
	}
	c.restart()
	if err := c.e.CreateBucket(context.Background(), "bench", ""); err != nil {
		b.Fatal(err)
	}
	data := payload(1, benchSize)
	b.SetBytes(benchSize)
	b.SetParallelism(4) // 8 writers on 2 CPUs
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.e.PutObject(context.Background(), engine.PutInput{Bucket: "bench", Key: "k", Size: benchSize, Body: bytes.NewReader(data)}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	c.e.WaitWrites()
}

func BenchmarkGet(b *testing.B) {
	for _, km := range [][2]int{{2, 1}, {3, 2}} {
		b.Run(fmt.Sprintf("%d+%d", km[0], km[1]), func(b *testing.B) {
			e := benchEngine(b, km[0], km[1])
			put(b, e, "bench", "k", payload(1, benchSize))
			e.WaitWrites()
			b.SetBytes(benchSize)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				r, err := e.GetObject(context.Background(), "bench", "k", engine.GetOptions{})
				if err != nil {
					b.Fatal(err)
				}
				if n, err := io.Copy(io.Discard, r); err != nil || n != benchSize {
					b.Fatal(n, err)
				}
				r.Close()
			}
		})
	}
}

// BenchmarkRawEncode is reedsolomon alone: split and encode stripes of the
// engine's block size.
func BenchmarkRawEncode(b *testing.B) {
	for _, km := range [][2]int{{2, 1}, {3, 2}} {
		b.Run(fmt.Sprintf("%d+%d", km[0], km[1]), func(b *testing.B) {
			k, m := km[0], km[1]
			enc, _ := reedsolomon.New(k, m)
			data := payload(1, benchSize)
			bs := engine.DefaultBlockSize
			shards := make([][]byte, k+m)
			for i := range shards {
				shards[i] = make([]byte, bs)
			}
			b.SetBytes(benchSize)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for off := 0; off < len(data); off += k * bs {
					for j := range k {
						copy(shards[j], data[min(off+j*bs, len(data)):min(off+(j+1)*bs, len(data))])
					}
					if err := enc.Encode(shards); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// BenchmarkRawDecode reconstructs one lost data shard per stripe.
func BenchmarkRawDecode(b *testing.B) {
	k, m := 2, 1
	enc, _ := reedsolomon.New(k, m)
	bs := engine.DefaultBlockSize
	shards := make([][]byte, k+m)
	for i := range shards {
		shards[i] = payload(uint64(i), bs)
	}
	enc.Encode(shards)
	b.SetBytes(int64(k * bs))
	for i := 0; i < b.N; i++ {
		shards[0] = shards[0][:0]
		if err := enc.ReconstructData(shards); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRawPerByteWork is the irreducible CPU work of a PUT on one core:
// MD5 (ETag) + the block hash (XXH3-128) of every block + Reed-Solomon 2+1.
func BenchmarkRawPerByteWork(b *testing.B) {
	data := payload(1, benchSize)
	enc, _ := reedsolomon.New(2, 1)
	bs := engine.DefaultBlockSize
	shards := [][]byte{make([]byte, bs), make([]byte, bs), make([]byte, bs)}
	b.SetBytes(benchSize)
	for i := 0; i < b.N; i++ {
		h := md5.New()
		h.Write(data)
		h.Sum(nil)
		for off := 0; off < len(data); off += 2 * bs {
			copy(shards[0], data[off:off+bs])
			copy(shards[1], data[off+bs:off+2*bs])
			enc.Encode(shards)
			for _, s := range shards {
				xxh3.Hash128Seed(s, uint64(off))
			}
		}
	}
}
