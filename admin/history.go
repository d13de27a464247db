package admin

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// The charts' data: a ring buffer of samples over the last hour, taken
// every historyInterval (StartSampling), served by
//
//	GET /api/history → {"interval_seconds": 10, "samples": [{"time", "requests_per_second", "latency_ms": {region: ms}}]}

const (
	historyInterval = 10 * time.Second
	historySamples  = 360 // an hour
)

type sample struct {
	Time      time.Time          `json:"time"`
	Rate      float64            `json:"requests_per_second"`
	LatencyMS map[string]float64 `json:"latency_ms"`
}

type history struct {
	requests atomic.Int64 // S3 requests served, counted by InstrumentS3

	mu      sync.Mutex
	ring    []sample
	next    int
	last    int64
	lastAt  time.Time
	started bool
}

// StartSampling records a sample every historyInterval until ctx ends.
func (s *Server) StartSampling(ctx context.Context) {
	go func() {
		t := time.NewTicker(historyInterval)
		defer t.Stop()
		s.sample()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				s.sample()
			}
		}
	}()
}

// sample adds one sample to the ring.
func (s *Server) sample() {
	h := &s.history
	now := s.now()
	n := h.requests.Load()
	lat := map[string]float64{}
	for _, r := range s.cfg.Engine.Health() {
		lat[r.Name] = r.LatencyMS
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	sm := sample{Time: now, LatencyMS: lat}
	if h.started && now.After(h.lastAt) {
		sm.Rate = float64(n-h.last) / now.Sub(h.lastAt).Seconds()
	}
	h.started, h.last, h.lastAt = true, n, now
	if len(h.ring) < historySamples {
		h.ring = append(h.ring, sm)
		return
	}
	h.ring[h.next] = sm
	h.next = (h.next + 1) % historySamples
}

func (s *Server) historyAPI(r *http.Request) (any, error) {
	h := &s.history
	h.mu.Lock()
	out := append(append([]sample{}, h.ring[h.next:]...), h.ring[:h.next]...)
	h.mu.Unlock()
	return map[string]any{"interval_seconds": historyInterval.Seconds(), "samples": out}, nil
}
