package bench

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// WriteMarkdown writes rep as BENCHMARKS.md. invocation is the command
// that produced it (e.g. "make bench").
func WriteMarkdown(out io.Writer, rep *Report, invocation string) error {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("# prismd benchmarks\n\n")
	p("Written by `%s` on %s in %.0f s. Every figure that matters is a **ratio measured in the same run**: prismd against the same client talking straight to one backend region (interleaved rounds, each side first in half of them), and the engine against the irreducible work in the same `go test` process. Absolute numbers describe this machine more than prismd.\n\n",
		invocation, rep.Started.UTC().Format("2006-01-02 15:04 UTC"), rep.ElapsedSec)
	p("A result with any error is **invalid** and marked so; its ratios do not count. Beside each comparison's ratio, which pools its rounds, `rounds' ratios` gives the lowest and the highest ratio of a single round: a goal missed or met by less than that spread is within this machine's noise.\n\n")

	m := rep.Machine
	p("## Machine\n\n| | |\n|---|---|\n")
	p("| CPUs (nproc) | %d |\n| CPU | %s |\n| memory | %.1f GiB |\n| kernel | %s |\n| OS/arch | %s |\n| Go | %s |\n| prismd | %s |\n",
		m.CPUs, m.CPUModel, float64(m.MemoryMiB)/1024, m.Kernel, m.OS, m.GoVersion, m.Prismd)
	if m.LoadAvg != "" {
		p("| load average at the start (1, 5, 15 min) | %s |\n", m.LoadAvg)
	}
	p("\n")
	p("The client, the gateway and the three regions share these %d CPUs; the direct baseline uses the client and one region only. Through prismd, a PUT writes 1.5× the bytes (2+1) to three regions on the same disk.\n\n", m.CPUs)

	p("## Targets (issues 5, 10, 13 and 15)\n\n")
	if len(rep.Relay) > 0 {
		p("`relay/direct` is the same workload through a plain relay in front of region-1 (below): the floor any gateway that passes bytes through one process reaches on this machine. " +
			"`bound` is the ratio prismd would reach if its gateway cost no more CPU per operation than that relay, its client and regions costing what they were measured to (direct total ÷ (client + regions + relay's gateway), from the CPU tables below): " +
			"a bound below the goal means that no gateway storing these shards on these regions reaches the goal on this machine. Neither counts towards the goals.\n\n")
	}
	p("| figure | measured | relay/direct | bound | goal | |\n|---|---:|---:|---:|---|---|\n")
	for _, t := range rep.Targets {
		mark := "met"
		if !t.Met {
			mark = "**missed**"
		}
		val := fmt.Sprintf("%s %s", fmtNum(t.Value), t.Unit)
		if t.Missing != "" {
			mark = "**" + t.Missing + "**"
			if t.Value == 0 {
				val = "—"
			}
		}
		relay, bound := "", ""
		if t.Relay > 0 {
			relay = fmt.Sprintf("%s ×", fmtNum(t.Relay))
		}
		if t.RelayBound > 0 {
			bound = fmt.Sprintf("%s ×", fmtNum(t.RelayBound))
		}
		p("| %s | %s | %s | %s | %s | %s |\n", t.Name, val, relay, bound, t.Goal, mark)
	}
	p("\n")

	if len(rep.Errors) > 0 {
		p("## Steps that failed\n\n")
		for _, e := range rep.Errors {
			p("- `%s`\n", strings.ReplaceAll(firstLine(e), "`", "'"))
		}
		p("\n")
	}

	if mr := rep.MinIO; mr != nil {
		writeMinIO(&b, mr, m.CPUs)
	}

	explained := false
	for _, set := range rep.Sets {
		p("## Through prismd vs direct to one region — policy %s 2+1\n\n", set.Policy)
		writeComparisonTable(&b, set.Comparisons, "prismd")
		if writeCPUTable(&b, set.Comparisons, !explained, m.CPUs, "prismd") {
			explained = true
		}
	}

	if len(rep.Relay) > 0 {
		p("## A plain relay vs direct — what relaying bytes costs here\n\n")
		p("The relay (`prismd bench relay`, a `net/http/httputil` reverse proxy) sits in front of region-1 and passes every request and response through unchanged: no erasure coding, no hashing, no authentication of its own (the client's signature stays valid because the relay forwards the Host header, path, query and body as they are). "+
			"Its own process still receives every byte and sends it again on the same %d CPUs, so it is the floor of any gateway that passes bytes through one process on this machine: prismd's ratio should be read against the relay's, not against 1. "+
			"In the CPU table the relay is the `gateway` and region-1 the `regions`.\n\n", m.CPUs)
		writeComparisonTable(&b, rep.Relay, "relay")
		writeCPUTable(&b, rep.Relay, !explained, m.CPUs, "relay")
	}

	if wr := rep.WAN; wr != nil {
		p("## Over distant regions (issue 15)\n\n")
		p("The three versitygw regions each behind a `Shaper` (bench/shaper.go), a TCP relay that delays every byte by half the round trip each way: region-1 %v, region-2 %v, region-3 %v round trips, no bandwidth limit; prismd erasure 2+1 over them against the ideal of a 2+1 gateway, region-2 (the second-nearest) talked to directly through its Shaper. Then the same with region-3 also limited to %s/s per connection (starved).\n\n",
			WANRoundTrips[0], WANRoundTrips[1], WANRoundTrips[2], FormatSize(WANStarvedBandwidth))
		writeComparisonTableVs(&b, wr.Normal, "prismd", "ideal")
		if len(wr.Starved) > 0 {
			p("Far region starved:\n\n")
			writeComparisonTableVs(&b, wr.Starved, "prismd", "ideal")
		}
		writeWANCPU(&b, append(slices.Clone(wr.Normal), wr.Starved...), m.CPUs)
	}

	if mr := rep.Memory; mr != nil {
		p("## Large objects and the gateway's memory\n\n")
		p("A fresh gateway (erasure 2+1) runs %s objects, then %s objects (PUT then GET, concurrency 2, both against direct). Peak RSS is VmHWM of /proc/PID/status of `prismd serve`.\n\n", FormatSize(mr.SmallSize), FormatSize(mr.LargeSize))
		writeComparisonTable(&b, mr.Comparisons, "prismd")
		if mr.PeakRSSSmall > 0 {
			p("| peak RSS after | MiB |\n|---|---:|\n| %s objects | %.1f |\n", FormatSize(mr.SmallSize), float64(mr.PeakRSSSmall)/(1<<20))
			if mr.PeakRSSLarge > 0 {
				p("| %s objects | %.1f |\n| growth | %.2f× |\n", FormatSize(mr.LargeSize), float64(mr.PeakRSSLarge)/(1<<20), mr.PeakRSSGrowth)
			}
			p("\n")
		}
	}

	if sh := rep.Shipping; sh != nil {
		p("## The log shipped to the regions; prismd replay\n\n")
		p("A gateway of %d objects of 4 KiB (erasure 2+1; %d events; a snapshot of nine tenths of them, %s, the rest in the log after it) is served over the three regions until every region holds its snapshot and log (%.1f s), stopped, its data directory removed, and rebuilt with `%s`: %.1f s, %d objects restored.\n\n",
			sh.Objects, sh.Events, FormatSize(sh.SnapshotBytes), sh.ShipSeconds, sh.ReplayCommand, sh.ReplaySeconds, sh.Restored)
		if c := sh.Throughput; c != nil {
			p("PUT 4 KiB c32 on a gateway that ships its log every second (target) and on one with `ship_interval = \"0s\"` (baseline), over the same regions, interleaved; the shipping gateway's lag was sampled every 100 ms: largest %.2f s, median %.2f s (%d samples).\n\n", sh.RPO, sh.RPOMedian, sh.RPOSamples)
			writeComparisonTable(&b, []*Comparison{c}, "shipping on")
		}
	}

	if a := rep.Authz; a != nil {
		writeAuthz(&b, a)
	}

	if a := rep.Aging; a != nil {
		writeAging(&b, a)
	}

	if pr := rep.Profile; pr != nil {
		p("## CPU profile of the slowest workload\n\n")
		vs := pr.Versus
		if vs == "" {
			vs = "prismd/direct"
		}
		p("Workload: **%s** (%s %.2f×, the furthest from its goal), profiled on the gateway while it ran alone.\n\n", pr.Workload, vs, pr.Ratio)
		if pr.Err != "" {
			p("No profile: %s\n\n", pr.Err)
		} else {
			p("Profile: `%s`. Flat, then cumulative:\n\n```\n%s```\n\n", pr.Path, pr.Top)
		}
	}

	if len(rep.GoBench) > 0 {
		p("## Engine-internal (Go benchmarks)\n\n")
		writeEngineRatios(&b, rep.GoBench)
		for _, r := range rep.GoBench {
			p("`%s`", r.Command)
			if r.Err != "" {
				p(" — **failed**: %s", firstLine(r.Err))
			}
			p("\n\n")
			if len(r.Benchmarks) == 0 {
				continue
			}
			p("| benchmark | iterations | figures |\n|---|---:|---|\n")
			for _, bb := range r.Benchmarks {
				p("| %s | %d | %s |\n", bb.Name, bb.Iterations, fmtMetrics(bb.Metrics))
			}
			p("\n")
		}
	}

	p("## Commands\n\n```\n%s\n", invocation)
	for _, c := range rep.Commands {
		p("%s\n", c)
	}
	for _, r := range rep.GoBench {
		p("%s\n", r.Command)
	}
	p("```\n\n")
	if len(rep.Sets) > 0 {
		p("prismd.toml (the policy's `mode` was `%s`, then each of the others; secrets elided):\n\n```toml\n%s```\n", rep.Sets[0].Policy, rep.Sets[0].Config)
	}
	_, err := io.WriteString(out, b.String())
	return err
}

