package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prismd/prismd/engine"
)

// The scrub API runs a scrub in the server (what `prismd scrub` asks for)
// and streams its progress. It needs the bearer token (Config.Token):
//
//	POST   /api/scrub        ← ScrubRequest        → 202 {"id": 3}   (409 while one runs)
//	GET    /api/scrub?id=3   → newline-delimited JSON, flushed as it comes:
//	                           {"type":"progress", "objects":…, "total_objects":…, …}
//	                           …
//	                           {"type":"summary", "summary":{…}, "error":""}
//	DELETE /api/scrub?id=3   → stops it (its checkpoint keeps the position) → the summary line
//
// GET without id follows the scrub running now (or reports the last one).
// The stream ends with the summary line once the scrub ends; a stream that
// ends without one was cut off (the server stopped): the scrub continues
// from its checkpoint next time.

// ScrubRequest is the body of POST /api/scrub.
type ScrubRequest struct {
	Deep   bool   `json:"deep"`
	Bucket string `json:"bucket,omitempty"`
	Prefix string `json:"prefix,omitempty"`
	// Rate is the most shard bytes a second to read; 0: unlimited.
	Rate int64 `json:"rate,omitempty"`
	// OrphanGrace is a Go duration ("24h"); "" for the default.
	OrphanGrace string `json:"orphan_grace,omitempty"`
	DryRun      bool   `json:"dry_run,omitempty"`
}

// Options turns the request into the engine's options.
func (q ScrubRequest) Options() (engine.ScrubOptions, error) {
	o := engine.ScrubOptions{Deep: q.Deep, Bucket: q.Bucket, Prefix: q.Prefix, Rate: q.Rate, DryRun: q.DryRun}
	if q.Rate < 0 {
		return o, fmt.Errorf("rate %d: must not be negative", q.Rate)
	}
	if q.OrphanGrace != "" {
		d, err := time.ParseDuration(q.OrphanGrace)
		if err != nil || d <= 0 {
			return o, fmt.Errorf("orphan_grace %q: not a positive duration such as \"24h\"", q.OrphanGrace)
		}
		o.OrphanGrace = d
	}
	return o, nil
}

// ScrubEvent is one line of the GET /api/scrub stream.
type ScrubEvent struct {
	Type string `json:"type"` // "progress" or "summary"
	ID   int64  `json:"id"`
	// Progress, for "progress" lines.
	*engine.ScrubProgress
	// Summary and Error, for the "summary" line.
	Summary *engine.ScrubSummary `json:"summary,omitempty"`
	Error   string               `json:"error,omitempty"`
}

// scrubRun is one scrub the API started.
type scrubRun struct {
	id     int64
	cancel context.CancelFunc
	done   chan struct{}

	mu       sync.Mutex
	progress engine.ScrubProgress
	version  int64 // counts progress updates
	summary  engine.ScrubSummary
	err      error
}

func (r *scrubRun) update(p engine.ScrubProgress) {
	r.mu.Lock()
	r.progress = p
	r.version++
	r.mu.Unlock()
}

func (r *scrubRun) running() bool {
	select {
	case <-r.done:
		return false
	default:
		return true
	}
}

// result is the final line of a finished run.
func (r *scrubRun) result() ScrubEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	ev := ScrubEvent{Type: "summary", ID: r.id, Summary: &r.summary}
	if r.err != nil {
		ev.Error = r.err.Error()
	}
	return ev
}

// scrubs holds the scrub the API runs (or ran last).
type scrubs struct {
	mu   sync.Mutex
	next int64
	cur  *scrubRun
}

func (s *Server) startScrub(w http.ResponseWriter, r *http.Request) {
	var q ScrubRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&q); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "scrub body: " + err.Error()})
		return
	}
	opts, err := q.Options()
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	opts.Checkpoint = s.cfg.ScrubCheckpoint
	s.scrubs.mu.Lock()
	defer s.scrubs.mu.Unlock()
	if cur := s.scrubs.cur; cur != nil && cur.running() {
		writeJSON(w, http.StatusConflict, map[string]any{"error": engine.ErrScrubRunning.Error(), "id": cur.id})
		return
	}
	s.scrubs.next++
	ctx, cancel := context.WithCancel(context.Background())
	run := &scrubRun{id: s.scrubs.next, cancel: cancel, done: make(chan struct{})}
	opts.Progress = run.update
	s.scrubs.cur = run
	go func() {
		defer close(run.done)
		defer cancel()
		sum, err := s.cfg.Engine.Scrub(ctx, opts)
		run.mu.Lock()
		run.summary, run.err = sum, err
		run.mu.Unlock()
		s.cfg.Logger.Info("scrub ended", "id", run.id, "objects", sum.Objects, "missing", sum.Missing, "corrupt", sum.Corrupt,
			"repaired", sum.Repaired, "unrepairable", sum.Unrepairable, "orphans_purged", sum.OrphansPurged, "failed", sum.Failed, "err", err)
	}()
	writeJSON(w, http.StatusAccepted, map[string]int64{"id": run.id})
}

// last describes the scrub the API runs or ran last (nil: none yet).
func (sc *scrubs) last() *ScrubEvent {
	sc.mu.Lock()
	run := sc.cur
	sc.mu.Unlock()
	if run == nil {
		return nil
	}
	if !run.running() {
		ev := run.result()
		return &ev
	}
	run.mu.Lock()
	defer run.mu.Unlock()
	p := run.progress
	return &ScrubEvent{Type: "progress", ID: run.id, ScrubProgress: &p}
}

// findScrub returns the run a request names (?id=), or the current one.
func (s *Server) findScrub(w http.ResponseWriter, r *http.Request) *scrubRun {
	s.scrubs.mu.Lock()
	run := s.scrubs.cur
	s.scrubs.mu.Unlock()
	if v := r.URL.Query().Get("id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || run == nil || run.id != id {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": fmt.Sprintf("no scrub %q (the server keeps the last one only)", v)})
			return nil
		}
	}
	if run == nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no scrub was started"})
	}
	return run
}

// scrubPoll is how often a stream looks for progress to send.
const scrubPoll = 250 * time.Millisecond

func (s *Server) watchScrub(w http.ResponseWriter, r *http.Request) {
	run := s.findScrub(w, r)
	if run == nil {
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	enc := json.NewEncoder(w)
	send := func(ev ScrubEvent) bool {
		if enc.Encode(ev) != nil {
			return false
		}
		return rc.Flush() == nil
	}
	tick := time.NewTicker(scrubPoll)
	defer tick.Stop()
	var sent int64 = -1
	for {
		run.mu.Lock()
		p, version := run.progress, run.version
		run.mu.Unlock()
		if version != sent {
			if !send(ScrubEvent{Type: "progress", ID: run.id, ScrubProgress: &p}) {
				return
			}
			sent = version
		}
		select {
		case <-run.done:
			send(run.result())
			return
		case <-r.Context().Done():
			return
		case <-tick.C:
		}
	}
}

func (s *Server) stopScrub(w http.ResponseWriter, r *http.Request) {
	run := s.findScrub(w, r)
	if run == nil {
		return
	}
	run.cancel()
	select {
	case <-run.done:
		writeJSON(w, http.StatusOK, run.result())
	case <-r.Context().Done():
	}
}

// StopScrub stops a scrub the API started and waits for it to write its
// checkpoint; call it before closing the engine.
func (s *Server) StopScrub() {
	s.scrubs.mu.Lock()
	run := s.scrubs.cur
	s.scrubs.mu.Unlock()
	if run != nil {
		run.cancel()
		<-run.done
	}
}
