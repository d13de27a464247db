package engine

import (
	"context"
	"encoding/json"
	"errors"
	iofs "io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// The background scrubber walks every object at least every ScrubInterval
// (quick) and DeepScrubInterval (deep), as a scrub of its own with its own
// checkpoint (scrub-background.json), so that a restart continues its pass.
// It keeps a duty cycle: after each piece of work it sleeps backgroundPace
// times as long as the work took, so it slows down as client load slows
// the regions down. It pauses while a scrub started by Scrub runs.
//
// Its schedule (scrub-schedule.json) holds when it was set up and when the
// last passes completed; a complete scrub started by Scrub (every bucket,
// no prefix, not a dry run) counts as a pass. The first pass is due one
// interval after the schedule was set up: data written since was verified
// as it was written.

// Defaults of the background scrubber's intervals.
const (
	DefaultScrubInterval     = 30 * 24 * time.Hour
	DefaultDeepScrubInterval = 90 * 24 * time.Hour
)

const (
	// backgroundPace: the background scrubber works about a tenth of the time.
	backgroundPace = 9
	// scrubRetry is how long the background scrubber waits after a pass failed.
	scrubRetry = 10 * time.Minute
	// scrubRecheck bounds a wait for the next pass (the clock may move).
	scrubRecheck = time.Hour
)

// ScrubStatus is the background scrubber's state, for /health and /metrics.
type ScrubStatus struct {
	// Enabled is false when the engine runs no background scrubber.
	Enabled bool
	// Running: a pass is under way (Deep says which kind), at Bucket/Key,
	// Objects of TotalObjects walked.
	Running       bool
	Deep          bool
	Bucket, Key   string
	Objects       int64
	TotalObjects  int64
	LastQuick     time.Time     // last complete pass (a deep pass counts)
	LastDeep      time.Time     // last complete deep pass
	NextDue       time.Time     // when the next pass is due
	Last          *ScrubSummary // counts of the last complete pass
	ManualRunning bool          // a scrub started by Scrub runs
}

// scrubSchedule is the background scrubber's file.
type scrubSchedule struct {
	Since     time.Time     `json:"since"`
	LastQuick time.Time     `json:"last_quick,omitzero"`
	LastDeep  time.Time     `json:"last_deep,omitzero"`
	Last      *ScrubSummary `json:"last,omitempty"`
}

// scrubber is the background scrubber's state.
type scrubber struct {
	mu       sync.Mutex
	loaded   bool
	sched    scrubSchedule
	running  bool
	progress ScrubProgress
}

func (e *Engine) scrubSchedulePath() string {
	return filepath.Join(e.cfg.DataDir, "scrub-schedule.json")
}

func (e *Engine) scrubBackgroundCheckpoint() string {
	return filepath.Join(e.cfg.DataDir, "scrub-background.json")
}

// loadSchedule reads the schedule once, setting it up when there is none.
// The caller holds s.mu.
func (e *Engine) loadSchedule() {
	s := &e.scrubber
	if s.loaded {
		return
	}
	s.loaded = true
	data, err := os.ReadFile(e.scrubSchedulePath())
	if err == nil && json.Unmarshal(data, &s.sched) == nil && !s.sched.Since.IsZero() {
		return
	}
	if err != nil && !errors.Is(err, iofs.ErrNotExist) {
		e.logger.Warn("scrub schedule unreadable; starting a new one", "err", err)
	}
	s.sched = scrubSchedule{Since: e.now()}
	e.saveSchedule()
}

// saveSchedule writes the schedule; the caller holds s.mu.
func (e *Engine) saveSchedule() {
	data, err := json.MarshalIndent(e.scrubber.sched, "", "  ")
	if err == nil {
		err = writeFileAtomic(e.scrubSchedulePath(), data)
	}
	if err != nil {
		e.logger.Warn("write scrub schedule", "err", err)
	}
}

// scrubPassed records a complete pass over every object.
func (e *Engine) scrubPassed(sum ScrubSummary) {
	s := &e.scrubber
	s.mu.Lock()
	defer s.mu.Unlock()
	e.loadSchedule()
	now := e.now()
	s.sched.LastQuick = now
	if sum.Deep {
		s.sched.LastDeep = now
	}
	s.sched.Last = &sum
	e.saveSchedule()
}

// nextScrub returns when the next background pass is due and whether it
// is deep. The caller holds s.mu.
func (e *Engine) nextScrub() (time.Time, bool) {
	sc := e.scrubber.sched
	deepAt := later(sc.Since, sc.LastDeep).Add(e.cfg.DeepScrubInterval)
	quickAt := later(later(sc.Since, sc.LastQuick), sc.LastDeep).Add(e.cfg.ScrubInterval)
	if e.cfg.DeepScrubInterval > 0 && !deepAt.After(quickAt) {
		return deepAt, true
	}
	return quickAt, false
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// ScrubStatus reports the background scrubber's position, last passes and counts.
func (e *Engine) ScrubStatus() ScrubStatus {
	s := &e.scrubber
	s.mu.Lock()
	defer s.mu.Unlock()
	st := ScrubStatus{Enabled: e.scrubEnabled(), ManualRunning: e.scrubGate.manual()}
	if !st.Enabled {
		return st
	}
	e.loadSchedule()
	st.Running, st.Deep = s.running, s.progress.Deep
	if s.running {
		st.Bucket, st.Key, st.Objects, st.TotalObjects = s.progress.Bucket, s.progress.Key, s.progress.Objects, s.progress.TotalObjects
	}
	st.LastQuick, st.LastDeep, st.Last = s.sched.LastQuick, s.sched.LastDeep, s.sched.Last
	st.NextDue, _ = e.nextScrub()
	return st
}

func (e *Engine) scrubEnabled() bool { return !e.cfg.NoBackground && e.cfg.ScrubInterval > 0 }

// scrubInBackground runs background passes when they are due, until ctx
// ends; it returns a function that waits for it to stop.
func (e *Engine) scrubInBackground(ctx context.Context) (wait func()) {
	if !e.scrubEnabled() {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			if err := sleepCtx(ctx, e.backgroundScrubPass(ctx)); err != nil {
				return
			}
		}
	}()
	return func() { <-done }
}

// backgroundScrubPass runs a background pass if one is due, and returns
// how long to wait before looking again.
func (e *Engine) backgroundScrubPass(ctx context.Context) time.Duration {
	s := &e.scrubber
	s.mu.Lock()
	e.loadSchedule()
	at, deep := e.nextScrub()
	s.mu.Unlock()
	if wait := at.Sub(e.now()); wait > 0 {
		return min(wait, scrubRecheck)
	}
	pass, done, ok := e.scrubGate.background(ctx)
	if !ok {
		return time.Second // a scrub started by Scrub runs: after it
	}
	s.mu.Lock()
	s.running, s.progress = true, ScrubProgress{}
	s.progress.Deep = deep
	s.mu.Unlock()
	sum, err := e.scrub(pass, ScrubOptions{Deep: deep, Checkpoint: e.scrubBackgroundCheckpoint(), Pace: backgroundPace,
		Progress: func(p ScrubProgress) {
			s.mu.Lock()
			s.progress = p
			s.mu.Unlock()
		}})
	preempted := pass.Err() != nil && ctx.Err() == nil
	done()
	s.mu.Lock()
	s.running = false
	s.mu.Unlock()
	switch {
	case err == nil:
		e.logger.Info("background scrub pass complete", "deep", deep, "objects", sum.Objects, "missing", sum.Missing, "corrupt", sum.Corrupt,
			"repaired", sum.Repaired, "unrepairable", sum.Unrepairable, "orphans_purged", sum.OrphansPurged, "failed", sum.Failed)
		e.scrubPassed(sum)
		return 0
	case ctx.Err() != nil, preempted:
		return 0 // stopping, or a scrub started by Scrub took over: its checkpoint keeps the pass
	}
	e.logger.Warn("background scrub pass stopped; it continues from its checkpoint", "err", err, "retry_in", scrubRetry)
	return scrubRetry
}

// scrubGate lets one scrub started by Scrub run at a time, and pauses the
// background scrubber while it does.
type scrubGate struct {
	mu       sync.Mutex
	cond     sync.Cond
	fg       bool
	bgCancel context.CancelFunc // the background pass under way, nil when none
}

// foreground claims the gate for a scrub started by Scrub, stopping a
// background pass first; false when another one runs.
func (g *scrubGate) foreground() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.cond.L == nil {
		g.cond.L = &g.mu
	}
	if g.fg {
		return false
	}
	g.fg = true
	if g.bgCancel != nil {
		g.bgCancel()
	}
	for g.bgCancel != nil {
		g.cond.Wait()
	}
	return true
}

// foregroundDone releases what foreground claimed.
func (g *scrubGate) foregroundDone() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.fg = false
}

func (g *scrubGate) manual() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.fg
}

// background returns the context of a background pass, cancelled when a
// scrub started by Scrub begins, and the function that ends the pass;
// false while such a scrub runs.
func (g *scrubGate) background(ctx context.Context) (context.Context, func(), bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.fg {
		return nil, nil, false
	}
	pass, cancel := context.WithCancel(ctx)
	g.bgCancel = cancel
	return pass, func() {
		cancel()
		g.mu.Lock()
		defer g.mu.Unlock()
		g.bgCancel = nil
		if g.cond.L != nil {
			g.cond.Broadcast()
		}
	}, true
}
