package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"text/tabwriter"
	"time"
)

// OpStats are the figures of one kind of operation (or of all of them).
type OpStats struct {
	Op string `json:"op"`
	// Count is the operations that succeeded; Errors those that failed.
	Count  int64 `json:"count"`
	Errors int64 `json:"errors"`
	// Bytes is the object bytes sent (PUT) or received (GET).
	Bytes int64 `json:"bytes"`
	// Items is objects written or read, or keys listed (LIST).
	Items int64 `json:"items"`
	// MiBPerSec is Bytes per second of the run's elapsed time.
	MiBPerSec float64 `json:"mib_per_s"`
	// OpsPerSec is successful operations per second.
	OpsPerSec float64 `json:"ops_per_s"`
	// Latencies of successful operations, in milliseconds.
	P50ms  float64 `json:"p50_ms"`
	P90ms  float64 `json:"p90_ms"`
	P99ms  float64 `json:"p99_ms"`
	Maxms  float64 `json:"max_ms"`
	Meanms float64 `json:"mean_ms"`
}

// Result is the outcome of a workload against one endpoint, possibly over
// several rounds (then Elapsed is their sum).
type Result struct {
	Endpoint string   `json:"endpoint"`
	URL      string   `json:"url"`
	Workload Workload `json:"workload"`
	Rounds   int      `json:"rounds"`
	// ElapsedSec is the time the workload ran, summed over rounds.
	ElapsedSec float64 `json:"elapsed_s"`
	// Ops has one entry per kind of operation that ran; Total sums them.
	Ops   []OpStats `json:"ops"`
	Total OpStats   `json:"total"`
	// Valid is false when any operation failed, or none ran.
	Valid bool `json:"valid"`
	// Invalid says why the result is not valid.
	Invalid string `json:"invalid,omitempty"`
	// ErrorSamples are the first few error messages.
	ErrorSamples []string `json:"error_samples,omitempty"`
	// CPU is the CPU time the client and the endpoint's Processes spent
	// while the workload ran, summed over rounds; nil when it could not be
	// measured in every round (not Linux, a process gone).
	CPU *CPU `json:"cpu,omitempty"`

	elapsed time.Duration
	samples map[Op]*samples
	errs    []string
}

type samples struct {
	lat          []time.Duration
	errors       int64
	bytes, items int64
}

func newResult(e Endpoint, w Workload) *Result {
	return &Result{Endpoint: e.Name, URL: e.URL, Workload: w, Rounds: 1, samples: map[Op]*samples{}}
}

// recorder collects one worker's operations (no locking on the hot path
// except the progress counters, which are atomics).
type recorder struct {
	s    map[Op]*samples
	errs []string
	p    *progress
}

func newRecorder(p *progress) *recorder { return &recorder{s: map[Op]*samples{}, p: p} }

func (r *recorder) record(op Op, lat time.Duration, bytes, items int64, err error) {
	s := r.s[op]
	if s == nil {
		s = &samples{}
		r.s[op] = s
	}
	if err != nil {
		s.errors++
		if len(r.errs) < maxErrorSamples {
			r.errs = append(r.errs, fmt.Sprintf("%s: %v", op, err))
		}
		r.p.add(0, true)
		return
	}
	s.lat = append(s.lat, lat)
	s.bytes += bytes
	s.items += items
	r.p.add(bytes, false)
}

// merge adds samples by op and error samples (up to maxErrorSamples).
func (res *Result) merge(by map[Op]*samples, errs []string) {
	for op, s := range by {
		t := res.samples[op]
		if t == nil {
			t = &samples{}
			res.samples[op] = t
		}
		t.lat = append(t.lat, s.lat...)
		t.errors += s.errors
		t.bytes += s.bytes
		t.items += s.items
	}
	for _, e := range errs {
		if len(res.errs) < maxErrorSamples {
			res.errs = append(res.errs, e)
		}
	}
}

// absorb adds another round of the same workload against the same endpoint.
func (res *Result) absorb(o *Result) {
	res.merge(o.samples, o.errs)
	if res.CPU == nil || o.CPU == nil {
		res.CPU = nil
	} else {
		res.CPU.add(o.CPU)
	}
	res.elapsed += o.elapsed
	res.Rounds++
}