// writeComparisonTable writes cs, their targets called name ("prismd").
func writeComparisonTable(b *strings.Builder, cs []*Comparison, name string) {
	writeComparisonTableVs(b, cs, name, "direct")
}

// writeComparisonTableVs writes cs, their targets called name and their
// baselines base.
func writeComparisonTableVs(b *strings.Builder, cs []*Comparison, name, base string) {
	fmt.Fprintf(b, "| workload | %[1]s MiB/s | %[2]s MiB/s | %[1]s obj/s | %[2]s obj/s | **ratio** | rounds' ratios | p50 ms %[1]s / %[2]s | p99 ms %[1]s / %[2]s | ops %[1]s / %[2]s | errors | valid |\n", name, base)
	fmt.Fprintf(b, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n")
	for _, c := range cs {
		t, d := c.Target.Total, c.Baseline.Total
		valid := "yes"
		if !c.Valid {
			valid = "**INVALID**: " + firstLine(c.Invalid)
		}
		spread := "—"
		if lo, hi, ok := c.RoundSpread(); ok {
			spread = fmt.Sprintf("%.2f–%.2f", lo, hi)
		}
		fmt.Fprintf(b, "| %s | %.1f | %.1f | %.1f | %.1f | **%.2f** | %s | %.2f / %.2f | %.2f / %.2f | %d / %d | %d / %d | %s |\n",
			c.Label, t.MiBPerSec, d.MiBPerSec, t.OpsPerSec, d.OpsPerSec, c.Ratios.OpsPerSec, spread, t.P50ms, d.P50ms, t.P99ms, d.P99ms, t.Count, d.Count, t.Errors, d.Errors, valid)
	}
	fmt.Fprintf(b, "\n")
	for _, c := range cs {
		for _, r := range []*Result{c.Target, c.Baseline} {
			for _, e := range r.ErrorSamples {
				fmt.Fprintf(b, "- %s, %s: `%s`\n", c.Label, r.Endpoint, strings.ReplaceAll(firstLine(e), "`", "'"))
			}
		}
	}
}

// writeMinIO writes the MinIO comparison: throughput, then the CPU each
// server spent per operation.
func writeMinIO(b *strings.Builder, mr *MinIOReport, cpus int) {
	fmt.Fprintf(b, "## prismd vs MinIO on local disks (issue 15)\n\n")
	fmt.Fprintf(b, "prismd over three fs regions (directories on this machine's disk; prismd.toml below) against MinIO over three drive directories on the same disk with one parity drive: both erasure 2+1, the same client, interleaved rounds (each side first in half of them). "+
		"The mixed workload is 70 %% GET, 20 %% PUT and 10 %% DELETE (of keys the run PUT), object sizes uniform in 1 KiB–16 MiB. MinIO: `%s`.\n\n", mr.Command)
	writeComparisonTableVs(b, mr.Comparisons, "prismd", "MinIO")
	var rows []string
	for _, c := range mr.Comparisons {
		t, d := c.Target.CPU, c.Baseline.CPU
		if t == nil || d == nil {
			continue
		}
		rows = append(rows, fmt.Sprintf("| %s | %.3f | %.3f | %s | %.3f | %.3f | %.2f |", c.Label, t.MsPerOp.Gateway, d.MsPerOp.Gateway,
			fmtNum(ratio(d.MsPerOp.Gateway, t.MsPerOp.Gateway)), t.MsPerOp.Client, d.MsPerOp.Client, c.Ratios.OpsPerSec))
	}
	if len(rows) > 0 {
		fmt.Fprintf(b, "### CPU per operation (ms) of each server\n\n")
		fmt.Fprintf(b, "CPU time (user + system, /proc/PID/stat) of `prismd serve` (which also writes the fs regions) and of `minio server` during the timed rounds, divided by the operations; `client` is the bench process. The client and the server share this machine's %d CPUs, so a server that costs less CPU per operation leaves more for the other.\n\n", cpus)
		fmt.Fprintf(b, "| workload | prismd server | MinIO server | MinIO/prismd server CPU | client (prismd) | client (MinIO) | prismd/MinIO obj/s |\n|---|---:|---:|---:|---:|---:|---:|\n%s\n\n", strings.Join(rows, "\n"))
	}
	fmt.Fprintf(b, "prismd.toml of this comparison:\n\n```toml\n%s```\n\n", mr.Config)
}

// writeCPUTable writes the CPU per operation of each process of the
// comparisons that measured it on both sides, their targets called name
// ("prismd"), with an explanation when explain is set; it reports whether
// it wrote a table.
func writeCPUTable(b *strings.Builder, cs []*Comparison, explain bool, cpus int, name string) bool {
	var rows []string
	for _, c := range cs {
		t, d := c.Target.CPU, c.Baseline.CPU
		if t == nil || d == nil {
			continue
		}
		ceiling := "—"
		if c.Ratios.CPUCeiling > 0 {
			ceiling = fmt.Sprintf("**%.2f**", c.Ratios.CPUCeiling)
		}
		rows = append(rows, fmt.Sprintf("| %s | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.2f | %s |",
			c.Label, t.MsPerOp.Client, t.MsPerOp.Gateway, t.MsPerOp.Regions, t.MsPerOp.Total,
			d.MsPerOp.Client, d.MsPerOp.Regions, d.MsPerOp.Total, c.Ratios.OpsPerSec, ceiling))
	}
	if len(rows) == 0 {
		return false
	}
	fmt.Fprintf(b, "### CPU per operation (ms), by process\n\n")
	if explain {
		fmt.Fprintf(b, "CPU time (user + system) each process spent during the timed rounds, divided by the operations: `client` is the bench process (getrusage), `gateway` is `prismd serve` and `regions` the versitygw processes — all three through prismd, region-1 alone direct (/proc/PID/stat). "+
			"All of them share this machine's %d CPUs, so when the CPUs are busy the prismd/direct obj/s `ratio` is close to direct total ÷ prismd total. "+
			"`ceiling` = direct total ÷ (prismd total − gateway) is the ratio prismd would reach if the gateway itself cost nothing: what is left of the gap is the regions' extra work (a GET reads 2 shards, a PUT writes 3) and the client's. "+
			"A ratio far below its ceiling is the gateway's own cost; a ceiling below 1 is the price of erasure coding on one shared machine.\n\n", cpus)
	}
	fmt.Fprintf(b, "| workload | %[1]s client | %[1]s gateway | %[1]s regions | %[1]s total | direct client | direct regions | direct total | ratio | ceiling |\n", name)
	fmt.Fprintf(b, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n%s\n\n", strings.Join(rows, "\n"))
	return true
}

// writeWANCPU writes the CPU per operation of each side of the WAN
// comparisons, how many CPUs each side kept busy, and the ceiling.
func writeWANCPU(b *strings.Builder, cs []*Comparison, cpus int) {
	var rows []string
	for _, c := range cs {
		t, d := c.Target.CPU, c.Baseline.CPU
		if t == nil || d == nil || c.Target.ElapsedSec <= 0 || c.Baseline.ElapsedSec <= 0 {
			continue
		}
		ceiling := "—"
		if c.Ratios.CPUCeiling > 0 {
			ceiling = fmt.Sprintf("**%.2f**", c.Ratios.CPUCeiling)
		}
		rows = append(rows, fmt.Sprintf("| %s | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %s |",
			c.Label, t.MsPerOp.Client, t.MsPerOp.Gateway, t.MsPerOp.Regions, t.MsPerOp.Total, t.Seconds.Total/c.Target.ElapsedSec,
			d.MsPerOp.Client, d.MsPerOp.Regions, d.MsPerOp.Total, d.Seconds.Total/c.Baseline.ElapsedSec, c.Ratios.OpsPerSec, ceiling))
	}
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(b, "### CPU per operation (ms), by process\n\n")
	fmt.Fprintf(b, "As in the local sets: `client` is the bench process, which here also runs the three Shapers (every byte to and from a region passes through it), `gateway` is `prismd serve`, `regions` the three versitygw processes through prismd and region-2 alone for the ideal. "+
		"`busy` is the CPUs a side kept busy (its CPU time ÷ its run time) out of this machine's %d. "+
		"Where both sides keep the CPUs busy, the obj/s ratio is close to ideal total ÷ prismd total, and `ceiling` = ideal total ÷ (prismd total − gateway) is the ratio a gateway costing no CPU at all would reach: the regions' extra work (a PUT writes 3 shards of half the object, a GET reads 2) and the Shapers' relaying of it are left. "+
		"The c1 rows keep the CPUs mostly idle: their ratio is the WAN path itself, and their ceiling does not apply.\n\n", cpus)
	fmt.Fprintf(b, "| workload | prismd client | prismd gateway | prismd regions | prismd total | prismd busy | ideal client | ideal region | ideal total | ideal busy | ratio | ceiling |\n")
	fmt.Fprintf(b, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n%s\n\n", strings.Join(rows, "\n"))
}

// writeEngineRatios writes the engine-vs-raw ratios of issue 5.
func writeEngineRatios(b *strings.Builder, runs []GoBenchRun) {
	rows := []struct{ name, a, b, unit string }{
		{"PUT 2+1 / irreducible per-byte work (MD5 + block hash + RS 2+1)", "BenchmarkPut/2+1", "BenchmarkRawPerByteWork", "MB/s"},
		{"PUT 2+1 / raw reedsolomon encode 2+1", "BenchmarkPut/2+1", "BenchmarkRawEncode/2+1", "MB/s"},
		{"PUT 3+2 / raw reedsolomon encode 3+2", "BenchmarkPut/3+2", "BenchmarkRawEncode/3+2", "MB/s"},
		{"GET 2+1 / raw reedsolomon reconstruct 2+1", "BenchmarkGet/2+1", "BenchmarkRawDecode", "MB/s"},
		{"GET 3+2 / raw reedsolomon encode 3+2", "BenchmarkGet/3+2", "BenchmarkRawEncode/3+2", "MB/s"},
	}
	var lines []string
	for _, r := range rows {
		x, ok1 := goBench(runs, r.a)
		y, ok2 := goBench(runs, r.b)
		if !ok1 || !ok2 || y.Metrics[r.unit] == 0 {
			continue
		}
		lines = append(lines, fmt.Sprintf("| %s | %s | %s | **%.3f** |", r.name, fmtNum(x.Metrics[r.unit]), fmtNum(y.Metrics[r.unit]), x.Metrics[r.unit]/y.Metrics[r.unit]))
	}
	if len(lines) == 0 {
		return
	}
	fmt.Fprintf(b, "| engine vs raw, same run | engine MB/s | raw MB/s | ratio |\n|---|---:|---:|---:|\n%s\n\n", strings.Join(lines, "\n"))
}

func fmtMetrics(m map[string]float64) string {
	units := make([]string, 0, len(m))
	for u := range m {
		units = append(units, u)
	}
	slices.Sort(units)
	parts := make([]string, 0, len(units))
	for _, u := range units {
		parts = append(parts, fmtNum(m[u])+" "+u)
	}
	return strings.Join(parts, ", ")
}

func fmtNum(v float64) string {
	switch {
	case v == 0:
		return "0"
	case v >= 1000:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.3f", v)
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
