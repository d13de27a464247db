package engine_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/prismd/prismd/engine"
	plog "github.com/prismd/prismd/log"
)

// BenchmarkPutSmallFS is the 4 KiB PUT of the standard set at concurrency
// 32, erasure 2+1 over three fs regions, fsync on: the engine alone, no
// HTTP. Count its fsyncs with
//
//	go test -c -o /tmp/engine.test ./engine/
//	strace -f -c -e trace=fsync,fdatasync,syncfs /tmp/engine.test -test.run '^$' -test.bench PutSmallFS -test.benchtime 2000x
func BenchmarkPutSmallFS(b *testing.B) { benchPutFS(b, 4<<10, 32) }

// BenchmarkPutLargeFS is the 8 MiB PUT of the standard set at concurrency
// 8 over fs regions: the engine's CPU per PUT (cpu-µs/op) against MinIO's.
func BenchmarkPutLargeFS(b *testing.B) { benchPutFS(b, 8<<20, 8) }

func benchPutFS(b *testing.B, size, conc int) {
	dir := b.TempDir()
	e, err := engine.Open(engine.Config{DataDir: filepath.Join(dir, "gateway"), Regions: fsRegions(b, dir),
		Policy:       plog.Policy{Mode: "erasure", DataShards: 2, ParityShards: 1, Placement: "shuffle"},
		NoBackground: true, SnapshotEvery: -1, MasterKey: bytes.Repeat([]byte{1}, 32)})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	ctx := context.Background()
	if err := e.CreateBucket(ctx, "small", ""); err != nil {
		b.Fatal(err)
	}
	data := payload(7, size)
	var n atomic.Int64
	b.SetBytes(int64(len(data)))
	b.SetParallelism(conc / runtime.GOMAXPROCS(0))
	b.ResetTimer()
	cpu0 := cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			key := fmt.Sprintf("k%d", n.Add(1))
			if _, err := e.PutObject(ctx, engine.PutInput{Bucket: "small", Key: key, Size: int64(len(data)), Body: bytes.NewReader(data)}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "puts/s")
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
	e.WaitWrites()
}

// cpuTime is the user and system CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