// opsPerSec is the operations per second of res's own rounds, before
// finish: what every OpStats.OpsPerSec counts, over all kinds.
func (res *Result) opsPerSec() float64 {
	sec := res.elapsed.Seconds()
	if sec <= 0 {
		return 0
	}
	var n int
	for _, s := range res.samples {
		n += len(s.lat)
	}
	return float64(n) / sec
}

// finish computes the exported figures from the samples.
func (res *Result) finish() {
	res.ElapsedSec = res.elapsed.Seconds()
	res.Ops = nil
	all := &samples{}
	for _, op := range []Op{OpPut, OpGet, OpDelete, OpList} {
		s := res.samples[op]
		if s == nil {
			continue
		}
		res.Ops = append(res.Ops, s.stats(string(op), res.elapsed))
		all.lat = append(all.lat, s.lat...)
		all.errors += s.errors
		all.bytes += s.bytes
		all.items += s.items
	}
	res.Total = all.stats("total", res.elapsed)
	if res.CPU != nil {
		res.CPU.finish(res.Total.Count + res.Total.Errors)
	}
	res.ErrorSamples = res.errs
	res.Valid, res.Invalid = true, ""
	switch {
	case res.Total.Errors > 0:
		res.Valid = false
		res.Invalid = fmt.Sprintf("%d of %d operations failed", res.Total.Errors, res.Total.Errors+res.Total.Count)
	case res.Total.Count == 0:
		res.Valid = false
		res.Invalid = "no operation completed"
	}
}

func (s *samples) stats(op string, elapsed time.Duration) OpStats {
	slices.Sort(s.lat)
	st := OpStats{Op: op, Count: int64(len(s.lat)), Errors: s.errors, Bytes: s.bytes, Items: s.items}
	if sec := elapsed.Seconds(); sec > 0 {
		st.MiBPerSec = float64(s.bytes) / (1 << 20) / sec
		st.OpsPerSec = float64(len(s.lat)) / sec
	}
	if len(s.lat) > 0 {
		var sum time.Duration
		for _, l := range s.lat {
			sum += l
		}
		st.P50ms = ms(percentile(s.lat, 0.50))
		st.P90ms = ms(percentile(s.lat, 0.90))
		st.P99ms = ms(percentile(s.lat, 0.99))
		st.Maxms = ms(s.lat[len(s.lat)-1])
		st.Meanms = ms(sum / time.Duration(len(s.lat)))
	}
	return st
}

// percentile returns the nearest-rank p-quantile of sorted (0 < p ≤ 1).
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/float64(time.Microsecond)) / 1000 }

// WriteJSON writes v (a Result, a Comparison, a Report) as indented JSON.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// WriteTable writes results as an aligned text table, a row per operation kind.
func WriteTable(w io.Writer, results ...*Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "endpoint\tworkload\top\tops\tMiB/s\tobj/s\tp50 ms\tp90 ms\tp99 ms\terrors\t")
	for _, r := range results {
		rows := r.Ops
		if len(rows) == 0 {
			rows = []OpStats{r.Total}
		}
		for _, s := range rows {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%.1f\t%.1f\t%.2f\t%.2f\t%.2f\t%d\t\n",
				r.Endpoint, r.Workload.String(), s.Op, s.Count, s.MiBPerSec, s.OpsPerSec, s.P50ms, s.P90ms, s.P99ms, s.Errors)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range results {
		if r.CPU != nil {
			fmt.Fprintf(w, "cpu %s (%s): %s\n", r.Endpoint, r.Workload.String(), cpuSummary(r.CPU))
		}
	}
	for _, r := range results {
		if !r.Valid {
			fmt.Fprintf(w, "INVALID %s (%s): %s\n", r.Endpoint, r.Workload.String(), r.Invalid)
			for _, e := range r.ErrorSamples {
				fmt.Fprintf(w, "  error: %s\n", e)
			}
		}
	}
	return nil
}
