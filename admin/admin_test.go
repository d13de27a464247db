package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prismd/prismd/engine"
)

// fakeEngine answers the health and metrics questions; the rest of Engine
// (nil) is not called by the tests that use it.
type fakeEngine struct {
	Engine
	failure error
	scrub   func(context.Context, engine.ScrubOptions) (engine.ScrubSummary, error)
}

func (f fakeEngine) Scrub(ctx context.Context, opts engine.ScrubOptions) (engine.ScrubSummary, error) {
	if f.scrub == nil {
		return engine.ScrubSummary{Complete: true}, nil
	}
	return f.scrub(ctx, opts)
}

func (fakeEngine) ScrubStatus() engine.ScrubStatus {
	return engine.ScrubStatus{Enabled: true, Running: true, Bucket: "photos", Key: "cat.jpg", Objects: 40, TotalObjects: 100,
		LastQuick: time.Unix(1_700_000_000, 0), Last: &engine.ScrubSummary{Objects: 90, Missing: 2, Repaired: 2}}
}

func (fakeEngine) Health() []engine.RegionHealth {
	return []engine.RegionHealth{{Name: "a", Healthy: true, LatencyMS: 5}, {Name: "b", Healthy: false, LatencyMS: 2000, ReadMiBps: 1.5, ErrorRate: 0.9}}
}
func (fakeEngine) Pending() (int, int) { return 7, 3 }
func (fakeEngine) Regions() []engine.RegionInfo {
	return []engine.RegionInfo{{RegionSpec: engine.RegionSpec{Name: "a", Type: "fs", Path: "/data/a"}, Configured: true},
		{RegionSpec: engine.RegionSpec{Name: "x", Type: "s3", Endpoint: "http://127.0.0.1:1", AccessKey: "k"}}}
}
func (fakeEngine) AddRegion(_ context.Context, spec engine.RegionSpec) error {
	if err := spec.Validate(); err != nil {
		return err
	}
	if spec.Name == "a" {
		return fmt.Errorf("region a is configured: %w", engine.ErrInvalidArgument)
	}
	return nil
}
func (f fakeEngine) Failure() error { return f.failure }
func (fakeEngine) Shipping() []engine.ShipStatus {
	return []engine.ShipStatus{{Region: "a", Shipped: 90, Snapshot: 50, LagEvents: 10, LagSeconds: 1.5}, {Region: "b", Error: "region down"}}
}
func (fakeEngine) RemoveRegion(context.Context, string) error { return nil }
func (fakeEngine) Usage() map[string]engine.RegionUsage {
	return map[string]engine.RegionUsage{"a": {Shards: 10, Bytes: 4096, Pending: 2, Purges: 1}}
}

func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	body, _ := io.ReadAll(rec.Result().Body)
	return rec.Code, string(body)
}

func TestHealth(t *testing.T) {
	s := New(Config{Engine: fakeEngine{}, Version: "v1.2.3"})
	if code, _ := get(t, s, "/health"); code != http.StatusServiceUnavailable {
		t.Errorf("before ready: %d, want 503", code)
	}
	s.SetReady(true)
	code, body := get(t, s, "/health")
	if code != http.StatusOK {
		t.Fatalf("ready: %d %s", code, body)
	}
	var h healthBody
	if err := json.Unmarshal([]byte(body), &h); err != nil {
		t.Fatal(err)
	}
	if h.Status != "serving" || h.Version != "v1.2.3" || len(h.Regions) != 2 || h.Regions[1].Healthy || h.Pending.Shards != 7 ||
		len(h.Shipping) != 2 || h.Shipping[0].LagEvents != 10 || h.Shipping[1].Error != "region down" ||
		!h.Scrub.Running || h.Scrub.Key != "cat.jpg" || h.Scrub.LastQuick != "2023-11-14T22:13:20Z" || h.Scrub.Last.Repaired != 2 {
		t.Errorf("body = %+v", h)
	}
	s.SetReady(false)
	if code, _ := get(t, s, "/health"); code != http.StatusServiceUnavailable {
		t.Errorf("draining: %d, want 503", code)
	}
	if code, _ := get(t, s, "/nope"); code == http.StatusOK {
		t.Errorf("unknown path: %d", code)
	}
}

func TestMetrics(t *testing.T) {
	s := New(Config{Engine: fakeEngine{}, Version: "v1.2.3"})
	s.SetReady(true)
	h := s.InstrumentS3(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNotFound) }))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/bucket/key", nil))
	code, body := get(t, s, "/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d", code)
	}
	for _, want := range []string{
		`prismd_build_info{version="v1.2.3"} 1`,
		`prismd_up 1`,
		`prismd_pending_shards 7`,
		`prismd_pending_purges 3`,
		`prismd_region_healthy{region="a"} 1`,
		`prismd_region_healthy{region="b"} 0`,
		`prismd_region_latency_seconds{region="b"} 2`,
		`prismd_region_read_bytes_per_second{region="b"} 1.572864e+06`,
		`prismd_region_read_bytes_per_second{region="a"} 0`,
		`prismd_region_error_rate{region="b"} 0.9`,
		`prismd_region_shards{region="a"} 10`,
		`prismd_region_bytes{region="a"} 4096`,
		`prismd_region_pending_shards{region="a"} 2`,
		`prismd_region_pending_purges{region="a"} 1`,
		`prismd_s3_requests_total{code="404",method="get"} 1`,
		`prismd_ship_lag_events{region="a"} 10`,
		`prismd_ship_lag_seconds{region="a"} 1.5`,
		`prismd_ship_snapshot_index{region="a"} 50`,
		`prismd_ship_failing{region="b"} 1`,
		`prismd_s3_request_duration_seconds_count{method="get"} 1`,
		`prismd_scrub_running{kind="background"} 1`,
		`prismd_scrub_running{kind="manual"} 0`,
		`prismd_scrub_position_objects 40`,
		`prismd_scrub_last_completion_timestamp_seconds{mode="quick"} 1.7e+09`,
		`prismd_scrub_last{count="missing"} 2`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// TestHealthAfterLogFailure: once the log failed, /health answers 503 with
// the reason and what to do, and prismd_up is 0, so that a load balancer
// stops sending requests that can only fail.
func TestHealthAfterLogFailure(t *testing.T) {
	cause := fmt.Errorf("log: failed: fsync records 10-12: %w", errors.New("no space left on device"))
	s := New(Config{Engine: fakeEngine{failure: cause}, Version: "v1"})
	s.SetReady(true)
	code, body := get(t, s, "/health")
	var h healthBody
	if err := json.Unmarshal([]byte(body), &h); err != nil {
		t.Fatal(err)
	}
	if code != http.StatusServiceUnavailable || h.Status != "failed" || !strings.Contains(h.Error, "no space left on device") || !strings.Contains(h.Action, "restart") {
		t.Fatalf("/health after a log failure: %d %+v", code, h)
	}
	if _, metrics := get(t, s, "/metrics"); !strings.Contains(metrics, "prismd_up 0") {
		t.Fatal("prismd_up is not 0 after a log failure")
	}
}
