package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"
)

// AgingReport compares a gateway that has served many large PUTs with a
// fresh one, both erasure 2+1 over their own three fs regions, in
// interleaved rounds of the same run. Every other figure runs on a gateway
// minutes old; a process that gets slower with what it served (a leak, a
// table never pruned) shows here. It found one: md5-simd's server kept
// every hash ever closed, and a gateway that had served 10,000 1 MiB PUTs
// did 8 MiB PUTs at 0.35 of a fresh one's rate. An aged gateway measured
// 1.05–1.24 of a fresh one while shard keys made a directory per blob
// (a fresh fs region made one for almost every shard); with fanout keys
// the two measure about the same.
type AgingReport struct {
	// Config is the aged gateway's prismd.toml; the fresh one has its own regions.
	Config string `json:"config"`
	// Aging is what the aged gateway served before the comparison.
	Aging *Result `json:"aging,omitempty"`
	// Comparison is the aged gateway (target) against the fresh one.
	Comparison *Comparison `json:"comparison,omitempty"`
	// RSS of each gateway after the comparison, bytes.
	RSSAged  int64 `json:"rss_aged"`
	RSSFresh int64 `json:"rss_fresh"`
}

// agingTargetRatio is the goal: an aged gateway ≥ 0.9 × a fresh one.
const agingTargetRatio = 0.9

// AgingWorkloads are what ages the gateway — about 10,000 PUTs of 1 MiB
// objects among GETs and as many DELETEs, each worker deleting an object
// it wrote, so that the disk ends as it began — and what is then compared.
func AgingWorkloads() (age, compare Workload) {
	return Workload{Op: OpMixed, Size: 1 << 20, MaxSize: 1 << 20, GetRatio: 0.3, DeleteRatio: 0.35, Concurrency: 8, Ops: 28_000, Duration: 4 * time.Minute},
		Workload{Op: OpPut, Size: 8 << 20, Concurrency: 8}
}

// opCount returns how many operations op of r succeeded.
func opCount(r *Result, op Op) int64 {
	for _, o := range r.Ops {
		if o.Op == string(op) {
			return o.Count
		}
	}
	return 0
}

// agingSet ages one fs gateway, then compares it with a fresh one.
func (s *standard) agingSet(ctx context.Context) {
	rep := &AgingReport{Config: fsGatewayConfig(filepath.Join(s.cfg.WorkDir, "gateway-aged", "regions"))}
	s.rep.Aging = rep
	var gs [2]*Gateway
	for i, name := range []string{"gateway-aged", "gateway-fresh"} {
		dir := filepath.Join(s.cfg.WorkDir, name)
		g, err := StartGateway(ctx, s.cfg.PrismdBin, dir, fsGatewayConfig(filepath.Join(dir, "regions")), gatewayAccessKey, gatewaySecretKey)
		if err != nil {
			s.fail("aging: "+name, err)
			return
		}
		defer func() {
			g.Stop(30 * time.Second)
			s.discard(dir)
		}()
		s.logf("%s: prismd serve pid %d on %s", name, g.PID(), g.Endpoint)
		gs[i] = g
	}
	endpoint := func(name string, g *Gateway, w Workload) Endpoint {
		return Endpoint{Name: name, URL: g.Endpoint, AccessKey: g.AccessKey, SecretKey: g.SecretKey, Bucket: bucketName("aging", w),
			Processes: []ServerProcess{{Role: RoleGateway, PID: g.PID()}}}
	}
	age, w := AgingWorkloads()
	res, err := Run(ctx, Config{Target: endpoint("aged", gs[0], age), Workload: age, Progress: s.cfg.Progress, Label: "aging " + age.String()})
	if err != nil {
		s.fail("aging: "+age.String(), err)
		return
	}
	rep.Aging = res
	s.logf("aging: %d PUTs, %d GETs and %d DELETEs of %s objects in %.0f s, %d errors", opCount(res, OpPut), opCount(res, OpGet), opCount(res, OpDelete), FormatSize(age.Size), res.ElapsedSec, res.Total.Errors)
	w.Duration = s.cfg.RoundDuration * time.Duration(s.cfg.Rounds)
	aged, fresh := endpoint("aged", gs[0], w), endpoint("fresh", gs[1], w)
	label := fmt.Sprintf("%s, aged / fresh gateway", w)
	c, err := Compare(ctx, Config{Target: aged, Baseline: &fresh, Workload: w, Rounds: s.cfg.Rounds, Progress: s.cfg.Progress, Label: label})
	if err != nil {
		s.fail("aging: "+label, err)
		return
	}
	rep.Comparison = c
	s.logf("%s: %.1f obj/s aged, %.1f obj/s fresh, ratio %.3f", label, c.Target.Total.OpsPerSec, c.Baseline.Total.OpsPerSec, c.Ratios.OpsPerSec)
	for i, rss := range []*int64{&rep.RSSAged, &rep.RSSFresh} {
		if *rss, err = CurrentRSS(gs[i].PID()); err != nil {
			s.fail("aging: RSS", err)
		}
	}
}

// agingTargets is the aged-gateway figure.
func agingTargets(a *AgingReport) []Target {
	if a == nil {
		return nil
	}
	name := "PUT 8MiB c8 on a gateway aged by 1 MiB PUTs / on a fresh one, ops/s"
	if a.Aging != nil {
		name = fmt.Sprintf("PUT 8MiB c8 on a gateway after %d PUTs of 1 MiB / on a fresh one, ops/s", opCount(a.Aging, OpPut))
	}
	return []Target{comparisonTarget(name, a.Comparison, agingTargetRatio, "not measured")}
}

// writeAging writes the aged-gateway section of BENCHMARKS.md.
func writeAging(b *strings.Builder, a *AgingReport) {
	fmt.Fprintf(b, "## A gateway that has served many PUTs against a fresh one\n\n")
	fmt.Fprintf(b, "Two gateways, each erasure 2+1 over its own three fs regions. The aged one first serves ")
	if a.Aging != nil {
		fmt.Fprintf(b, "%d PUTs of %s objects at concurrency %d, among %d GETs and %d DELETEs of objects it wrote (%.0f s, %d errors)",
			opCount(a.Aging, OpPut), FormatSize(a.Aging.Workload.Size), a.Aging.Workload.Concurrency, opCount(a.Aging, OpGet), opCount(a.Aging, OpDelete), a.Aging.ElapsedSec, a.Aging.Total.Errors)
	} else {
		fmt.Fprintf(b, "nothing (the aging run failed)")
	}
	fmt.Fprintf(b, "; then both run the same workload in interleaved rounds, the aged one as target. Every other figure runs on a gateway minutes old: what gets slower with what a process served shows here.\n\n")
	if a.Comparison != nil {
		writeComparisonTableVs(b, []*Comparison{a.Comparison}, "aged", "fresh")
	}
	if a.RSSAged > 0 && a.RSSFresh > 0 {
		fmt.Fprintf(b, "RSS after the comparison: aged %.1f MiB, fresh %.1f MiB.\n\n", float64(a.RSSAged)/(1<<20), float64(a.RSSFresh)/(1<<20))
	}
}
