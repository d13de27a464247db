package engine

import (
	"context"
	"errors"
	"math"
	"sync"
	"time"

	"github.com/prismd/prismd/backends"
	"github.com/prismd/prismd/engine/datapath"
)

// Breaker settings: after breakerFailures consecutive failures a region is
// skipped for a cool-down; then one probe request is let through. A failed
// probe doubles the cool-down, up to breakerMaxCool; a success closes the
// breaker.
const (
	breakerFailures = 3
	breakerMinCool  = 500 * time.Millisecond
	breakerMaxCool  = 30 * time.Second
	ewmaWeight      = 0.2
	staleAfter      = 10 * time.Second
	// A region's body pace, once this old, is tried again: one read at a
	// time, every flowTrialEvery, is told to ask the region first, so that
	// a region reads stopped asking because it streamed slowly is asked
	// again (its stream measures it anew; if it is still slow, that read
	// hedges on its progress). Telling one read, not all, keeps every read
	// from going back to a region that may still be slow.
	flowStale      = 20 * time.Second
	flowTrialEvery = 2 * time.Second
)

// region is a backend plus what the engine has learned about it.
type region struct {
	name    string
	spec    RegionSpec
	backend backends.Backend

	mu        sync.Mutex
	latency   float64   // EWMA of time to first byte, seconds
	perByte   float64   // EWMA of seconds a read's body waited per byte
	flowSeen  time.Time // last perByte measurement
	flowTrial time.Time // when a read was last told to try the region (retryPace)
	errRate   float64   // EWMA of failures (0..1)
	failures  int       // consecutive
	open      bool      // breaker open
	openUntil time.Time
	cool      time.Duration
	probing   bool
	lastSeen  time.Time       // last latency measurement
	ready     map[string]bool // backend buckets known to exist

	// Shard writes that keep failing (a full disk, a quota) back off, so
	// that completion does not hammer the region and purge gets its turn.
	writeFails   int
	writeRetryAt time.Time
	writeErr     string // the last write failure, "" after a success
	// writeUnreachable: the last write failed because the region could not
	// be reached (not because it refused), so a successful probe ends the
	// backoff.
	writeUnreachable bool

	suspected bool      // a backend bucket the log says is ready is gone
	checked   time.Time // last identity check that reached the region
}

func newRegion(spec RegionSpec, b backends.Backend) *region {
	return &region{name: spec.Name, spec: spec, backend: b, latency: 0.01, ready: map[string]bool{}}
}

// observe records a read's time to first byte (or a probe's answer time)
// and its outcome. Only these feed the latency that orders reads. The
// first measure replaces the initial guess, and so does one taken after
// none for staleAfter: an average of answers from before reads stopped
// asking the region (a region that was slow, then the probe that finds
// it fast again) says nothing about now, and blended in at ewmaWeight it
// kept a recovered region out of reads for a minute.
func (r *region) observe(d time.Duration, err error) {
	r.outcome(err)
	if err == nil || isClientSide(err) {
		r.mu.Lock()
		if r.lastSeen.IsZero() || time.Since(r.lastSeen) > staleAfter {
			r.latency = d.Seconds()
		} else {
			r.latency = r.latency*(1-ewmaWeight) + ewmaWeight*d.Seconds()
		}
		r.lastSeen = time.Now()
		r.mu.Unlock()
	}
}

// streamed records how a read's body flowed: bytes, waited for in total.
func (r *region) streamed(bytes int64, waited time.Duration) {
	if bytes <= 0 {
		return
	}
	sample := waited.Seconds() / float64(bytes)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.flowSeen.IsZero() || time.Since(r.flowSeen) > flowStale {
		r.perByte = sample // the first measure, or one after a long pause
	} else {
		r.perByte = r.perByte*(1-ewmaWeight) + ewmaWeight*sample
	}
	r.flowSeen = time.Now()
}

// outcome records whether a call succeeded, for the error rate and the
// breaker. Writes, deletes and bucket creation report here only: their
// duration depends on their size, not on how fast the region answers.
func (r *region) outcome(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil && !isClientSide(err) {
		r.errRate = r.errRate*(1-ewmaWeight) + ewmaWeight
		r.failures++
		switch {
		case r.open && r.probing: // the probe failed
			r.probing = false
			r.cool = min(2*r.cool, breakerMaxCool)
			r.openUntil = time.Now().Add(r.cool)
		case !r.open && r.failures >= breakerFailures:
			r.open, r.cool = true, breakerMinCool
			r.openUntil = time.Now().Add(r.cool)
		}
		return
	}
	r.errRate *= 1 - ewmaWeight
	r.failures = 0
	r.open, r.probing = false, false
}

// Write backoff: after a failed shard write, completion leaves the region
// alone for writeBackoffMin, doubling with every failure after a backoff
// ended, up to writeBackoffMax; a successful write ends it.
const (
	writeBackoffMin = time.Second
	writeBackoffMax = 5 * time.Minute
)

// wrote records the outcome of a shard write. A write the region could not
// be reached for also counts for the breaker; one it refused (a full disk,
// a quota) only backs writes off, since the region still serves reads and
// deletes — and the purge that can free its space.
func (r *region) wrote(err error) {
	switch {
	case err == nil:
		r.outcome(nil)
	case errors.Is(err, context.Canceled) || errors.Is(err, backends.ErrNoSuchBucket):
		return // the write was given up, or the bucket is being created again
	case errors.Is(err, backends.ErrUnavailable):
		r.outcome(err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err == nil {
		r.writeFails, r.writeRetryAt, r.writeErr, r.writeUnreachable = 0, time.Time{}, "", false
		return
	}
	r.writeErr = err.Error()
	r.writeUnreachable = errors.Is(err, backends.ErrUnavailable)
	now := time.Now()
	if now.Before(r.writeRetryAt) {
		return // writes sent before the backoff began: it does not grow
	}
	r.writeFails++
	backoff := writeBackoffMin << min(r.writeFails-1, 20)
	r.writeRetryAt = now.Add(min(backoff, writeBackoffMax))
}

// writable reports whether shard writes may be sent (no write backoff).
func (r *region) writable() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return !time.Now().Before(r.writeRetryAt)
}

// unreachableWrites reports whether writes back off because the region
// could not be reached: a successful probe ends that backoff.
func (r *region) unreachableWrites() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.writeUnreachable
}

