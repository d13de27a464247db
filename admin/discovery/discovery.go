// Package discovery helps choose regions: a catalogue of S3 providers kept
// as data (providers.json: endpoint patterns and regions with their
// geography), latency measurement of endpoints over reused connections,
// and a proposal of k+m endpoints spread over failure domains.
//
//	cat := discovery.Catalogue()
//	eps := cat.Endpoints("wasabi", nil)          // every region of a provider
//	res := discovery.Measure(ctx, client, eps, 20) // p50/p95/p99, jitter
//	plan := discovery.Propose(res, 4, 2)          // distinct providers first, then geographies, then fastest
//
// Measuring sends unsigned HEAD requests to each endpoint's root: any
// HTTP answer (403 included) is a round trip; a transport error is a
// failed sample. The first request of each endpoint opens the connection
// and is not counted.
package discovery

import (
	"context"
	_ "embed"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

//go:embed providers.json
var providersJSON []byte

// Provider is one S3 provider of the catalogue.
type Provider struct {
	Name     string   `json:"name"`
	Title    string   `json:"title"`
	Endpoint string   `json:"endpoint"` // pattern: {region}, and {account} where Needs says so
	Needs    []string `json:"needs,omitempty"`
	Regions  []struct {
		ID  string `json:"id"`
		Geo string `json:"geo"`
	} `json:"regions"`
}

// Catalogue returns the providers of providers.json.
func Catalogue() []Provider {
	var c struct {
		Providers []Provider `json:"providers"`
	}
	if err := json.Unmarshal(providersJSON, &c); err != nil {
		panic("discovery: providers.json: " + err.Error()) // a test checks it
	}
	return c.Providers
}

// Endpoint is one place to measure.
type Endpoint struct {
	Provider string `json:"provider"`
	Region   string `json:"region"`
	Geo      string `json:"geo"`
	URL      string `json:"url"`
}

// Endpoints lists the endpoints of a provider's regions, its pattern
// filled with vars (such as "account"); nil when the provider is unknown.
func Endpoints(provider string, vars map[string]string) []Endpoint {
	for _, p := range Catalogue() {
		if p.Name != provider {
			continue
		}
		var out []Endpoint
		for _, r := range p.Regions {
			url := strings.ReplaceAll(p.Endpoint, "{region}", r.ID)
			for k, v := range vars {
				url = strings.ReplaceAll(url, "{"+k+"}", v)
			}
			out = append(out, Endpoint{Provider: p.Name, Region: r.ID, Geo: r.Geo, URL: url})
		}
		return out
	}
	return nil
}

// Result is the latency of one endpoint.
type Result struct {
	Endpoint
	Samples  int     `json:"samples"`
	Failed   int     `json:"failed"`
	P50MS    float64 `json:"p50_ms"`
	P95MS    float64 `json:"p95_ms"`
	P99MS    float64 `json:"p99_ms"`
	JitterMS float64 `json:"jitter_ms"` // standard deviation
	Error    string  `json:"error,omitempty"`
}

// Measure takes samples round trips to each endpoint (concurrently across
// endpoints, one after another on each, over one reused connection).
func Measure(ctx context.Context, client *http.Client, eps []Endpoint, samples int) []Result {
	out := make([]Result, len(eps))
	var wg sync.WaitGroup
	for i, ep := range eps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = measure(ctx, client, ep, samples)
		}()
	}
	wg.Wait()
	return out
}

func measure(ctx context.Context, client *http.Client, ep Endpoint, samples int) Result {
	res := Result{Endpoint: ep}
	var ds []float64
	for i := -1; i < samples; i++ { // i == -1: the warm-up opens the connection
		start := time.Now()
		err := roundTrip(ctx, client, ep.URL)
		took := float64(time.Since(start).Microseconds()) / 1000
		if i < 0 {
			continue
		}
		res.Samples++
		if err != nil {
			res.Failed++
			res.Error = err.Error()
			continue
		}
		ds = append(ds, took)
	}
	if len(ds) == 0 {
		return res
	}
	slices.Sort(ds)
	res.P50MS, res.P95MS, res.P99MS = quantile(ds, 0.50), quantile(ds, 0.95), quantile(ds, 0.99)
	var mean, sq float64
	for _, d := range ds {
		mean += d
	}
	mean /= float64(len(ds))
	for _, d := range ds {
		sq += (d - mean) * (d - mean)
	}
	res.JitterMS = math.Sqrt(sq / float64(len(ds)))
	return res
}

func roundTrip(ctx context.Context, client *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body) // drained, so that the connection is reused
	return resp.Body.Close()
}

// quantile of sorted values (nearest rank).
func quantile(sorted []float64, q float64) float64 {
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// Proposal is a set of k+m endpoints.
type Proposal struct {
	K        int      `json:"k"`
	M        int      `json:"m"`
	Regions  []Result `json:"regions"`
	Overhead float64  `json:"overhead"` // stored bytes per object byte: (k+m)/k
	// Providers and Geos count the distinct failure domains chosen.
	Providers int    `json:"providers"`
	Geos      int    `json:"geos"`
	Error     string `json:"error,omitempty"`
}

// Propose picks k+m of the reachable results: each pick is the one that
// adds a provider not chosen yet, else a geography not chosen yet, else
// the fastest (lowest p50) — so that losing one provider or one
// geography costs as few shards as it can.
func Propose(results []Result, k, m int) Proposal {
	p := Proposal{K: k, M: m}
	if k < 1 || m < 0 {
		p.Error = "k must be at least 1 and m at least 0"
		return p
	}
	p.Overhead = float64(k+m) / float64(k)
	var pool []Result
	for _, r := range results {
		if r.Samples > r.Failed {
			pool = append(pool, r)
		}
	}
	slices.SortStableFunc(pool, func(a, b Result) int {
		switch {
		case a.P50MS < b.P50MS:
			return -1
		case a.P50MS > b.P50MS:
			return 1
		}
		return 0
	})
	providers, geos := map[string]bool{}, map[string]bool{}
	for len(p.Regions) < k+m && len(pool) > 0 {
		best := 0
		score := func(r Result) int {
			s := 0
			if !providers[r.Provider] {
				s += 2
			}
			if !geos[r.Geo] {
				s++
			}
			return s
		}
		for i, r := range pool {
			if score(r) > score(pool[best]) {
				best = i
			}
		}
		r := pool[best]
		pool = slices.Delete(pool, best, best+1)
		providers[r.Provider], geos[r.Geo] = true, true
		p.Regions = append(p.Regions, r)
	}
	p.Providers, p.Geos = len(providers), len(geos)
	if len(p.Regions) < k+m {
		p.Error = "not enough reachable endpoints for k+m regions"
	}
	return p
}
