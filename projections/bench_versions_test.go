package projections

import (
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/prismd/prismd/log"
)

var (
	benchVersionsOnce sync.Once
	benchVersions     *View
)

// viewVersions1M is a versioned bucket "b" of 100,000 keys
// dir000/obj00000 … dir099/obj00999 with 10 versions each (1M versions),
// the newest of every tenth key a delete marker.
func viewVersions1M() *View {
	benchVersionsOnce.Do(func() {
		s := New()
		s.Apply(1, 0, log.BucketCreated{Bucket: "b"})
		s.Apply(2, 0, log.BucketVersioningSet{Bucket: "b", Status: log.VersioningEnabled})
		i := uint64(2)
		for d := 0; d < 100; d++ {
			for o := 0; o < 1000; o++ {
				key := fmt.Sprintf("dir%03d/obj%05d", d, o)
				for range 10 {
					i = applyPut(s, i, "b", key)
				}
				if o%10 == 0 {
					i++
					s.Apply(i, 0, log.ObjectDeleted{Bucket: "b", Key: key})
				}
			}
		}
		s.Publish()
		benchVersions = s.View()
	})
	return benchVersions
}

// BenchmarkListVersionsPage1M lists one 1000-entry page of versions in the
// middle of 1M versions (10 per key).
func BenchmarkListVersionsPage1M(b *testing.B) {
	v := viewVersions1M()
	mid := v.ListVersions("b", VersionQuery{KeyMarker: "dir050/obj00499", Max: 5})
	for _, bc := range []struct {
		name string
		q    VersionQuery
		want int
	}{
		{"flat", VersionQuery{KeyMarker: "dir050/obj00499", Max: 1000}, 1000},
		{"version-marker", VersionQuery{KeyMarker: mid.NextKeyMarker, VersionIDMarker: mid.NextVersionIDMarker, Max: 1000}, 1000},
		{"prefix", VersionQuery{Prefix: "dir050/", Max: 1000}, 1000},
		{"delimiter", VersionQuery{Delimiter: "/", Max: 1000}, 100}, // 100 common prefixes, a seek each
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p := v.ListVersions("b", bc.q)
				if n := len(p.Versions) + len(p.CommonPrefixes); n != bc.want {
					b.Fatalf("page of %d, want %d", n, bc.want)
				}
			}
		})
	}
}

// BenchmarkListPageVersioned lists one 1000-key ListObjects page of a
// bucket where every key has 10 versions: the noncurrent ones are not
// walked.
func BenchmarkListPageVersioned(b *testing.B) {
	v := viewVersions1M()
	b.ReportAllocs()
	for b.Loop() {
		p := v.List("b", ListQuery{After: "dir050/obj00499", Max: 1000})
		if len(p.Objects) != 1000 {
			b.Fatalf("page of %d", len(p.Objects))
		}
	}
}

// BenchmarkBytesPerVersion measures live heap per version (its fully
// written blob included), excluding its key bytes: 20,000 keys with 10
// versions each, as BenchmarkBytesPerObject measures objects.
func BenchmarkBytesPerVersion(b *testing.B) {
	const keys, versions = 20_000, 10
	for b.Loop() {
		var m0, m1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m0)
		s := New()
		s.Apply(1, 0, log.BucketCreated{Bucket: "photos"})
		s.Apply(2, 0, log.BucketVersioningSet{Bucket: "photos", Status: log.VersioningEnabled})
		idx := uint64(2)
		keyBytes := 0
		for v := 0; v < versions; v++ {
			for k := 0; k < keys; k++ {
				key := fmt.Sprintf("2024/%08d.jpg", k)
				keyBytes += len("photos") + 1 + len(key)
				for _, ev := range objectEvents(v*keys+k, key, nil) {
					idx++
					s.Apply(idx, 0, ev)
				}
			}
			s.Publish()
		}
		s.Publish()
		runtime.GC()
		runtime.ReadMemStats(&m1)
		n := float64(keys * versions)
		total := float64(m1.HeapAlloc) - float64(m0.HeapAlloc)
		b.ReportMetric(total/n, "bytes/version")
		b.ReportMetric((total-float64(keyBytes))/n, "bytes/version-exkey")
		runtime.KeepAlive(s)
	}
}
