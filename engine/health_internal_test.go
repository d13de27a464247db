package engine

import (
	"math"
	"testing"
	"time"
)

// TestBodyPace: a region learns how fast its read bodies flow; once what
// it learned is stale, one read at a time (every flowTrialEvery) is told to
// ask the region first so that it is measured again, while the others
// keep avoiding it; the trial's measure then replaces the stale one.
func TestBodyPace(t *testing.T) {
	r := newRegion(RegionSpec{Name: "far"}, nil)
	if p := r.health().PerByte; p != 0 {
		t.Fatalf("pace before any read: %v, want 0 (unknown)", p)
	}
	if r.retryPace() {
		t.Fatal("a region with no pace asks a read to retry it")
	}
	const slow = 1.0 / (1 << 20) // 1 MiB/s
	r.streamed(1<<20, time.Second)
	near := func(got, want float64) bool { return math.Abs(got-want) <= want*0.01 }
	if p := r.health().PerByte; !near(p, slow) {
		t.Fatalf("pace after a 1 MiB/s body: %v s/B, want %v", p, slow)
	}
	r.streamed(1<<20, 0) // a fast body moves it a fifth of the way
	if p := r.health().PerByte; !near(p, 0.8*slow) {
		t.Fatalf("pace after a fast body: %v s/B, want %v", p, 0.8*slow)
	}
	r.streamed(0, time.Second) // nothing to learn from
	if r.retryPace() {
		t.Fatal("a fresh pace is retried")
	}
	if p := r.health().PerByte; !near(p, 0.8*slow) {
		t.Fatalf("an empty body changed the pace to %v", p)
	}

	age := func(d time.Duration) {
		r.mu.Lock()
		r.flowSeen = r.flowSeen.Add(-d)
		r.flowTrial = r.flowTrial.Add(-d)
		r.mu.Unlock()
	}
	age(flowStale + time.Second)
	if !r.retryPace() {
		t.Fatal("stale pace, first read: not told to try the region")
	}
	if r.retryPace() {
		t.Fatal("stale pace, second read at once: told to try the region too")
	}
	if p := r.health().PerByte; !near(p, 0.8*slow) {
		t.Fatalf("stale pace: Health gives %v, want the learned %v", p, 0.8*slow)
	}
	age(flowTrialEvery + time.Millisecond)
	if !r.retryPace() {
		t.Fatalf("stale pace, a read %v after the last trial: not told to try the region", flowTrialEvery)
	}
	r.streamed(1<<20, 0) // the trial read found the region fast again
	if p := r.health().PerByte; p != 0 {
		t.Fatalf("pace after a fast body replaced a stale one: %v, want 0", p)
	}
}

// TestFirstLatencyReplacesTheGuess: a region's first measured time to first
// byte replaces the initial guess instead of being averaged into it, so a
// fresh gateway orders its regions by what it measured from the first probe.
func TestFirstLatencyReplacesTheGuess(t *testing.T) {
	r := newRegion(RegionSpec{Name: "far"}, nil)
	r.observe(100*time.Millisecond, nil)
	if got := r.health().Score; math.Abs(got-0.1) > 1e-9 {
		t.Fatalf("score after the first measure of 100 ms: %v, want 0.1", got)
	}
	r.observe(200*time.Millisecond, nil)
	if got := r.health().Score; math.Abs(got-0.12) > 1e-9 {
		t.Fatalf("score after a second measure of 200 ms: %v, want the average 0.12", got)
	}
}

// TestStaleLatencyIsReplaced: a region reads stopped asking (its answers
// were slow) is measured again by a probe once its latency is staleAfter
// old, and that measure replaces the old average: the region competes for
// reads again at once instead of after many probes.
func TestStaleLatencyIsReplaced(t *testing.T) {
	r := newRegion(RegionSpec{Name: "was-slow"}, nil)
	for range 10 {
		r.observe(200*time.Millisecond, nil)
	}
	r.observe(time.Millisecond, nil) // still fresh: averaged in
	if got := r.health().Score; got < 0.1 {
		t.Fatalf("score after one fast answer among slow ones: %v, want still near 0.2", got)
	}
	r.mu.Lock()
	r.lastSeen = time.Now().Add(-staleAfter - time.Second)
	r.mu.Unlock()
	if !r.stale() {
		t.Fatal("a latency staleAfter old is not stale: no probe would measure it")
	}
	r.observe(time.Millisecond, nil)
	if got := r.health().Score; math.Abs(got-0.001) > 1e-9 {
		t.Fatalf("score after a measure of 1 ms once the average was stale: %v, want 0.001", got)
	}
}
