package bench

import (
	"strings"
	"testing"
	"time"
)

const goBenchOutput = `goos: linux
goarch: amd64
pkg: github.com/prismd/prismd/engine
BenchmarkPut/2+1-2          	      54	  48468634 ns/op	 600.00 MB/s
BenchmarkRawPerByteWork-2   	      90	  11396083 ns/op	 736.10 MB/s
BenchmarkGroupCommit64-2   	  196094	     11233 ns/op	        44.33 commits/fsync	     89020 commits/s	        10.01 x-fsync-loop
BenchmarkReplay-2   	       6	 274212342 ns/op	    367826 events/s
BenchmarkListPage1M/flat-2         	     100	    411916 ns/op	  236912 B/op	    1005 allocs/op
BenchmarkListPage1M/delimiter-2    	     100	   1227913 ns/op	   43296 B/op	    1014 allocs/op
BenchmarkBytesPerObject/plain-2         	       1	1586276373 ns/op	       270.3 bytes/object	       246.3 bytes/object-exkey
PASS
ok  	github.com/prismd/prismd/engine	21.949s
`

func TestParseGoBench(t *testing.T) {
	bs := ParseGoBench(goBenchOutput)
	if len(bs) != 7 {
		t.Fatalf("%d benchmarks, want 7: %+v", len(bs), bs)
	}
	if b := bs[2]; b.Name != "BenchmarkGroupCommit64" || b.Iterations != 196094 || b.Metrics["commits/s"] != 89020 || b.Metrics["commits/fsync"] != 44.33 {
		t.Errorf("group commit: %+v", b)
	}
	if b := bs[0]; b.Name != "BenchmarkPut/2+1" || b.Metrics["MB/s"] != 600 {
		t.Errorf("put: %+v", b)
	}
}

// comparisonOf builds a finished Comparison from per-side totals.
func comparisonOf(op Op, size int64, conc int, prismd, direct OpStats) *Comparison {
	w := Workload{Op: op, Size: size, Concurrency: conc}
	mk := func(name string, s OpStats) *Result {
		r := newResult(Endpoint{Name: name}, w)
		r.samples[op] = &samples{errors: s.Errors, bytes: s.Count * size, items: s.Count}
		for i := range s.Count {
			r.samples[op].lat = append(r.samples[op].lat, time.Duration(i+1)*time.Millisecond)
		}
		r.elapsed = time.Second
		return r
	}
	c := &Comparison{Label: w.String(), Target: mk("prismd", prismd), Baseline: mk("direct", direct)}
	c.finish()
	return c
}

func TestTargetsAndMarkdown(t *testing.T) {
	rep := &Report{
		Machine: Machine{CPUs: 2, CPUModel: "AMD EPYC", MemoryMiB: 23 << 10, GoVersion: "go1.26"},
		Started: time.Unix(0, 0),
		Sets: []PolicySet{{Policy: "erasure", Comparisons: []*Comparison{
			comparisonOf(OpGet, 8<<20, 8, OpStats{Count: 95}, OpStats{Count: 100}), // 0.95: met
			comparisonOf(OpPut, 8<<20, 8, OpStats{Count: 50}, OpStats{Count: 100}), // 0.5: missed
			comparisonOf(OpPut, 4<<10, 32, OpStats{Count: 90, Errors: 1}, OpStats{Count: 100}),
		}}},
		Memory:  &MemoryReport{Concurrency: 2, SmallSize: 1 << 20, LargeSize: 256 << 20, PeakRSSSmall: 100 << 20, PeakRSSLarge: 110 << 20, PeakRSSGrowth: 1.1},
		GoBench: []GoBenchRun{{Command: "go test", Benchmarks: ParseGoBench(goBenchOutput)}},
	}
	rep.Targets = evaluateTargets(rep)
	want := map[string]bool{
		"erasure: GET 8MiB c8, prismd/direct MiB/s":  true,
		"erasure: PUT 8MiB c8, prismd/direct MiB/s":  false,
		"erasure: PUT 4KiB c32, prismd/direct ops/s": false, // invalid
		"erasure: GET 4KiB c32, prismd/direct ops/s": false, // not run
		"group commits/s, 64 writers, fsync on":      true,
		"replay events/s":                            false,
	}
	seen := 0
	for _, tg := range rep.Targets {
		if met, ok := want[tg.Name]; ok {
			seen++
			if tg.Met != met {
				t.Errorf("%s: met=%v, want %v (%+v)", tg.Name, tg.Met, met, tg)
			}
		}
	}
	if seen != len(want) {
		t.Errorf("found %d of %d targets: %+v", seen, len(want), rep.Targets)
	}
	var md strings.Builder
	if err := WriteMarkdown(&md, rep, "make bench"); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"# prismd benchmarks", "| CPUs (nproc) | 2 |", "**INVALID**: prismd: 1 of 91 operations failed", "**0.95**", "| 256MiB objects | 110.0 |", "PUT 2+1 / irreducible per-byte work", "**missed**"} {
		if !strings.Contains(md.String(), s) {
			t.Errorf("markdown lacks %q:\n%s", s, md.String())
		}
	}
}
