package engine_test

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/prismd/prismd/backends"
	"github.com/prismd/prismd/backends/faulty"
	"github.com/prismd/prismd/backends/fs"
	"github.com/prismd/prismd/backends/s3"
	"github.com/prismd/prismd/backends/s3/s3test"
	"github.com/prismd/prismd/engine"
	plog "github.com/prismd/prismd/log"
	"github.com/zeebo/xxh3"
)

// The scrub benchmarks, on their own:
//
//	go test -run '^$' -bench 'ScrubDeep' -benchtime 20x ./engine/
//	go test -run '^$' -bench 'ScrubQuick100k' -benchtime 1x ./engine/
//
// BenchmarkScrubDeep measures, in the same run, a deep scrub and a plain
// read of the same shards (a Get of each whole shard, read to the end in
// blocks, the shards of an object at once as the scrub reads them): the
// ratio deep ÷ plain is what verifying every block costs (goal ≥ 0.8).
// BenchmarkScrubQuick100k scrubs 100,000 objects in quick mode and counts
// the backend calls each region gets: one listing per backend bucket,
// nothing per shard.

// BenchmarkScrubDeep: 2+1 over three regions, 16 objects of 8 MiB; fs
// regions (files in the page cache: a read costs a copy, the worst case
// for the hashing a deep scrub adds) and versitygw regions (S3 over HTTP
// on this machine).
func BenchmarkScrubDeep(b *testing.B) {
	b.Run("fs", func(b *testing.B) {
		regions := map[string]backends.Backend{}
		for _, name := range []string{"a", "b", "c"} {
			be, err := fs.New(filepath.Join(b.TempDir(), name))
			if err != nil {
				b.Fatal(err)
			}
			regions[name] = be
		}
		benchDeepScrub(b, regions)
	})
	b.Run("versitygw", func(b *testing.B) {
		regions := map[string]backends.Backend{}
		for _, name := range []string{"a", "b", "c"} {
			srv := s3test.StartVersity(b, b.TempDir())
			be, err := s3.New(context.Background(), s3.Config{Name: name, Endpoint: srv.Endpoint(), Region: s3test.Region,
				AccessKey: srv.AccessKey(), SecretKey: srv.SecretKey(), PathStyle: true})
			if err != nil {
				b.Fatal(err)
			}
			regions[name] = be
		}
		benchDeepScrub(b, regions)
	})
}

