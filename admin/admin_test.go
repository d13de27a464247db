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

type fakeEngine struct {
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
	return []engine.RegionHealth{{Name: "a", Healthy: true, LatencyMS: 5}, {Name: "b", Healthy: false, LatencyMS: 2000, ErrorRate: 0.9}}
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
	if code, _ := get(t, s, "/nope"); code != http.StatusNotFound {
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

// TestPprofLoopbackOnly: profiles are served to loopback clients and refused to others.
func TestPprofLoopbackOnly(t *testing.T) {
	s := New(Config{Engine: fakeEngine{}})
	for _, tc := range []struct {
		remote string
		want   int
	}{{"127.0.0.1:5000", http.StatusOK}, {"[::1]:5000", http.StatusOK}, {"192.0.2.7:5000", http.StatusForbidden}} {
		r := httptest.NewRequest(http.MethodGet, "/debug/pprof/", nil)
		r.RemoteAddr = tc.remote
		r.Host = "127.0.0.1:9090"
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != tc.want {
			t.Errorf("pprof from %s: %d, want %d", tc.remote, w.Code, tc.want)
		}
	}
}

// TestRegionsAPI lists, adds and removes regions through the JSON API.
func TestRegionsAPI(t *testing.T) {
	s := New(Config{Engine: fakeEngine{}})
	do := func(method, path, body string) (int, string) {
		r := httptest.NewRequest(method, path, strings.NewReader(body))
		r.RemoteAddr = "127.0.0.1:4000"
		r.Host = "localhost:9090"
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		return w.Code, w.Body.String()
	}
	if code, body := do("GET", "/api/regions", ""); code != 200 || !strings.Contains(body, `"name":"x"`) || !strings.Contains(body, `"configured":true`) ||
		!strings.Contains(body, `"name":"a","type":"fs","path":"/data/a"`) {
		t.Fatalf("list: %d %s", code, body)
	}
	if code, body := do("PUT", "/api/regions/y", `{"type":"s3","endpoint":"http://127.0.0.1:9","access_key":"k","secret_key":"s3cret!!"}`); code != 200 {
		t.Fatalf("add: %d %s", code, body)
	}
	for _, tc := range []struct{ path, body, want string }{
		{"/api/regions/a", `{"type":"fs","path":"/tmp/x"}`, "configured"},
		{"/api/regions/y", `{"type":"ftp"}`, `type: \"ftp\" is not one of fs, s3`},
		{"/api/regions/y", `{"type":"s3","surprise":1}`, "unknown field"},
		{"/api/regions/y", `not json`, "region body"},
		{"/api/regions/..%2F..%2Fetc", `{"type":"fs","path":"/tmp/x"}`, "name: "},
		{"/api/regions/" + strings.Repeat("n", 300), `{"type":"fs","path":"/tmp/x"}`, "name: "},
		{"/api/regions/a%20b", `{"type":"fs","path":"/tmp/x"}`, "name: "},
		{"/api/regions/y", `{"type":"fs","path":"/tmp/x","endpoint":"http://127.0.0.1:9"}`, `endpoint: only for type \"s3\"`},
		{"/api/regions/y", `{"type":"s3","endpoint":"http://127.0.0.1:9","access_key":"k","secret_key":"s","path":"/tmp"}`, `path: only for type \"fs\"`},
		{"/api/regions/y", `{"type":"fs","path":"relative/dir"}`, "not an absolute path"},
		{"/api/regions/y", `{"name":"z","type":"fs","path":"/tmp/x"}`, "another region"},
	} {
		if code, body := do("PUT", tc.path, tc.body); code != 400 || !strings.Contains(body, tc.want) {
			t.Errorf("PUT %s %s: %d %s, want 400 with %q", tc.path, tc.body, code, body, tc.want)
		}
	}
	if code, body := do("DELETE", "/api/regions/y", ""); code != 200 {
		t.Fatalf("remove: %d %s", code, body)
	}
	for _, tc := range []struct{ remote, host string }{
		{"192.0.2.1:4000", "127.0.0.1:9090"},        // another machine
		{"127.0.0.1:4000", "attacker.example:9090"}, // DNS rebinding: a page of attacker.example resolved to 127.0.0.1
		{"127.0.0.1:4000", "localhost.attacker.example"},
		{"127.0.0.1:4000", "127.0.0.2.nip.io:9090"},
	} {
		r := httptest.NewRequest("GET", "/api/regions", nil)
		r.RemoteAddr, r.Host = tc.remote, tc.host
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != http.StatusForbidden {
			t.Errorf("regions API from %s with Host %s: %d, want 403", tc.remote, tc.host, w.Code)
		}
	}
	for _, host := range []string{"localhost", "LOCALHOST:9090", "127.0.0.1", "[::1]:9090", "gw.localhost:9090"} {
		r := httptest.NewRequest("GET", "/api/regions", nil)
		r.RemoteAddr, r.Host = "127.0.0.1:4000", host
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			t.Errorf("regions API with Host %s: %d, want 200", host, w.Code)
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
