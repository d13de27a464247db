package bench_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prismd/prismd/backends/s3/s3test"
	"github.com/prismd/prismd/bench"
)

func endpoint(s *s3test.Server, name, bucket string) bench.Endpoint {
	return bench.Endpoint{Name: name, URL: s.Endpoint(), AccessKey: s.AccessKey(), SecretKey: s.SecretKey(), Bucket: bucket}
}

// checkResult asserts what any valid result must satisfy; no timings.
func checkResult(t *testing.T, r *bench.Result) {
	t.Helper()
	if !r.Valid || r.Invalid != "" {
		t.Fatalf("%s: result invalid: %s %v", r.Endpoint, r.Invalid, r.ErrorSamples)
	}
	if r.Total.Count == 0 || r.Total.Errors != 0 {
		t.Fatalf("%s: %d ops, %d errors", r.Endpoint, r.Total.Count, r.Total.Errors)
	}
	for _, s := range append(r.Ops, r.Total) {
		if !(0 < s.P50ms && s.P50ms <= s.P90ms && s.P90ms <= s.P99ms && s.P99ms <= s.Maxms) {
			t.Errorf("%s %s: percentiles out of order: p50 %v p90 %v p99 %v max %v", r.Endpoint, s.Op, s.P50ms, s.P90ms, s.P99ms, s.Maxms)
		}
		if s.OpsPerSec <= 0 || s.Items == 0 {
			t.Errorf("%s %s: ops/s %v items %d", r.Endpoint, s.Op, s.OpsPerSec, s.Items)
		}
	}
}

func TestRunWorkloads(t *testing.T) {
	srv := s3test.StartVersity(t, t.TempDir())
	ctx := context.Background()
	for _, w := range []bench.Workload{
		{Op: bench.OpPut, Size: 4 << 10, Concurrency: 4, Ops: 50},
		{Op: bench.OpGet, Size: 64 << 10, Concurrency: 2, Duration: 500 * time.Millisecond, Objects: 8},
		{Op: bench.OpMixed, Size: 1 << 10, MaxSize: 32 << 10, GetRatio: 0.5, Concurrency: 3, Ops: 40, Objects: 8},
		{Op: bench.OpMixed, Size: 1 << 10, MaxSize: 32 << 10, GetRatio: 0.4, DeleteRatio: 0.3, Concurrency: 3, Ops: 60, Objects: 8},
		{Op: bench.OpList, Size: 1, Concurrency: 2, Ops: 10, Objects: 20, ListMaxKeys: 5},
	} {
		bucket := "bench-" + string(w.Op)
		if w.DeleteRatio > 0 {
			bucket += "-delete"
		}
		t.Run(bucket, func(t *testing.T) {
			r, err := bench.Run(ctx, bench.Config{Target: endpoint(srv, "direct", bucket), Workload: w})
			if err != nil {
				t.Fatal(err)
			}
			checkResult(t, r)
			switch w.Op {
			case bench.OpPut, bench.OpGet:
				if r.Total.Bytes != r.Total.Count*w.Size {
					t.Errorf("bytes %d, want %d ops × %d", r.Total.Bytes, r.Total.Count, w.Size)
				}
			case bench.OpMixed:
				if w.DeleteRatio > 0 {
					if r.Total.Count != 60 || len(r.Ops) != 3 || r.Ops[2].Op != "delete" {
						t.Errorf("mixed with deletes: %d ops in %+v, want 60 in put, get and delete", r.Total.Count, r.Ops)
					}
					break
				}
				if r.Total.Count != 40 || len(r.Ops) != 2 {
					t.Errorf("mixed: %d ops in %d kinds, want 40 in put and get", r.Total.Count, len(r.Ops))
				}
				if r.Total.Bytes < 40<<10 || r.Total.Bytes > 40*32<<10 {
					t.Errorf("mixed: %d bytes outside the size range", r.Total.Bytes)
				}
			case bench.OpList:
				if r.Total.Count != 10 || r.Total.Items == 0 || r.Total.Items > 50 {
					t.Errorf("list: %d pages of %d keys, want 10 of at most 5 each", r.Total.Count, r.Total.Items)
				}
			}

			data, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			var back bench.Result
			if err := json.Unmarshal(data, &back); err != nil {
				t.Fatal(err)
			}
			again, _ := json.Marshal(&back)
			if !bytes.Equal(data, again) {
				t.Errorf("JSON does not round-trip:\n%s\n%s", data, again)
			}
			var table strings.Builder
			if err := bench.WriteTable(&table, r); err != nil || !strings.Contains(table.String(), "p99 ms") || strings.Contains(table.String(), "INVALID") {
				t.Errorf("table: %v\n%s", err, table.String())
			}
		})
	}
}

