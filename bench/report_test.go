package bench

import (
	"encoding/json"
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

// withCPU sets the CPU seconds of both sides of c and finishes it again.
func withCPU(c *Comparison, prismd, direct CPUByRole) *Comparison {
	c.Target.CPU, c.Baseline.CPU = &CPU{Seconds: prismd}, &CPU{Seconds: direct}
	c.finish()
	return c
}

func TestRoundsSumCPU(t *testing.T) {
	w := Workload{Op: OpGet, Size: 4 << 10, Concurrency: 32}
	round := func(ops int, cpu *CPU) *Result {
		r := newResult(Endpoint{Name: "prismd"}, w)
		r.samples[OpGet] = &samples{lat: make([]time.Duration, ops), bytes: int64(ops) * w.Size, items: int64(ops)}
		r.elapsed = time.Second
		r.CPU = cpu
		return r
	}
	r := round(1000, &CPU{Seconds: CPUByRole{Client: 0.5, Gateway: 1, Regions: 1.5}})
	r.absorb(round(3000, &CPU{Seconds: CPUByRole{Client: 1.5, Gateway: 3, Regions: 4.5}}))
	r.finish()
	if r.Rounds != 2 || r.Total.Count != 4000 {
		t.Fatalf("%d rounds, %d ops", r.Rounds, r.Total.Count)
	}
	if want := (CPUByRole{Client: 2, Gateway: 4, Regions: 6, Total: 12}); r.CPU == nil || r.CPU.Seconds != want {
		t.Errorf("CPU seconds %+v, want %+v", r.CPU, want)
	}
	if want := (CPUByRole{Client: 0.5, Gateway: 1, Regions: 1.5, Total: 3}); r.CPU == nil || r.CPU.MsPerOp != want {
		t.Errorf("CPU ms/op %+v, want %+v", r.CPU, want)
	}
	// A round without CPU figures makes the sum unknown.
	r.absorb(round(10, nil))
	r.absorb(round(10, &CPU{Seconds: CPUByRole{Client: 1}}))
	if r.finish(); r.CPU != nil {
		t.Errorf("CPU %+v after a round without it, want none", r.CPU)
	}
}

func TestTargetsAndMarkdown(t *testing.T) {
	rep := &Report{
		Machine: Machine{CPUs: 2, CPUModel: "AMD EPYC", MemoryMiB: 23 << 10, GoVersion: "go1.26"},
		Started: time.Unix(0, 0),
		Sets: []PolicySet{{Policy: "erasure", Comparisons: []*Comparison{
			comparisonOf(OpGet, 8<<20, 8, OpStats{Count: 95}, OpStats{Count: 100}), // 0.95: met
			comparisonOf(OpPut, 8<<20, 8, OpStats{Count: 50}, OpStats{Count: 100}), // 0.5: missed
			comparisonOf(OpPut, 4<<10, 32, OpStats{Count: 90, Errors: 1}, OpStats{Count: 100}),
		}}, {Policy: "hybrid", Comparisons: []*Comparison{
			// The hand measurement of 4 KiB GET c32, for 1000 operations each side.
			withCPU(comparisonOf(OpGet, 4<<10, 32, OpStats{Count: 1000}, OpStats{Count: 1000}),
				CPUByRole{Client: 0.108, Gateway: 0.2, Regions: 0.27}, CPUByRole{Client: 0.082, Regions: 0.116}),
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
		"hybrid: GET 4KiB c32, prismd/direct ops/s":  true,
		"hybrid: GET 8MiB c8, prismd/direct MiB/s":   false, // not run
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
	// 0.198 / (0.578 − 0.200)
	if c := rep.Sets[1].Comparisons[0]; c.Ratios.CPUCeiling != 0.524 || c.Target.CPU.MsPerOp.Total != 0.578 || c.Baseline.CPU.MsPerOp.Total != 0.198 {
		t.Errorf("ceiling %v of %+v and %+v, want 0.524", c.Ratios.CPUCeiling, c.Target.CPU, c.Baseline.CPU)
	}
	if c := rep.Sets[0].Comparisons[0]; c.Ratios.CPUCeiling != 0 {
		t.Errorf("ceiling %v without CPU figures", c.Ratios.CPUCeiling)
	}
	var md strings.Builder
	if err := WriteMarkdown(&md, rep, "make bench"); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"# prismd benchmarks", "| CPUs (nproc) | 2 |", "**INVALID**: prismd: 1 of 91 operations failed", "**0.95**", "| 256MiB objects | 110.0 |", "PUT 2+1 / irreducible per-byte work", "**missed**",
		"### CPU per operation (ms), by process",
		"| get 4KiB c32 | 0.108 | 0.200 | 0.270 | 0.578 | 0.082 | 0.116 | 0.198 | 1.00 | **0.52** |"} {
		if !strings.Contains(md.String(), s) {
			t.Errorf("markdown lacks %q:\n%s", s, md.String())
		}
	}
	if n := strings.Count(md.String(), "| workload | prismd client |"); n != 1 {
		t.Errorf("%d CPU tables, want 1 (the only comparison with CPU figures)", n)
	}
	var text strings.Builder
	if err := WriteComparisons(&text, append(rep.Sets[0].Comparisons, rep.Sets[1].Comparisons...)...); err != nil {
		t.Fatal(err)
	}
	wantText := "cpu get 4KiB c32: prismd 0.578 ms/op (client 0.108, gateway 0.200, regions 0.270), direct 0.198 ms/op (client 0.082, regions 0.116), ceiling 0.52"
	if !strings.Contains(text.String(), wantText) || strings.Count(text.String(), "cpu ") != 1 {
		t.Errorf("text lacks %q, or has more:\n%s", wantText, text.String())
	}
}

func TestRelayInReport(t *testing.T) {
	rep := &Report{
		Machine: Machine{CPUs: 2},
		Sets: []PolicySet{{Policy: "erasure", Comparisons: []*Comparison{
			// 0.5: missed. CPU seconds for 1, 5, 3 and 1.25, 3.75 ms/op.
			withCPU(comparisonOf(OpGet, 8<<20, 8, OpStats{Count: 50}, OpStats{Count: 100}),
				CPUByRole{Client: 0.05, Gateway: 0.25, Regions: 0.15}, CPUByRole{Client: 0.125, Regions: 0.375}),
			comparisonOf(OpPut, 8<<20, 8, OpStats{Count: 80}, OpStats{Count: 100}), // 0.8: met
		}}},
		Relay: []*Comparison{
			withCPU(comparisonOf(OpGet, 8<<20, 8, OpStats{Count: 1000}, OpStats{Count: 1250}), // 0.8
				CPUByRole{Client: 1, Gateway: 2, Regions: 3}, CPUByRole{Client: 1.25, Regions: 3.75}),
			comparisonOf(OpPut, 8<<20, 8, OpStats{Count: 90, Errors: 1}, OpStats{Count: 100}), // invalid
		},
	}
	rep.Targets = evaluateTargets(rep)
	want := map[string]struct {
		met          bool
		relay, bound float64
	}{
		// The relay does not change Met. Bound: direct 1.25+3.75 over
		// prismd's client and regions plus the relay's gateway, 1+3+2.
		"erasure: GET 8MiB c8, prismd/direct MiB/s":  {false, 0.8, 0.833},
		"erasure: PUT 8MiB c8, prismd/direct MiB/s":  {true, 0, 0},  // relay invalid
		"erasure: PUT 4KiB c32, prismd/direct ops/s": {false, 0, 0}, // neither run
	}
	for _, tg := range rep.Targets {
		if w, ok := want[tg.Name]; ok {
			delete(want, tg.Name)
			if tg.Met != w.met || tg.Relay != w.relay || tg.RelayBound != w.bound {
				t.Errorf("%s: met %v relay %v bound %v, want %v %v %v", tg.Name, tg.Met, tg.Relay, tg.RelayBound, w.met, w.relay, w.bound)
			}
		}
	}
	if len(want) > 0 {
		t.Errorf("targets missing: %v", want)
	}
	var md strings.Builder
	if err := WriteMarkdown(&md, rep, "make bench"); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		"| figure | measured | relay/direct | bound | goal | |",
		"| erasure: GET 8MiB c8, prismd/direct MiB/s | 0.500 × | 0.800 × | 0.833 × | ≥ 0.9 | **missed** |",
		"| erasure: PUT 8MiB c8, prismd/direct MiB/s | 0.800 × |  |  | ≥ 0.7 | met |",
		"## A plain relay vs direct — what relaying bytes costs here",
		"| workload | relay MiB/s | direct MiB/s |",
		"| workload | relay client | relay gateway |",
		// 5 / (6 − 2)
		"| get 8MiB c8 | 1.000 | 2.000 | 3.000 | 6.000 | 1.000 | 3.000 | 4.000 | 0.80 | **1.00** |",
		"**INVALID**: prismd: 1 of 91 operations failed",
	} {
		if !strings.Contains(md.String(), s) {
			t.Errorf("markdown lacks %q:\n%s", s, md.String())
		}
	}
	data, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(data, &back); err != nil || len(back.Relay) != 2 || back.Relay[0].Ratios != rep.Relay[0].Ratios || back.Targets[0].Relay != 0.8 {
		t.Errorf("relay comparisons do not round-trip through JSON: %v\n%s", err, data)
	}
}

func TestMinIOInReport(t *testing.T) {
	mixed := comparisonOf(OpMixed, 1<<10, 8, OpStats{Count: 100}, OpStats{Count: 100}) // 1.0: missed
	mixed.Target.Workload, mixed.Baseline.Workload = MixedWorkload(), MixedWorkload()
	rep := &Report{
		Machine: Machine{CPUs: 2},
		MinIO: &MinIOReport{Command: "minio server", Config: "[policy]\n", Comparisons: []*Comparison{
			// 1.3: met. Server CPU 2 and 5 ms/op, clients 1 and 1.
			withCPU(comparisonOf(OpGet, 8<<20, 8, OpStats{Count: 1300}, OpStats{Count: 1000}),
				CPUByRole{Client: 1.3, Gateway: 2.6}, CPUByRole{Client: 1, Gateway: 5}),
			comparisonOf(OpPut, 8<<20, 8, OpStats{Count: 120}, OpStats{Count: 100}),             // 1.2: missed
			comparisonOf(OpPut, 4<<10, 32, OpStats{Count: 200, Errors: 1}, OpStats{Count: 100}), // invalid
			mixed,
		}},
	}
	rep.MinIO.Comparisons[0].RoundRatios = []float64{1.34, 1.21, 1.3, 1.28}
	rep.Targets = evaluateTargets(rep)
	want := map[string]bool{
		"fs erasure: GET 8MiB c8, prismd/MinIO ops/s":                         true,
		"fs erasure: PUT 8MiB c8, prismd/MinIO ops/s":                         false,
		"fs erasure: PUT 4KiB c32, prismd/MinIO ops/s":                        false,
		"fs erasure: GET 4KiB c32, prismd/MinIO ops/s":                        false, // not run
		"fs erasure: MIXED 1KiB-16MiB c8 get=70% del=10%, prismd/MinIO ops/s": false,
	}
	for _, tg := range rep.Targets {
		if met, ok := want[tg.Name]; ok {
			delete(want, tg.Name)
			if tg.Met != met {
				t.Errorf("%s: met %v, want %v (%+v)", tg.Name, tg.Met, met, tg)
			}
		}
	}
	if len(want) > 0 {
		t.Errorf("targets missing: %v in %+v", want, rep.Targets)
	}
	var md strings.Builder
	if err := WriteMarkdown(&md, rep, "make bench"); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		"## prismd vs MinIO on local disks (issue 15)",
		"| workload | prismd MiB/s | MinIO MiB/s |",
		"| fs erasure: GET 8MiB c8, prismd/MinIO ops/s | 1.300 × |  |  | ≥ 1.25 | met |",
		"| get 8MiB c8 | 2.000 | 5.000 | 2.500 | 1.000 | 1.000 | 1.30 |",
		"| **1.30** | 1.21–1.34 |", // the rounds' spread beside the pooled ratio
		"| **1.20** | — |",         // one round only: no spread
		"**INVALID**: prismd: 1 of 201 operations failed",
	} {
		if !strings.Contains(md.String(), s) {
			t.Errorf("markdown lacks %q:\n%s", s, md.String())
		}
	}
}

func TestStandardParts(t *testing.T) {
	if _, err := (StandardConfig{PrismdBin: "prismd", VersityBin: "v", Only: []string{"nope"}}).withDefaults(); err == nil {
		t.Error("an unknown part was accepted")
	}
	// The MinIO comparison alone needs no versitygw.
	c, err := StandardConfig{PrismdBin: "prismd", Only: []string{"minio"}}.withDefaults()
	if err != nil || c.needsRegions() || !c.runs("minio") || c.runs("erasure") {
		t.Errorf("only minio: %v, needs regions %v, runs minio %v, erasure %v", err, c.needsRegions(), c.runs("minio"), c.runs("erasure"))
	}
	if c := (StandardConfig{NoMinIO: true}); c.runs("minio") || !c.runs("go") || !c.needsRegions() {
		t.Error("--no-minio: wrong parts")
	}
}

func TestWANTargets(t *testing.T) {
	w8 := func(op Op, size int64, prismd, ideal int64) *Comparison {
		return comparisonOf(op, size, 8, OpStats{Count: prismd}, OpStats{Count: ideal})
	}
	rep := &WANReport{
		Normal:  []*Comparison{w8(OpPut, 8<<20, 90, 100), w8(OpGet, 8<<20, 80, 100), w8(OpGet, 4<<10, 100, 100)},
		Starved: []*Comparison{w8(OpPut, 8<<20, 72, 100), w8(OpGet, 4<<10, 95, 100)},
	}
	got := map[string]bool{}
	for _, tg := range wanTargets(rep) {
		got[tg.Name] = tg.Met
	}
	want := map[string]bool{
		"WAN: put 8MiB c8, prismd/ideal ops/s":                                   true,  // 0.9 ≥ 0.8
		"WAN: get 8MiB c8, prismd/ideal ops/s":                                   false, // 0.8 < 0.9
		"WAN: put 4KiB c8, prismd/ideal ops/s":                                   false, // not run
		"WAN: get 4KiB c8, prismd/ideal ops/s":                                   true,
		"WAN, far region at 1 MiB/s: put 8MiB c8, starved / normal prismd ops/s": false, // 0.8 < 0.9
		"WAN, far region at 1 MiB/s: get 4KiB c8, starved / normal prismd ops/s": true,  // 0.95
		"WAN, far region at 1 MiB/s: GET 4KiB c8, starved / normal prismd p99":   true,
	}
	for name, met := range want {
		if m, ok := got[name]; !ok || m != met {
			t.Errorf("%s: met %v (present %v), want %v; all %v", name, m, ok, met, got)
		}
	}
}

func TestWANCPUTable(t *testing.T) {
	c := withCPU(comparisonOf(OpPut, 8<<20, 8, OpStats{Count: 100}, OpStats{Count: 200}),
		CPUByRole{Client: 0.5, Gateway: 0.3, Regions: 1}, CPUByRole{Client: 0.6, Regions: 1.2})
	rep := &Report{Machine: Machine{CPUs: 2}, Started: time.Unix(0, 0), WAN: &WANReport{Normal: []*Comparison{c}}}
	var md strings.Builder
	if err := WriteMarkdown(&md, rep, "make bench"); err != nil {
		t.Fatal(err)
	}
	// 18 ms/op over 100 ops in 1 s keeps 1.8 CPUs busy; ceiling 9 / (18 − 3).
	row := "| put 8MiB c8 | 5.00 | 3.00 | 10.00 | 18.00 | 1.80 | 3.00 | 6.00 | 9.00 | 1.80 | 0.50 | **0.60** |"
	if !strings.Contains(md.String(), row) {
		t.Errorf("markdown lacks %q:\n%s", row, md.String())
	}
}

func TestAgingInReport(t *testing.T) {
	age, w := AgingWorkloads()
	if _, err := age.withDefaults(); err != nil {
		t.Errorf("aging workload: %v", err)
	}
	for _, c := range []struct {
		aged, fresh int64
		met         bool
	}{{35, 100, false}, {95, 100, true}} {
		cmp := comparisonOf(w.Op, w.Size, w.Concurrency, OpStats{Count: c.aged}, OpStats{Count: c.fresh})
		aging := &Result{Workload: age, ElapsedSec: 45, Total: OpStats{Count: 28_000},
			Ops: []OpStats{{Op: string(OpPut), Count: 10_000}, {Op: string(OpGet), Count: 8_000}, {Op: string(OpDelete), Count: 10_000}}}
		rep := &Report{Machine: Machine{CPUs: 2}, Aging: &AgingReport{Aging: aging, Comparison: cmp, RSSAged: 170 << 20, RSSFresh: 150 << 20}}
		rep.Targets = evaluateTargets(rep)
		const name = "PUT 8MiB c8 on a gateway after 10000 PUTs of 1 MiB / on a fresh one, ops/s"
		found := false
		for _, tg := range rep.Targets {
			if tg.Name == name {
				found = true
				if tg.Met != c.met {
					t.Errorf("aged %d / fresh %d: met %v, want %v", c.aged, c.fresh, tg.Met, c.met)
				}
			}
		}
		if !found {
			t.Errorf("no target %q in %+v", name, rep.Targets)
		}
		var md strings.Builder
		if err := WriteMarkdown(&md, rep, "make bench"); err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{
			"## A gateway that has served many PUTs against a fresh one",
			"The aged one first serves 10000 PUTs of 1MiB objects at concurrency 8, among 8000 GETs and 10000 DELETEs of objects it wrote (45 s, 0 errors)",
			"| workload | aged MiB/s | fresh MiB/s |",
			"RSS after the comparison: aged 170.0 MiB, fresh 150.0 MiB.",
		} {
			if !strings.Contains(md.String(), s) {
				t.Errorf("markdown lacks %q:\n%s", s, md.String())
			}
		}
	}
	if c, err := (StandardConfig{PrismdBin: "prismd", Only: []string{"aging"}}).withDefaults(); err != nil || c.needsRegions() || !c.runs("aging") {
		t.Errorf("only aging: %v, needs regions %v", err, c.needsRegions())
	}
}
