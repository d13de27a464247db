package bench

import (
	"fmt"
	"strings"
)

// Target is one figure of issue 5 and its goal.
type Target struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Unit  string  `json:"unit"`
	// Goal is the comparison and bound, e.g. "≥ 0.9".
	Goal string `json:"goal"`
	// Met is true when the figure was measured, valid and within its goal.
	Met bool `json:"met"`
	// Missing says why there is no figure (a step failed, a result had errors).
	Missing string `json:"missing,omitempty"`
	// Relay is the relay/direct ratio of the same workload (Report.Relay),
	// the floor to read a prismd/direct figure against; 0 when it was not
	// measured or is invalid. It does not count towards Met.
	Relay float64 `json:"relay,omitempty"`
	// RelayBound is the prismd/direct ratio this workload would reach if
	// prismd's gateway cost no more CPU per operation than the plain relay
	// (which receives the request and makes one backend request, hashing
	// and coding nothing), the client and the regions costing what they
	// were measured to: direct total ÷ (client + regions + relay's
	// gateway), in CPU ms per operation. Below the goal, no gateway that
	// stores these shards on these regions on this machine reaches it.
	// 0 when CPU time was not measured on all three sides.
	RelayBound float64 `json:"relay_bound,omitempty"`
}

// relayBound computes Target.RelayBound from prismd's comparison c and the
// relay's comparison r of the same workload; 0 when CPU is missing.
func relayBound(c, r *Comparison) float64 {
	if c == nil || r == nil || c.Target.CPU == nil || c.Baseline.CPU == nil || r.Target.CPU == nil {
		return 0
	}
	t, g := c.Target.CPU.MsPerOp, r.Target.CPU.MsPerOp.Gateway
	if g <= 0 || c.Baseline.CPU.MsPerOp.Total <= 0 {
		return 0
	}
	return ratio(c.Baseline.CPU.MsPerOp.Total, t.Client+t.Regions+g)
}

func atLeast(name string, v float64, unit string, bound float64) Target {
	return Target{Name: name, Value: v, Unit: unit, Goal: fmt.Sprintf("≥ %s", trimFloat(bound)), Met: v >= bound}
}

func atMost(name string, v float64, unit string, bound float64) Target {
	return Target{Name: name, Value: v, Unit: unit, Goal: fmt.Sprintf("≤ %s", trimFloat(bound)), Met: v <= bound}
}

func trimFloat(f float64) string {
	s := fmt.Sprintf("%.3f", f)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s
}

func missing(name, goal, why string) Target { return Target{Name: name, Goal: goal, Missing: why} }

// comparison finds the comparison of op, size and concurrency in cs.
func comparison(cs []*Comparison, op Op, size int64, conc int) *Comparison {
	for _, c := range cs {
		w := c.Target.Workload
		if w.Op == op && w.Size == size && w.Concurrency == conc {
			return c
		}
	}
	return nil
}

// goBench finds a benchmark by name in runs.
func goBench(runs []GoBenchRun, name string) (GoBench, bool) {
	for _, r := range runs {
		for _, b := range r.Benchmarks {
			if b.Name == name {
				return b, true
			}
		}
	}
	return GoBench{}, false
}

