package projections

import (
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/prismd/prismd/log"
)

var (
	bench1MOnce sync.Once
	bench1M     *View
)

// view1M is a bucket "b" of 1,000,000 keys dir000/obj000000 … dir999/obj000999.
func view1M() *View {
	bench1MOnce.Do(func() {
		s := New()
		s.Apply(1, 0, log.BucketCreated{Bucket: "b"})
		i := uint64(1)
		for d := 0; d < 1000; d++ {
			for o := 0; o < 1000; o++ {
				i = applyPut(s, i, "b", fmt.Sprintf("dir%03d/obj%06d", d, o))
			}
		}
		s.Publish()
		bench1M = s.View()
	})
	return bench1M
}

// applyPut applies the PutStarted and ObjectCommitted of a 100-byte
// object after index i, and returns the last index.
func applyPut(s *State, i uint64, bucket, key string) uint64 {
	id := bid(int(i + 1))
	s.Apply(i+1, 0, log.PutStarted{Blob: id, Bucket: bucket, Key: key, Layout: rep3, Placement: place3, Size: 100})
	if err := s.Apply(i+2, 0, log.ObjectCommitted{Bucket: bucket, Key: key, Blob: id,
		Meta: log.ObjectMeta{Size: 100, ETag: testMD5, ContentType: "application/octet-stream"}}); err != nil {
		panic(err)
	}
	return i + 2
}

// BenchmarkListPage1M lists one 1000-entry page in the middle of a 1M-key bucket.
func BenchmarkListPage1M(b *testing.B) {
	v := view1M()
	for _, bc := range []struct {
		name string
		q    ListQuery
		want int
	}{
		{"flat", ListQuery{After: "dir500/obj000499", Max: 1000}, 1000},
		{"prefix", ListQuery{Prefix: "dir500/", Max: 1000}, 1000},
		{"delimiter", ListQuery{Delimiter: "/", Max: 1000}, 1000},             // 1000 common prefixes, a seek each
		{"delimiter-after", ListQuery{Delimiter: "/", After: "dir499/"}, 500}, // skips 500 groups of 1000 keys
		{"prefix-delimiter", ListQuery{Prefix: "dir500/", Delimiter: "/"}, 1000},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p := v.List("b", bc.q)
				if n := len(p.Objects) + len(p.CommonPrefixes); n != bc.want {
					b.Fatalf("page of %d, want %d", n, bc.want)
				}
			}
		})
	}
}

// objectEvents returns the events of one fully written replicated PUT.
func objectEvents(i int, key string, sums map[string]string) []log.Event {
	id := bid(i)
	evs := []log.Event{log.PutStarted{Blob: id, Bucket: "photos", Key: key, Layout: rep3, Placement: place3, Size: 4096}}
	for sh, r := range place3 {
		evs = append(evs, log.ShardWritten{Blob: id, Segment: 0, Shard: sh, Region: r})
	}
	return append(evs, log.ObjectCommitted{Bucket: "photos", Key: key, Blob: id,
		Meta: log.ObjectMeta{Size: 4096, ETag: fmt.Sprintf("%032x", i), ModTime: int64(i), ContentType: "image/jpeg", Checksums: sums}})
}

// BenchmarkApply measures events applied per second for a PUT-heavy load
// (PutStarted, 3 ShardWritten, ObjectCommitted per object), publishing every 100 events.
func BenchmarkApply(b *testing.B) {
	s := New()
	s.Apply(1, 0, log.BucketCreated{Bucket: "photos"})
	idx := uint64(1)
	n := 0
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		for _, ev := range objectEvents(i, fmt.Sprintf("2024/%08d.jpg", i%200000), nil) {
			idx++
			s.Apply(idx, 0, ev)
			n++
			if n%100 == 0 {
				s.Publish()
			}
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkBytesPerObject measures live heap per committed, fully written
// object (blob included), excluding its key bytes.
func BenchmarkBytesPerObject(b *testing.B) {
	for _, bc := range []struct {
		name string
		sums map[string]string
	}{
		{"plain", nil},
		{"crc32", map[string]string{"CRC32": "AAAAAA=="}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			const n = 200_000
			for b.Loop() {
				var m0, m1 runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&m0)
				s := New()
				s.Apply(1, 0, log.BucketCreated{Bucket: "photos"})
				idx := uint64(1)
				keyBytes := 0
				for i := 0; i < n; i++ {
					key := fmt.Sprintf("2024/%08d.jpg", i)
					keyBytes += len("photos") + 1 + len(key)
					for _, ev := range objectEvents(i, key, bc.sums) {
						idx++
						s.Apply(idx, 0, ev)
					}
					if i%1000 == 0 {
						s.Publish()
					}
				}
				s.Publish()
				runtime.GC()
				runtime.ReadMemStats(&m1)
				total := float64(m1.HeapAlloc) - float64(m0.HeapAlloc)
				b.ReportMetric(total/n, "bytes/object")
				b.ReportMetric((total-float64(keyBytes))/n, "bytes/object-exkey")
				runtime.KeepAlive(s)
			}
		})
	}
}
