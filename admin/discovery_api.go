package admin

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/prismd/prismd/admin/discovery"
	"github.com/prismd/prismd/engine"
)

// Region discovery (package discovery):
//
//	GET  /api/discovery/providers → the catalogue: [{"name", "title", "endpoint", "regions": [{"id", "geo"}]}]
//	POST /api/discovery/measure   ← {"provider": "wasabi", "vars": {"account": …}} or {"endpoints": [{"provider", "region", "geo", "url"}]},
//	                                 "samples": 10 → [{"url", "p50_ms", "p95_ms", "p99_ms", "jitter_ms", "failed", …}]
//	POST /api/discovery/propose   ← {"results": [...], "k": 4, "m": 2} → {"regions": [...], "overhead", "providers", "geos"}
//	POST /api/discovery/throughput ← {"endpoints": [{"provider", "region", "url"}], "access_key", "secret_key",
//	                                 "signing_region", "path_style", "size": 1048576}
//	                                 → [{"url", "bytes", "put_ms", "get_ms", "put_mib_s", "get_mib_s", "error"}]
//	POST /api/discovery/apply     ← {"regions": [{"name", "type": "s3", "endpoint", "region", "access_key", "secret_key", …}]}
//	                                 → {"added": ["name", …]}
//
// The throughput test uploads and downloads size random bytes (default 1
// MiB) to each endpoint in turn, with the given credentials, in a scratch
// bucket it removes (engine.MeasureThroughput); the signing region is the
// endpoint's catalogue region unless signing_region is given.
//
// Apply adds the chosen endpoints as regions in one step: each body is
// checked by the engine's region validation, the set must not store
// twice in one place nor name a region that exists, and every region must
// answer a connection test; only then are they added, in one step
// (engine.AddRegions). When anything is wrong nothing is added (400
// naming it). Secrets go in and never come back.

const (
	maxMeasureEndpoints = 64
	maxMeasureSamples   = 50
	measureBound        = time.Minute
)

func (s *Server) providers(r *http.Request) (any, error) { return discovery.Catalogue(), nil }

func (s *Server) measure(r *http.Request) (any, error) {
	var q struct {
		Provider  string               `json:"provider"`
		Vars      map[string]string    `json:"vars"`
		Endpoints []discovery.Endpoint `json:"endpoints"`
		Samples   int                  `json:"samples"`
	}
	if err := decode(r, &q); err != nil {
		return nil, err
	}
	eps := q.Endpoints
	if q.Provider != "" {
		if eps = discovery.Endpoints(q.Provider, q.Vars); eps == nil {
			return nil, fmt.Errorf("provider %q: not in the catalogue: %w", q.Provider, ErrInvalid)
		}
	}
	if len(eps) == 0 || len(eps) > maxMeasureEndpoints {
		return nil, fmt.Errorf("endpoints: 1 to %d: %w", maxMeasureEndpoints, ErrInvalid)
	}
	for _, ep := range eps {
		u, err := url.Parse(ep.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("endpoint %q: not an http(s) URL (fill the provider's vars): %w", ep.URL, ErrInvalid)
		}
	}
	if q.Samples == 0 {
		q.Samples = 10
	}
	if q.Samples < 1 || q.Samples > maxMeasureSamples {
		return nil, fmt.Errorf("samples: 1 to %d: %w", maxMeasureSamples, ErrInvalid)
	}
	ctx, cancel := context.WithTimeout(r.Context(), measureBound)
	defer cancel()
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 1, IdleConnTimeout: time.Minute}}
	defer client.CloseIdleConnections()
	return discovery.Measure(ctx, client, eps, q.Samples), nil
}

func (s *Server) propose(r *http.Request) (any, error) {
	var q struct {
		Results []discovery.Result `json:"results"`
		K       int                `json:"k"`
		M       int                `json:"m"`
	}
	if err := decode(r, &q); err != nil {
		return nil, err
	}
	p := discovery.Propose(q.Results, q.K, q.M)
	if q.K < 1 || q.M < 0 {
		return nil, fmt.Errorf("%s: %w", p.Error, ErrInvalid)
	}
	return p, nil
}

// maxThroughputEndpoints bounds one throughput request: they run one after another.
const maxThroughputEndpoints = 16

