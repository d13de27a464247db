package log

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// committed is a realistic ObjectCommitted: the event every PUT appends.
var committed = ObjectCommitted{
	Bucket: "photos", Key: "2026/01/cat.jpg", Blob: blobA,
	Meta: ObjectMeta{
		Size: 5 << 20, ETag: "9b2cf535f27731c974343645a3985328", ModTime: 1767225600000000000,
		ContentType: "image/jpeg", UserMeta: map[string]string{"owner": "ops-team"},
		Checksums: map[string]string{"CRC32C": "yZRlqg=="},
	},
}

// BenchmarkGroupCommit64 appends from 64 goroutines with fsync on, in a
// temporary directory (the disk under $TMPDIR). Besides commits/s it
// reports the ratio to a plain write+fsync loop on the same disk, measured
// in the same run (x-fsync-loop), since absolute figures say more about
// the machine than about the log.
func BenchmarkGroupCommit64(b *testing.B) {
	dir := b.TempDir()
	raw := fsyncLoopRate(b, dir)
	l := mustOpen(b, dir, Options{})
	defer l.Close()
	batches := 0
	l.SetApply(func(Record) error { return nil }, func() { batches++ })
	const writers = 64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := w; n < b.N; n += writers {
				if _, err := l.Append(context.Background(), committed); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "commits/s")
	b.ReportMetric(float64(b.N)/elapsed.Seconds()/raw, "x-fsync-loop")
	b.ReportMetric(float64(b.N)/float64(max(batches, 1)), "commits/fsync")
}

func BenchmarkReplay(b *testing.B) {
	const records = 100_000
	l := mustOpen(b, b.TempDir(), Options{NoSync: true})
	defer l.Close()
	batch := make([]Event, 1000)
	for i := range batch {
		batch[i] = committed
	}
	for i := 0; i < records; i += len(batch) {
		mustAppend(b, l, batch...)
	}
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		n := 0
		if err := l.Replay(0, func(Record) error { n++; return nil }); err != nil || n != records {
			b.Fatal(n, err)
		}
	}
	b.ReportMetric(float64(b.N*records)/time.Since(start).Seconds(), "events/s")
}

func BenchmarkEncode(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Encode(committed, goldenTime); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	data, _ := Encode(committed, goldenTime)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, _, err := Decode(data); err != nil {
			b.Fatal(err)
		}
	}
}

// fsyncLoopRate returns how many 300-byte write+fsync pairs per second a
// file in dir sustains.
func fsyncLoopRate(b *testing.B, dir string) float64 {
	f, err := os.Create(filepath.Join(dir, "fsync-probe"))
	if err != nil {
		b.Fatal(err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	buf := make([]byte, 300)
	const n = 200
	start := time.Now()
	for i := 0; i < n; i++ {
		if _, err := f.Write(buf); err != nil {
			b.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
	}
	return n / time.Since(start).Seconds()
}
