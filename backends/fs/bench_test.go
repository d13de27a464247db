package fs_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prismd/prismd/backends/fs"
	"github.com/prismd/prismd/engine/datapath"
	plog "github.com/prismd/prismd/log"
)

// BenchmarkPutVsPlain measures the fs backend's Put of 4 KiB shards under
// the engine's keys (datapath.Key, fanout: 256 shared directories) against
// the least a durable file write costs: create, write and fsync the same
// number of 4 KiB files in one existing directory. They run in the same
// benchmark, alternating in chunks, so the ratio is of one machine state.
// A third side Puts the same shards under the nested keys of blobs written
// before PutStarted version 3 (two new directories for every shard):
// nested/put is what fanout keys saved:
//
//	go test -run '^$' -bench PutVsPlain -benchtime 2000x ./backends/fs/
func BenchmarkPutVsPlain(b *testing.B) {
	for _, conc := range []int{1, 32} {
		b.Run(fmt.Sprintf("c%d", conc), func(b *testing.B) {
			dir := b.TempDir()
			be, err := fs.New(filepath.Join(dir, "region"))
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			if err := be.CreateBucket(ctx, "bk"); err != nil {
				b.Fatal(err)
			}
			plainDir := filepath.Join(dir, "plain")
			if err := os.Mkdir(plainDir, 0o755); err != nil {
				b.Fatal(err)
			}
			data := bytes.Repeat([]byte{0xa5}, 4<<10)
			var n atomic.Int64
			shardPut := func(keys plog.KeyLayout) func() error {
				return func() error {
					i := n.Add(1)
					var id plog.BlobID
					binary.BigEndian.PutUint64(id[:], uint64(i)*0x9e3779b97f4a7c15) // spread like random ids
					key := datapath.Key(keys, id, 0, int(i%3))
					return be.Put(ctx, "bk", key, bytes.NewReader(data), int64(len(data)))
				}
			}
			put, nested := shardPut(plog.KeysFanout), shardPut(plog.KeysNested)
			plain := func() error {
				i := n.Add(1)
				f, err := os.OpenFile(filepath.Join(plainDir, fmt.Sprintf("%016x", i)), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
				if err != nil {
					return err
				}
				if _, err := f.Write(data); err != nil {
					f.Close()
					return err
				}
				if err := f.Sync(); err != nil {
					f.Close()
					return err
				}
				return f.Close()
			}
			var putTime, nestedTime, plainTime time.Duration
			const chunk = 256
			b.ResetTimer()
			for done := 0; done < b.N; done += chunk {
				ops := min(chunk, b.N-done)
				putTime += runConcurrent(b, conc, ops, put)
				nestedTime += runConcurrent(b, conc, ops, nested)
				plainTime += runConcurrent(b, conc, ops, plain)
			}
			b.StopTimer()
			putRate := float64(b.N) / putTime.Seconds()
			nestedRate := float64(b.N) / nestedTime.Seconds()
			plainRate := float64(b.N) / plainTime.Seconds()
			b.ReportMetric(putRate, "puts/s")
			b.ReportMetric(plainRate, "plain/s")
			b.ReportMetric(putRate/plainRate, "put/plain")
			b.ReportMetric(nestedRate/putRate, "nested/put")
		})
	}
}

// runConcurrent runs op ops times on conc goroutines and returns the time taken.
func runConcurrent(b *testing.B, conc, ops int, op func() error) time.Duration {
	var left atomic.Int64
	left.Store(int64(ops))
	start := time.Now()
	var wg sync.WaitGroup
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for left.Add(-1) >= 0 {
				if err := op(); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	return time.Since(start)
}