// throughputResult is one endpoint's throughput test.
type throughputResult struct {
	URL      string  `json:"url"`
	Provider string  `json:"provider,omitempty"`
	Region   string  `json:"region,omitempty"`
	Bytes    int64   `json:"bytes"`
	PutMS    float64 `json:"put_ms"`
	GetMS    float64 `json:"get_ms"`
	PutMiBs  float64 `json:"put_mib_s"`
	GetMiBs  float64 `json:"get_mib_s"`
	Error    string  `json:"error,omitempty"`
}

func (s *Server) throughput(r *http.Request) (any, error) {
	var q struct {
		Endpoints     []discovery.Endpoint `json:"endpoints"`
		AccessKey     string               `json:"access_key"`
		SecretKey     string               `json:"secret_key"`
		SigningRegion string               `json:"signing_region"`
		PathStyle     bool                 `json:"path_style"`
		Size          int64                `json:"size"`
	}
	if err := decode(r, &q); err != nil {
		return nil, err
	}
	if len(q.Endpoints) == 0 || len(q.Endpoints) > maxThroughputEndpoints {
		return nil, fmt.Errorf("endpoints: 1 to %d: %w", maxThroughputEndpoints, ErrInvalid)
	}
	if q.AccessKey == "" || q.SecretKey == "" {
		return nil, fmt.Errorf("access_key and secret_key: the throughput test needs credentials: %w", ErrInvalid)
	}
	if q.Size == 0 {
		q.Size = 1 << 20
	}
	if q.Size < 1 || q.Size > engine.MaxThroughputSize {
		return nil, fmt.Errorf("size: 1 to %d bytes: %w", engine.MaxThroughputSize, ErrInvalid)
	}
	var specs []engine.RegionSpec
	for i, ep := range q.Endpoints {
		spec := engine.RegionSpec{Name: fmt.Sprintf("probe-%d", i), Type: "s3", Endpoint: ep.URL, SigningRegion: cmp.Or(q.SigningRegion, ep.Region),
			AccessKey: q.AccessKey, SecretKey: q.SecretKey, PathStyle: q.PathStyle}
		if err := spec.Validate(); err != nil {
			return nil, fmt.Errorf("endpoints[%d] %q: %w", i, ep.URL, err)
		}
		specs = append(specs, spec)
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*measureBound)
	defer cancel()
	out := []throughputResult{}
	for i, spec := range specs {
		ep := q.Endpoints[i]
		res := throughputResult{URL: ep.URL, Provider: ep.Provider, Region: ep.Region, Bytes: q.Size}
		tp, err := s.cfg.Engine.MeasureThroughput(ctx, spec, q.Size)
		if err != nil {
			res.Error = err.Error()
		} else {
			res.PutMS, res.GetMS = ms(tp.Put), ms(tp.Get)
			res.PutMiBs, res.GetMiBs = mibPerSecond(tp.Bytes, tp.Put), mibPerSecond(tp.Bytes, tp.Get)
		}
		out = append(out, res)
	}
	return out, nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func mibPerSecond(n int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / (1 << 20) / d.Seconds()
}

// maxApplyRegions bounds one apply: a k+m set.
const maxApplyRegions = 32

func (s *Server) applyProposal(r *http.Request) (any, error) {
	var q struct {
		Regions []regionBody `json:"regions"`
	}
	if err := decode(r, &q); err != nil {
		return nil, err
	}
	if len(q.Regions) == 0 || len(q.Regions) > maxApplyRegions {
		return nil, fmt.Errorf("regions: 1 to %d: %w", maxApplyRegions, ErrInvalid)
	}
	var add []engine.RegionSpec
	for i, b := range q.Regions {
		spec := b.spec(b.Name)
		if spec.Type == "" {
			spec.Type = "s3"
		}
		if err := spec.Validate(); err != nil {
			return nil, fmt.Errorf("regions[%d] %q: %w; nothing added", i, b.Name, err)
		}
		add = append(add, spec)
	}
	ctx, cancel := context.WithTimeout(r.Context(), measureBound)
	defer cancel()
	failed := make([]error, len(add))
	var wg sync.WaitGroup
	for i, spec := range add {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, failed[i] = s.cfg.Engine.TestRegion(ctx, spec)
		}()
	}
	wg.Wait()
	if err := errors.Join(failed...); err != nil {
		return nil, fmt.Errorf("connection test: %v; nothing added: %w", err, ErrInvalid)
	}
	if err := s.cfg.Engine.AddRegions(r.Context(), add); err != nil {
		return nil, fmt.Errorf("%w; nothing added", err)
	}
	added := []string{}
	for _, spec := range add {
		added = append(added, spec.Name)
	}
	return map[string]any{"added": added}, nil
}
