package admin

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/prismd/prismd/admin/discovery"
)

// Region discovery (package discovery):
//
//	GET  /api/discovery/providers → the catalogue: [{"name", "title", "endpoint", "regions": [{"id", "geo"}]}]
//	POST /api/discovery/measure   ← {"provider": "wasabi", "vars": {"account": …}} or {"endpoints": [{"provider", "region", "geo", "url"}]},
//	                                 "samples": 10 → [{"url", "p50_ms", "p95_ms", "p99_ms", "jitter_ms", "failed", …}]
//	POST /api/discovery/propose   ← {"results": [...], "k": 4, "m": 2} → {"regions": [...], "overhead", "providers", "geos"}
//
// The chosen endpoints become regions with PUT /api/regions/{name}.

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
