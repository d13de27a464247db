package bench

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"text/tabwriter"
	"time"
)

// DefaultRounds is Config.Rounds' default: even, so that each side runs
// first in half of the rounds (roundOrder).
const DefaultRounds = 4

// Ratios are target/baseline figures of one Comparison. Above 1 means the
// target moved more data (MiB/s, ops/s) or took longer (latencies).
type Ratios struct {
	MiBPerSec float64 `json:"mib_per_s"`
	OpsPerSec float64 `json:"ops_per_s"`
	P50       float64 `json:"p50"`
	P99       float64 `json:"p99"`
	// CPUCeiling is the ops/s ratio the target would reach if its gateway
	// cost no CPU, on a machine whose CPUs the client, the gateway and the
	// regions share: baseline / (target − target's gateway) in total CPU
	// per operation. 0 unless the target measured a gateway process and
	// the baseline a region process.
	CPUCeiling float64 `json:"cpu_ceiling,omitempty"`
}

// Comparison is one workload run against a target and a baseline in
// alternating rounds.
type Comparison struct {
	Label    string  `json:"label"`
	Target   *Result `json:"target"`
	Baseline *Result `json:"baseline"`
	Ratios   Ratios  `json:"ratios"`
	// RoundRatios are the target/baseline ops/s of each round on its
	// own: their spread tells how far Ratios.OpsPerSec, which pools all
	// rounds, is from noise.
	RoundRatios []float64 `json:"round_ratios,omitempty"`
	// Valid is false when either side had an error or did nothing.
	Valid   bool   `json:"valid"`
	Invalid string `json:"invalid,omitempty"`
}

// Compare runs cfg.Workload against cfg.Target and cfg.Baseline (required)
// in cfg.Rounds alternating rounds — target, baseline, target, baseline, … —
// each of Workload.Duration/Rounds, so that both see the same machine
// state, and reports target/baseline ratios. Both endpoints are prepared
// first, untimed. Every round starts with the page cache written back
// (writeBack), so no round pays for what the one before left dirty.
func Compare(ctx context.Context, cfg Config) (*Comparison, error) {
	if cfg.Baseline == nil {
		return nil, fmt.Errorf("%w: Compare needs a Baseline endpoint", ErrInvalidConfig)
	}
	w, err := cfg.Workload.withDefaults()
	if err != nil {
		return nil, err
	}
	rounds := cfg.Rounds
	if rounds == 0 {
		rounds = DefaultRounds
	}
	if rounds < 1 || rounds > 100 {
		return nil, fmt.Errorf("%w: rounds %d is not between 1 and 100", ErrInvalidConfig, rounds)
	}
	var runners [2]*runner
	for i, e := range []Endpoint{cfg.Target, *cfg.Baseline} {
		if e, err = e.withDefaults(); err != nil {
			return nil, err
		}
		if runners[i], err = newRunner(e, w); err != nil {
			return nil, err
		}
		if err := runners[i].prepare(ctx); err != nil {
			return nil, err
		}
	}
	d := w.Duration / time.Duration(rounds)
	ops := max(w.Ops/int64(rounds), 1)
	lbl := label(cfg, w)
	var results [2]*Result
	var roundRatios []float64
	for round := 1; round <= rounds; round++ {
		var this [2]*Result
		// The order alternates (target first, then baseline first): the
		// side that runs first in a round measured a few percent slower
		// whichever it was, an offset that cancels over an even count.
		for _, i := range roundOrder(round) {
			r := runners[i]
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			p := newProgress(cfg.Progress, fmt.Sprintf("%s %s %d/%d", lbl, r.e.Name, round, rounds), d, ops)
			res := r.run(ctx, d, ops, p)
			this[i] = res
			if results[i] == nil {
				results[i] = res
			} else {
				results[i].absorb(res)
			}
		}
		roundRatios = append(roundRatios, ratio(this[0].opsPerSec(), this[1].opsPerSec()))
	}
	c := &Comparison{Label: lbl, Target: results[0], Baseline: results[1], RoundRatios: roundRatios}
	c.finish()
	return c, nil
}

// roundOrder is the order of the runners (0 target, 1 baseline) in a round.
func roundOrder(round int) [2]int {
	if round%2 == 0 {
		return [2]int{1, 0}
	}
	return [2]int{0, 1}
}

func (c *Comparison) finish() {
	c.Target.finish()
	c.Baseline.finish()
	t, b := c.Target.Total, c.Baseline.Total
	c.Ratios = Ratios{
		MiBPerSec:  ratio(t.MiBPerSec, b.MiBPerSec),
		OpsPerSec:  ratio(t.OpsPerSec, b.OpsPerSec),
		P50:        ratio(t.P50ms, b.P50ms),
		P99:        ratio(t.P99ms, b.P99ms),
		CPUCeiling: cpuCeiling(c.Target.CPU, c.Baseline.CPU),
	}
	c.Valid = c.Target.Valid && c.Baseline.Valid
	switch {
	case !c.Target.Valid:
		c.Invalid = c.Target.Endpoint + ": " + c.Target.Invalid
	case !c.Baseline.Valid:
		c.Invalid = c.Baseline.Endpoint + ": " + c.Baseline.Invalid
	}
}

// RoundSpread returns the lowest and the highest of RoundRatios, or
// ok false when fewer than two rounds ran.
func (c *Comparison) RoundSpread() (lo, hi float64, ok bool) {
	if len(c.RoundRatios) < 2 {
		return 0, 0, false
	}
	return slices.Min(c.RoundRatios), slices.Max(c.RoundRatios), true
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return math.Round(a/b*1000) / 1000
}

// WriteComparisons writes comparisons as an aligned text table: both
// sides' throughput and latencies and the target/baseline ratios.
func WriteComparisons(w io.Writer, cs ...*Comparison) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "workload\tendpoint\tops\tMiB/s\tobj/s\tp50 ms\tp90 ms\tp99 ms\terrors\tratio MiB/s\tratio obj/s\tratio p50\tratio p99\t")
	for _, c := range cs {
		for i, r := range []*Result{c.Target, c.Baseline} {
			s := r.Total
			ratios := "\t\t\t\t"
			if i == 0 {
				ratios = fmt.Sprintf("%.2f\t%.2f\t%.2f\t%.2f\t", c.Ratios.MiBPerSec, c.Ratios.OpsPerSec, c.Ratios.P50, c.Ratios.P99)
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%.1f\t%.1f\t%.2f\t%.2f\t%.2f\t%d\t%s\n",
				c.Label, r.Endpoint, s.Count, s.MiBPerSec, s.OpsPerSec, s.P50ms, s.P90ms, s.P99ms, s.Errors, ratios)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, c := range cs {
		if c.Target.CPU == nil || c.Baseline.CPU == nil {
			continue
		}
		fmt.Fprintf(w, "cpu %s: %s %s, %s %s", c.Label, c.Target.Endpoint, cpuSummary(c.Target.CPU), c.Baseline.Endpoint, cpuSummary(c.Baseline.CPU))
		if c.Ratios.CPUCeiling > 0 {
			fmt.Fprintf(w, ", ceiling %.2f", c.Ratios.CPUCeiling)
		}
		fmt.Fprintln(w)
	}
	for _, c := range cs {
		if !c.Valid {
			fmt.Fprintf(w, "INVALID %s: %s\n", c.Label, c.Invalid)
			for _, r := range []*Result{c.Target, c.Baseline} {
				for _, e := range r.ErrorSamples {
					fmt.Fprintf(w, "  %s error: %s\n", r.Endpoint, e)
				}
			}
		}
	}
	return nil
}