func benchDeepScrub(b *testing.B, backendOf map[string]backends.Backend) {
	ctx := context.Background()
	dir := b.TempDir()
	var regions []engine.Region
	for _, name := range []string{"a", "b", "c"} {
		regions = append(regions, engine.Region{Name: name, Backend: backendOf[name]})
	}
	e, err := engine.Open(engine.Config{DataDir: filepath.Join(dir, "data"), Regions: regions, NoSync: true, NoBackground: true, SnapshotEvery: -1,
		Policy: plog.Policy{Mode: "erasure", DataShards: 2, ParityShards: 1, Placement: "shuffle"}})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	if err := e.CreateBucket(ctx, "bench", ""); err != nil {
		b.Fatal(err)
	}
	const objects, size = 16, 8 << 20
	var shards [][]engine.ShardLocation // per object
	for i := range objects {
		key := fmt.Sprintf("obj-%02d", i)
		put(b, e, "bench", key, payload(uint64(i), size))
		locs, err := e.Locate("bench", key)
		if err != nil {
			b.Fatal(err)
		}
		shards = append(shards, locs)
	}
	e.WaitWrites()
	// plain reads every shard whole, in blocks of the scrub's size (what a
	// reader that does not verify would do), the shards of an object at
	// once; with hash, it also hashes every block as a deep scrub does,
	// and nothing else: the cost of verification alone.
	plain := func(hash bool) int64 {
		var total int64
		for _, locs := range shards {
			var wg sync.WaitGroup
			var mu sync.Mutex
			for _, l := range locs {
				wg.Go(func() {
					rc, err := backendOf[l.Region].Get(ctx, l.Bucket, l.Key, 0, -1)
					if err != nil {
						b.Error(err)
						return
					}
					defer rc.Close()
					buf := make([]byte, engine.DefaultBlockSize+16)
					var n int64
					for {
						m, err := io.ReadFull(rc, buf)
						n += int64(m)
						if hash && m > 16 {
							xxh3.Hash128Seed(buf[:m-16], uint64(n))
						}
						if err == io.EOF || err == io.ErrUnexpectedEOF {
							break
						}
						if err != nil {
							b.Error(err)
							break
						}
					}
					mu.Lock()
					total += n
					mu.Unlock()
				})
			}
			wg.Wait()
		}
		return total
	}
	plain(false) // warm the page cache
	// The machine may be busy with other work: each round times both, and
	// the best round of each is what is compared (the least disturbed).
	bestPlain, bestHashed, bestDeep := time.Duration(1<<62), time.Duration(1<<62), time.Duration(1<<62)
	var bytes int64
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		bytes = plain(false)
		bestPlain = min(bestPlain, time.Since(start))
		start = time.Now()
		plain(true)
		bestHashed = min(bestHashed, time.Since(start))
		start = time.Now()
		sum, err := e.Scrub(ctx, engine.ScrubOptions{Deep: true})
		bestDeep = min(bestDeep, time.Since(start))
		if err != nil || !sum.Clean() || sum.BytesRead != bytes {
			b.Fatalf("deep scrub: %v, %+v (read %d bytes, plain read %d)", err, sum, sum.BytesRead, bytes)
		}
	}
	mibs := func(d time.Duration) float64 { return float64(bytes) / (1 << 20) / d.Seconds() }
	b.ReportMetric(mibs(bestPlain), "plain-MiB/s")
	b.ReportMetric(mibs(bestDeep), "deep-MiB/s")
	b.ReportMetric(mibs(bestDeep)/mibs(bestPlain), "deep/plain")
	// bound: what a deep scrub would reach if it cost only the plain read
	// and the block hashes; deep/bound is how close the scrub comes to it.
	b.ReportMetric(mibs(bestHashed)/mibs(bestPlain), "bound")
	b.ReportMetric(mibs(bestDeep)/mibs(bestHashed), "deep/bound")
}

// BenchmarkScrubQuick100k: 100,000 objects of 1 KiB (2+1) in one bucket
// over three in-memory regions; one quick scrub.
func BenchmarkScrubQuick100k(b *testing.B) {
	const objects = 100_000
	c := newCluster(b, 3, plog.Policy{Mode: "erasure", DataShards: 2, ParityShards: 1, Placement: "shuffle"})
	ctx := context.Background()
	if err := c.e.CreateBucket(ctx, "bench", ""); err != nil {
		b.Fatal(err)
	}
	body := payload(1, 1<<10)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < objects; i += 8 {
				put(b, c.e, "bench", fmt.Sprintf("obj-%06d", i), body)
			}
		})
	}
	wg.Wait()
	c.e.WaitWrites()
	for _, r := range c.regions {
		r.ResetCalls()
	}
	var elapsed time.Duration
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		sum, err := c.e.Scrub(ctx, engine.ScrubOptions{})
		elapsed += time.Since(start)
		if err != nil || !sum.Clean() || sum.Objects != objects || sum.ShardsChecked != 3*objects {
			b.Fatalf("quick scrub: %v, %+v", err, sum)
		}
	}
	b.StopTimer()
	var calls, lists, perShard int64
	for _, r := range c.regions {
		for op := faulty.OpPut; op <= faulty.OpDeleteBucket; op++ {
			calls += r.Calls(op)
		}
		lists += r.Calls(faulty.OpList)
		perShard += r.Calls(faulty.OpGet) + r.Calls(faulty.OpStat)
	}
	regions := float64(len(c.regions) * b.N)
	b.ReportMetric(elapsed.Seconds()/float64(b.N), "s/scrub")
	b.ReportMetric(elapsed.Seconds()/regions, "s/region")
	b.ReportMetric(float64(calls)/regions, "calls/region")
	b.ReportMetric(float64(lists)/regions, "lists/region")
	b.ReportMetric(float64(perShard)/regions, "gets+stats/region")
	// An S3 region answers a listing 1000 keys a page.
	b.ReportMetric(float64(objects)/1000, "pages/region")
}