func TestCompareInterleaves(t *testing.T) {
	a := s3test.StartVersity(t, t.TempDir())
	b := s3test.StartVersity(t, t.TempDir())
	target, base := endpoint(a, "a", "cmp"), endpoint(b, "b", "cmp")
	target.Processes = []bench.ServerProcess{{Role: bench.RoleRegion, PID: a.PID()}}
	base.Processes = []bench.ServerProcess{{Role: bench.RoleRegion, PID: b.PID()}}
	c, err := bench.Compare(context.Background(), bench.Config{
		Target:   target,
		Baseline: &base,
		Workload: bench.Workload{Op: bench.OpGet, Size: 8 << 10, Concurrency: 2, Duration: 600 * time.Millisecond, Objects: 4},
		Rounds:   3,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !c.Valid {
		t.Fatalf("invalid: %s", c.Invalid)
	}
	for _, r := range []*bench.Result{c.Target, c.Baseline} {
		checkResult(t, r)
		if r.Rounds != 3 {
			t.Errorf("%s: %d rounds, want 3", r.Endpoint, r.Rounds)
		}
	}
	if c.Ratios.MiBPerSec <= 0 || c.Ratios.OpsPerSec <= 0 || c.Ratios.P50 <= 0 {
		t.Errorf("ratios %+v", c.Ratios)
	}
	// Each round's ratio is its own; the pooled ratio, a weighted mean of
	// them, lies within their spread (rounding aside).
	lo, hi, ok := c.RoundSpread()
	if len(c.RoundRatios) != 3 || !ok || lo <= 0 || c.Ratios.OpsPerSec < lo*0.99 || c.Ratios.OpsPerSec > hi*1.01 {
		t.Errorf("round ratios %v (spread %v–%v), pooled %v", c.RoundRatios, lo, hi, c.Ratios.OpsPerSec)
	}
	for _, r := range []*bench.Result{c.Target, c.Baseline} {
		if runtime.GOOS != "linux" {
			if r.CPU != nil {
				t.Errorf("%s: CPU %+v off Linux", r.Endpoint, r.CPU)
			}
			continue
		}
		if r.CPU == nil {
			t.Fatalf("%s: no CPU figures", r.Endpoint)
		}
		s, m := r.CPU.Seconds, r.CPU.MsPerOp
		if s.Client <= 0 || s.Gateway != 0 || s.Regions < 0 || s.Total != s.Client+s.Regions || m.Client <= 0 || m.Total < m.Client {
			t.Errorf("%s: CPU %+v", r.Endpoint, r.CPU)
		}
	}
	if c.Ratios.CPUCeiling != 0 {
		t.Errorf("ceiling %v without a gateway", c.Ratios.CPUCeiling)
	}
	data, _ := json.Marshal(c)
	var back bench.Comparison
	if err := json.Unmarshal(data, &back); err != nil || back.Ratios != c.Ratios || back.Target.Total != c.Target.Total || !slices.Equal(back.RoundRatios, c.RoundRatios) {
		t.Errorf("JSON does not round-trip: %v", err)
	}
}

func TestErrorsAreCounted(t *testing.T) {
	srv := s3test.StartVersity(t, t.TempDir())
	ctx := context.Background()
	good := endpoint(srv, "good", "errs")
	// The bucket exists, so only the workload's own requests can fail.
	if err := bench.Prepare(ctx, good, bench.Workload{Op: bench.OpPut}); err != nil {
		t.Fatal(err)
	}
	bad := good
	bad.Name, bad.SecretKey = "bad", "wrong-secret"
	r, err := bench.Run(ctx, bench.Config{Target: bad, Workload: bench.Workload{Op: bench.OpPut, Size: 1 << 10, Concurrency: 2, Ops: 12}})
	if err != nil {
		t.Fatalf("a PUT workload with a wrong secret must run and count its errors: %v", err)
	}
	if r.Valid || r.Invalid == "" || r.Total.Errors != 12 || r.Total.Count != 0 || len(r.ErrorSamples) == 0 {
		t.Fatalf("wrong secret: valid=%v errors=%d ok=%d samples=%v", r.Valid, r.Total.Errors, r.Total.Count, r.ErrorSamples)
	}
	var table strings.Builder
	bench.WriteTable(&table, r)
	if !strings.Contains(table.String(), "INVALID") {
		t.Errorf("table does not say the result is invalid:\n%s", table.String())
	}
	// A GET workload cannot even prepare its objects.
	_, err = bench.Run(ctx, bench.Config{Target: bad, Workload: bench.Workload{Op: bench.OpGet, Ops: 4}})
	if !errors.Is(err, bench.ErrPrepare) {
		t.Fatalf("GET with a wrong secret: %v, want ErrPrepare", err)
	}
	// A wrong endpoint: connection refused on every op.
	down := good
	down.Name, down.URL = "down", "http://127.0.0.1:1"
	r, err = bench.Run(ctx, bench.Config{Target: down, Workload: bench.Workload{Op: bench.OpPut, Size: 1 << 10, Ops: 5}})
	if err != nil || r.Valid || r.Total.Errors != 5 {
		t.Fatalf("wrong endpoint: err=%v valid=%v errors=%d", err, r != nil && r.Valid, r.Total.Errors)
	}
}

func TestConfigBounds(t *testing.T) {
	e := bench.Endpoint{URL: "http://127.0.0.1:1", AccessKey: "a", SecretKey: "s", Bucket: "b"}
	for _, w := range []bench.Workload{
		{Op: "delete"},
		{Duration: bench.MaxDuration + time.Second},
		{Ops: bench.MaxOps + 1},
		{Concurrency: bench.MaxConcurrency + 1},
		{Size: 10, MaxSize: 5},
		{GetRatio: 1.5},
	} {
		if _, err := bench.Run(context.Background(), bench.Config{Target: e, Workload: w}); !errors.Is(err, bench.ErrInvalidConfig) {
			t.Errorf("%+v: %v, want ErrInvalidConfig", w, err)
		}
	}
	for _, p := range []bench.ServerProcess{{Role: "proxy", PID: 1}, {Role: bench.RoleGateway}} {
		bad := e
		bad.Processes = []bench.ServerProcess{p}
		if _, err := bench.Run(context.Background(), bench.Config{Target: bad}); !errors.Is(err, bench.ErrInvalidConfig) {
			t.Errorf("process %+v: %v, want ErrInvalidConfig", p, err)
		}
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"4KiB": 4 << 10, "8MiB": 8 << 20, "256m": 256 << 20, "1GiB": 1 << 30, "100": 100, "0": 0} {
		if got, err := bench.ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "x", "-1", "1.5MiB", "4 KB extra"} {
		if _, err := bench.ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) accepted", in)
		}
	}
	if s := bench.FormatSize(8 << 20); s != "8MiB" {
		t.Errorf("FormatSize = %q", s)
	}
}
