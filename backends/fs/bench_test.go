package fs_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prismd/prismd/backends/fs"
)

// BenchmarkPutVsPlain measures the fs backend's Put of 4 KiB shards (keys
// shaped like the engine's, b/<blob>/<segment>/<shard>: new directories
// every time) against the least a durable file write costs: create, write
// and fsync the same number of 4 KiB files in one existing directory. Both
// run in the same benchmark, alternating in chunks, so the ratio is of one
// machine state. A third side Puts the same shards under flat keys
// (b-<blob>-<segment>-<shard>, no directory per blob): put/flat is what the
// engine's key layout costs:
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
			put := func() error {
				i := n.Add(1)
				return be.Put(ctx, "bk", fmt.Sprintf("b/%016x/0/%d", i, i%3), bytes.NewReader(data), int64(len(data)))
			}
			flat := func() error {
				i := n.Add(1)
				return be.Put(ctx, "bk", fmt.Sprintf("b-%016x-0-%d", i, i%3), bytes.NewReader(data), int64(len(data)))
			}
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
			var putTime, flatTime, plainTime time.Duration
			const chunk = 256
			b.ResetTimer()
			for done := 0; done < b.N; done += chunk {
				ops := min(chunk, b.N-done)
				putTime += runConcurrent(b, conc, ops, put)
				flatTime += runConcurrent(b, conc, ops, flat)
				plainTime += runConcurrent(b, conc, ops, plain)
			}
			b.StopTimer()
			putRate := float64(b.N) / putTime.Seconds()
			flatRate := float64(b.N) / flatTime.Seconds()
			plainRate := float64(b.N) / plainTime.Seconds()
			b.ReportMetric(putRate, "puts/s")
			b.ReportMetric(plainRate, "plain/s")
			b.ReportMetric(putRate/plainRate, "put/plain")
			b.ReportMetric(putRate/flatRate, "put/flat")
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