// evaluateTargets checks the report's figures against issue 5's goals.
func evaluateTargets(rep *Report) []Target {
	var ts []Target
	for _, set := range rep.Sets {
		for _, g := range []struct {
			op    Op
			size  int64
			conc  int
			bound float64
		}{{OpGet, 8 << 20, 8, 0.9}, {OpPut, 8 << 20, 8, 0.7}, {OpPut, 4 << 10, 32, 0.5}, {OpGet, 4 << 10, 32, 0.5}} {
			unit := "MiB/s"
			if g.size < 1<<20 {
				unit = "ops/s"
			}
			name := fmt.Sprintf("%s: %s %s c%d, prismd/direct %s", set.Policy, strings.ToUpper(string(g.op)), FormatSize(g.size), g.conc, unit)
			var t Target
			c := comparison(set.Comparisons, g.op, g.size, g.conc)
			switch {
			case c == nil:
				t = missing(name, fmt.Sprintf("≥ %v", g.bound), "not run")
			case !c.Valid:
				t = atLeast(name, c.Ratios.OpsPerSec, "×", g.bound)
				t.Met, t.Missing = false, "invalid: "+c.Invalid
			default:
				t = atLeast(name, c.Ratios.OpsPerSec, "×", g.bound)
			}
			if r := comparison(rep.Relay, g.op, g.size, g.conc); r != nil && r.Valid {
				t.Relay = r.Ratios.OpsPerSec
				if c != nil && c.Valid {
					t.RelayBound = relayBound(c, r)
				}
			}
			ts = append(ts, t)
		}
	}
	ts = append(ts, minioTargets(rep)...)
	ts = append(ts, agingTargets(rep.Aging)...)
	ts = append(ts, wanTargets(rep.WAN)...)
	// Memory must not grow with object size: if a request buffered its
	// object, peak RSS would grow by about concurrency × object size. The
	// bound allows an eighth of that (GC slack, pools).
	if m := rep.Memory; m != nil && m.PeakRSSSmall > 0 && m.PeakRSSLarge > 0 {
		inFlight := float64(int64(m.Concurrency)*m.LargeSize) / (1 << 20)
		t := atMost(fmt.Sprintf("gateway peak RSS growth, %s objects vs 1 MiB objects (%.0f → %.0f MiB, %.2f×), vs %.0f MiB in flight",
			FormatSize(m.LargeSize), float64(m.PeakRSSSmall)/(1<<20), float64(m.PeakRSSLarge)/(1<<20), m.PeakRSSGrowth, inFlight),
			float64(m.PeakRSSLarge-m.PeakRSSSmall)/(1<<20), "MiB", inFlight/8)
		ts = append(ts, t)
	} else {
		ts = append(ts, missing("gateway peak RSS growth, large vs 1 MiB objects", "≤ 1/8 of the bytes in flight", "not measured"))
	}
	ts = append(ts, shippingTargets(rep.Shipping)...)
	ts = append(ts, authzTargets(rep.Authz)...)
	if len(rep.GoBench) == 0 {
		return ts
	}
	put, ok1 := goBench(rep.GoBench, "BenchmarkPut/2+1")
	raw, ok2 := goBench(rep.GoBench, "BenchmarkRawPerByteWork")
	if ok1 && ok2 && raw.Metrics["MB/s"] > 0 {
		ts = append(ts, atLeast("engine PUT 2+1 (mem regions) / irreducible per-byte work (MD5 + block hash + RS 2+1, one core)", ratio(put.Metrics["MB/s"], raw.Metrics["MB/s"]), "×", 0.7))
	} else {
		ts = append(ts, missing("engine PUT 2+1 / per-byte work", "≥ 0.7", "benchmark missing"))
	}
	if b, ok := goBench(rep.GoBench, "BenchmarkGroupCommit64"); ok {
		ts = append(ts, atLeast("group commits/s, 64 writers, fsync on", b.Metrics["commits/s"], "commits/s", 50000))
	} else {
		ts = append(ts, missing("group commits/s", "≥ 50000", "benchmark missing"))
	}
	if b, ok := goBench(rep.GoBench, "BenchmarkReplay"); ok {
		ts = append(ts, atLeast("replay events/s", b.Metrics["events/s"], "events/s", 1_000_000))
	} else {
		ts = append(ts, missing("replay events/s", "≥ 1000000", "benchmark missing"))
	}
	worst, name := 0.0, ""
	for _, r := range rep.GoBench {
		for _, b := range r.Benchmarks {
			if strings.HasPrefix(b.Name, "BenchmarkListPage1M/") && b.Metrics["ns/op"] > worst {
				worst, name = b.Metrics["ns/op"], strings.TrimPrefix(b.Name, "BenchmarkListPage1M/")
			}
		}
	}
	if name != "" {
		ts = append(ts, atMost("1000-key listing page among 1M keys, slowest variant ("+name+")", worst/1e6, "ms", 2))
	} else {
		ts = append(ts, missing("listing page among 1M keys", "≤ 2", "benchmark missing"))
	}
	worst, name = 0, ""
	for _, r := range rep.GoBench {
		for _, b := range r.Benchmarks {
			if v, ok := b.Metrics["bytes/object-exkey"]; ok && strings.HasPrefix(b.Name, "BenchmarkBytesPerObject/") && v > worst {
				worst, name = v, strings.TrimPrefix(b.Name, "BenchmarkBytesPerObject/")
			}
		}
	}
	if name != "" {
		ts = append(ts, atMost("projection bytes per object besides its key, worst variant ("+name+")", worst, "bytes", 300))
	} else {
		ts = append(ts, missing("projection bytes per object", "≤ 300", "benchmark missing"))
	}
	return ts
}