// stale reports whether no latency was measured for a while: reads may
// have stopped asking this region because it once was slow.
func (r *region) stale() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return time.Since(r.lastSeen) > staleAfter
}

// isClientSide reports errors that say nothing about the region's health.
func isClientSide(err error) bool {
	return err == nil || errors.Is(err, backends.ErrNotFound) || errors.Is(err, backends.ErrInvalidRange) ||
		errors.Is(err, backends.ErrNoSuchBucket) || errors.Is(err, context.Canceled)
}

// available reports whether a request may be sent: the breaker is closed,
// or its cool-down is over and no other probe is under way (this call then
// is the probe).
func (r *region) available() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.open {
		return true
	}
	if r.probing || time.Now().Before(r.openUntil) {
		return false
	}
	r.probing = true
	return true
}

// healthy reports whether the breaker is closed (no probing side effect).
func (r *region) healthy() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return !r.open
}

// health is what orders and hedges reads, read under one lock: the score
// (lower is better; the time to first byte, worse with errors, and
// unhealthy regions last), the pace of read bodies (0: not known) and how
// long to wait for the region before asking another.
func (r *region) health() datapath.Health {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.latency * (1 + 4*r.errRate)
	if r.open {
		s += 1000
	}
	hedge := time.Duration(math.Min(4*r.latency, 2) * float64(time.Second))
	return datapath.Health{Healthy: !r.open, Score: s, PerByte: r.perByte, HedgeAfter: max(hedge, 150*time.Millisecond)}
}

// retryPace reports whether a read choosing its shards should ask this
// region first, to measure it again: true for one caller every
// flowTrialEvery once the pace is stale (see flowStale).
func (r *region) retryPace() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	if r.perByte == 0 || now.Sub(r.flowSeen) <= flowStale || now.Sub(r.flowTrial) <= flowTrialEvery {
		return false
	}
	r.flowTrial = now
	return true
}

// probe asks the region a cheap question, whatever the breaker says, and
// records the answer.
func (r *region) probe(ctx context.Context, bucket string) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	start := time.Now()
	r.mu.Lock()
	r.probing = r.open
	r.mu.Unlock()
	_, err := r.backend.Stat(ctx, bucket, "probe")
	r.observe(time.Since(start), err)
	if isClientSide(err) {
		r.mu.Lock()
		if r.writeUnreachable { // back: writes may go there again
			r.writeFails, r.writeRetryAt, r.writeErr, r.writeUnreachable = 0, time.Time{}, "", false
		}
		r.mu.Unlock()
	}
}

// ProbeRegions probes every region whose breaker is open or whose writes
// could not reach it, so that a region that came back is used again
// without waiting for traffic to find out, and every region whose latency
// was not measured lately, so that a region that was slow once is measured
// again and read from when it is fast.
func (e *Engine) ProbeRegions(ctx context.Context) {
	e.regionsMu.RLock()
	var open []*region
	for _, r := range e.regions {
		if !r.healthy() || r.stale() || r.unreachableWrites() {
			open = append(open, r)
		}
	}
	e.regionsMu.RUnlock()
	var wg sync.WaitGroup
	for _, r := range open {
		wg.Add(1)
		go func() { defer wg.Done(); r.probe(ctx, e.cfg.BackendPrefix+"-system") }()
	}
	wg.Wait()
}

// RegionHealth is a region's health as the engine sees it.
type RegionHealth struct {
	Name      string
	Healthy   bool    // the breaker is closed: the region answers
	LatencyMS float64 // time to first byte of reads
	// ReadMiBps is how fast read bodies flow from the region once they
	// started (fading while nothing measures it); 0: not known.
	ReadMiBps float64
	ErrorRate float64
	// State is "ok", "down" (the breaker is open), "write-failing" (shard
	// writes keep failing: a full disk, a quota) or "checking" (a backend
	// bucket was found missing; lost shards are being found).
	State string
	// WriteError is the last shard write failure while State is
	// write-failing; WriteRetryIn when the next write is tried.
	WriteError   string
	WriteRetryIn time.Duration
}

// Health reports every region's health, in configured order.
func (e *Engine) Health() []RegionHealth {
	e.regionsMu.RLock()
	defer e.regionsMu.RUnlock()
	var out []RegionHealth
	now := time.Now()
	for _, name := range e.order {
		r := e.regions[name]
		r.mu.Lock()
		h := RegionHealth{Name: name, Healthy: !r.open, LatencyMS: r.latency * 1000, ErrorRate: r.errRate, State: "ok"}
		if r.perByte > 0 {
			h.ReadMiBps = 1 / r.perByte / (1 << 20)
		}
		switch {
		case r.open:
			h.State = "down"
		case r.suspected:
			h.State = "checking"
		case r.writeErr != "":
			h.State, h.WriteError = "write-failing", r.writeErr
			h.WriteRetryIn = max(r.writeRetryAt.Sub(now), 0)
		}
		r.mu.Unlock()
		out = append(out, h)
	}
	return out
}
