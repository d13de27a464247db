package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"time"
)

// WANRoundTrips are the round trips the WAN set adds in front of region-1,
// -2 and -3 (each Shaper delays every byte by half of it each way).
var WANRoundTrips = []time.Duration{20 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond}

// WANStarvedBandwidth is the per-connection bandwidth of the far region in
// the starved variant.
const WANStarvedBandwidth = 1 << 20

// WANReport is prismd over three regions made distant by Shapers against
// the ideal of a 2+1 gateway, the second-nearest region (50 ms) talked to
// directly through its Shaper: a PUT is done when k shards landed, a GET
// needs k shards. Starved is the same with the far region also limited to
// WANStarvedBandwidth per connection.
type WANReport struct {
	Config  string        `json:"config"`
	Normal  []*Comparison `json:"normal"`
	Starved []*Comparison `json:"starved"`
}

// wanWorkloads are the standard workloads at concurrency 8; with oneAtATime,
// also PUT and GET of 8 MiB one at a time, where the CPUs this machine's
// gateway, regions and client share do not limit either side, so that the
// ratio shows the WAN path itself.
func wanWorkloads(oneAtATime bool) []Workload {
	ws := standardWorkloads()
	for i := range ws {
		ws[i].Concurrency = 8
	}
	if oneAtATime {
		for _, w := range standardWorkloads() {
			if w.Size == 8<<20 {
				w.Concurrency = 1
				ws = append(ws, w)
			}
		}
	}
	return ws
}

// wanSet runs the WAN comparisons, normal then starved.
func (s *standard) wanSet(ctx context.Context) {
	rep := &WANReport{}
	s.rep.WAN = rep
	for _, starved := range []bool{false, true} {
		var shapers []*Shaper
		var urls []string
		stop := func() {
			for _, sh := range shapers {
				sh.Close()
			}
		}
		ok := true
		for i, r := range s.regions {
			var bw int64
			if starved && i == len(s.regions)-1 {
				bw = WANStarvedBandwidth
			}
			sh, err := StartShaper(hostPort(r.Endpoint), WANRoundTrips[i]/2, bw)
			if err != nil {
				s.fail("wan", err)
				ok = false
				break
			}
			shapers = append(shapers, sh)
			urls = append(urls, "http://"+sh.Addr)
		}
		if !ok {
			stop()
			return
		}
		name := "gateway-wan"
		if starved {
			name += "-starved"
		}
		if !starved {
			rep.Config = s.gatewayConfigAt("erasure", urls, true)
		}
		g, err := StartGateway(ctx, s.cfg.PrismdBin, filepath.Join(s.cfg.WorkDir, name), s.gatewayConfigAt("erasure", urls, false), gatewayAccessKey, gatewaySecretKey)
		if err != nil {
			stop()
			s.fail(name, err)
			return
		}
		ideal := s.regions[1]
		procs := []ServerProcess{{Role: RoleGateway, PID: g.PID()}}
		for _, r := range s.regions {
			procs = append(procs, ServerProcess{Role: RoleRegion, PID: r.PID()})
		}
		for _, w := range wanWorkloads(!starved) {
			w.Duration = s.cfg.RoundDuration * time.Duration(s.cfg.Rounds)
			bucket := bucketName(name, w)
			target := Endpoint{Name: "prismd", URL: g.Endpoint, AccessKey: g.AccessKey, SecretKey: g.SecretKey, Bucket: bucket, Processes: procs}
			base := Endpoint{Name: "ideal", URL: urls[1], AccessKey: ideal.AccessKey, SecretKey: ideal.SecretKey, Bucket: "ideal-" + bucket,
				Processes: []ServerProcess{{Role: RoleRegion, PID: ideal.PID()}}}
			label := "wan " + w.String()
			if starved {
				label = "wan starved " + w.String()
			}
			c, err := Compare(ctx, Config{Target: target, Baseline: &base, Workload: w, Rounds: s.cfg.Rounds, Progress: s.cfg.Progress, Label: label})
			if err != nil {
				s.fail(label, err)
				continue
			}
			s.logf("%s: prismd %.1f MiB/s %.0f obj/s p99 %.0f ms, ideal %.1f MiB/s %.0f obj/s, ratio %.2f", label,
				c.Target.Total.MiBPerSec, c.Target.Total.OpsPerSec, c.Target.Total.P99ms, c.Baseline.Total.MiBPerSec, c.Baseline.Total.OpsPerSec, c.Ratios.OpsPerSec)
			if starved {
				rep.Starved = append(rep.Starved, c)
			} else {
				rep.Normal = append(rep.Normal, c)
			}
		}
		g.Stop(30 * time.Second)
		stop()
	}
}

// hostPort is the host:port of an http://host:port URL.
func hostPort(url string) string {
	for _, p := range []string{"http://", "https://"} {
		if len(url) > len(p) && url[:len(p)] == p {
			return url[len(p):]
		}
	}
	return url
}

// wanGoals are issue 15's goals for prismd / ideal over the WAN.
var wanGoals = []struct {
	op   Op
	size int64
	goal float64
}{{OpPut, 8 << 20, 0.8}, {OpGet, 8 << 20, 0.9}, {OpPut, 4 << 10, 0.9}, {OpGet, 4 << 10, 0.95}}

// wanTargets are the WAN figures: each ratio against its goal; starved,
// no ratio more than 10 % below its normal one and GET p99 at most 1.5 ×.
func wanTargets(rep *WANReport) []Target {
	if rep == nil {
		return nil
	}
	var ts []Target
	for _, g := range wanGoals {
		n, st := comparison(rep.Normal, g.op, g.size, 8), comparison(rep.Starved, g.op, g.size, 8)
		name := fmt.Sprintf("WAN: %s %s c8, prismd/ideal ops/s", g.op, FormatSize(g.size))
		switch {
		case n == nil:
			ts = append(ts, missing(name, fmt.Sprintf("≥ %v", g.goal), "not run"))
		case !n.Valid:
			t := atLeast(name, n.Ratios.OpsPerSec, "×", g.goal)
			t.Met, t.Missing = false, "invalid: "+n.Invalid
			ts = append(ts, t)
		default:
			ts = append(ts, atLeast(name, n.Ratios.OpsPerSec, "×", g.goal))
		}
		if n == nil || st == nil || !n.Valid || !st.Valid {
			continue
		}
		ts = append(ts, atLeast(fmt.Sprintf("WAN, far region at 1 MiB/s: %s %s c8, starved / normal prismd ops/s", g.op, FormatSize(g.size)),
			ratio(st.Target.Total.OpsPerSec, n.Target.Total.OpsPerSec), "×", 0.9))
		if g.op == OpGet {
			ts = append(ts, atMost(fmt.Sprintf("WAN, far region at 1 MiB/s: GET %s c8, starved / normal prismd p99", FormatSize(g.size)),
				ratio(st.Target.Total.P99ms, n.Target.Total.P99ms), "×", 1.5))
		}
	}
	return ts
}