// minioTargetRatio is issue 15's goal: prismd ≥ 1.25 × MinIO, every workload.
const minioTargetRatio = 1.25

// minioTargets are issue 15's figures: prismd over fs regions against
// MinIO, each standard workload and the mixed one, in ops/s.
func minioTargets(rep *Report) []Target {
	if rep.MinIO == nil {
		return nil
	}
	var ts []Target
	for _, w := range minioWorkloads() {
		op, rest, _ := strings.Cut(w.String(), " ")
		name := fmt.Sprintf("fs erasure: %s %s, prismd/MinIO ops/s", strings.ToUpper(op), rest)
		var c *Comparison
		for _, x := range rep.MinIO.Comparisons {
			xw := x.Target.Workload
			if xw.Op == w.Op && xw.Size == w.Size && xw.MaxSize == w.MaxSize && xw.Concurrency == w.Concurrency {
				c = x
			}
		}
		ts = append(ts, comparisonTarget(name, c, minioTargetRatio, "not run"))
	}
	return ts
}

// comparisonTarget is the figure of a comparison whose ops/s ratio must be
// at least goal: missing (why: absent) when c is nil, not met when c is
// invalid.
func comparisonTarget(name string, c *Comparison, goal float64, absent string) Target {
	switch {
	case c == nil:
		return missing(name, fmt.Sprintf("≥ %v", goal), absent)
	case !c.Valid:
		t := atLeast(name, c.Ratios.OpsPerSec, "×", goal)
		t.Met, t.Missing = false, "invalid: "+c.Invalid
		return t
	}
	return atLeast(name, c.Ratios.OpsPerSec, "×", goal)
}

// shippingTargets are issue 10's figures: replay of a large gateway, the
// RPO under load, PUT throughput with shipping on against off.
func shippingTargets(sh *ShippingReport) []Target {
	if sh == nil {
		return []Target{missing("prismd replay of a large gateway, seconds", "≤ 30", "not run")}
	}
	var ts []Target
	name := fmt.Sprintf("prismd replay of a %d-object gateway from three local versitygw regions, seconds", sh.Objects)
	if sh.Restored == sh.Objects && sh.ReplaySeconds > 0 {
		ts = append(ts, atMost(name, sh.ReplaySeconds, "s", 30))
	} else {
		ts = append(ts, missing(name, "≤ 30", fmt.Sprintf("restored %d of %d objects", sh.Restored, sh.Objects)))
	}
	if sh.RPOSamples > 0 {
		ts = append(ts, atMost(fmt.Sprintf("RPO: largest shipping lag of any region under PUT 4KiB c32 (%d samples, median %.2f s)", sh.RPOSamples, sh.RPOMedian), sh.RPO, "s", 5))
	} else {
		ts = append(ts, missing("RPO under a steady PUT load", "≤ 5", "not measured"))
	}
	if c := sh.Throughput; c != nil && c.Valid {
		ts = append(ts, atLeast("PUT 4KiB c32 throughput, shipping on / off", c.Ratios.OpsPerSec, "×", 0.95))
	} else {
		ts = append(ts, missing("PUT throughput, shipping on / off", "≥ 0.95", "not measured"))
	}
	return ts
}
