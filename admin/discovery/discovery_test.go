package discovery

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestCatalogue(t *testing.T) {
	names := map[string]bool{}
	for _, p := range Catalogue() {
		names[p.Name] = true
		if !strings.HasPrefix(p.Endpoint, "https://") || len(p.Regions) == 0 {
			t.Errorf("%s: %+v", p.Name, p)
		}
		for _, r := range p.Regions {
			if r.ID == "" || r.Geo == "" {
				t.Errorf("%s: region %+v", p.Name, r)
			}
		}
	}
	for _, want := range []string{"aws", "wasabi", "b2", "r2", "scaleway", "ovh", "do", "idrive"} {
		if !names[want] {
			t.Errorf("no provider %s", want)
		}
	}
	eps := Endpoints("r2", map[string]string{"account": "acct"})
	if len(eps) != 1 || eps[0].URL != "https://acct.r2.cloudflarestorage.com" {
		t.Errorf("r2: %+v", eps)
	}
	if eps := Endpoints("wasabi", nil); len(eps) < 3 || eps[0].URL != "https://s3.us-east-1.wasabisys.com" {
		t.Errorf("wasabi: %+v", eps)
	}
	if Endpoints("nope", nil) != nil {
		t.Error("unknown provider")
	}
}

// server answers every request, after delay, and counts the connections opened.
func server(t *testing.T, delay time.Duration) (*httptest.Server, *atomic.Int64) {
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(delay)
		w.WriteHeader(http.StatusForbidden) // an S3 endpoint refuses an unsigned request: still a round trip
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &conns
}

// TestMeasure: samples over one reused connection per endpoint; a delayed
// endpoint measures at least its delay; an unreachable one fails.
func TestMeasure(t *testing.T) {
	fast, fastConns := server(t, 0)
	slow, slowConns := server(t, 50*time.Millisecond)
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	eps := []Endpoint{{Provider: "a", URL: fast.URL}, {Provider: "b", URL: slow.URL}, {Provider: "c", URL: deadURL}}
	res := Measure(context.Background(), &http.Client{Timeout: 10 * time.Second}, eps, 5)
	if res[0].Samples != 5 || res[0].Failed != 0 || fastConns.Load() != 1 || slowConns.Load() != 1 {
		t.Errorf("fast: %+v, connections %d and %d", res[0], fastConns.Load(), slowConns.Load())
	}
	if res[1].P50MS < 50 || res[1].P99MS < res[1].P50MS || res[1].P95MS < res[1].P50MS {
		t.Errorf("slow: %+v", res[1])
	}
	if res[2].Failed != 5 || res[2].Error == "" {
		t.Errorf("dead: %+v", res[2])
	}
}

// TestPropose: distinct providers first, then geographies, then speed;
// unreachable endpoints are never chosen.
func TestPropose(t *testing.T) {
	r := func(provider, geo string, p50 float64) Result {
		return Result{Endpoint: Endpoint{Provider: provider, Geo: geo, Region: provider + "-" + geo}, Samples: 5, P50MS: p50}
	}
	down := r("z", "mars", 1)
	down.Failed = 5
	results := []Result{r("aws", "us", 10), r("aws", "eu", 12), r("wasabi", "us", 30), r("b2", "eu", 40), r("aws", "ap", 5), down}
	p := Propose(results, 2, 1)
	var got []string
	for _, x := range p.Regions {
		got = append(got, x.Region)
	}
	if strings.Join(got, ",") != "aws-ap,wasabi-us,b2-eu" || p.Providers != 3 || p.Geos != 3 || p.Overhead != 1.5 || p.Error != "" {
		t.Errorf("proposal %v %+v", got, p)
	}
	if p := Propose(results, 4, 2); p.Error == "" || len(p.Regions) != 5 {
		t.Errorf("too few: %+v", p)
	}
	if p := Propose(results, 0, 1); p.Error == "" {
		t.Error("k=0 accepted")
	}
}
