package engine

import (
	"math"
	"testing"
	"time"
)

// TestBodyPace: a region learns how fast its read bodies flow, and what it
// learned fades while nothing measures it again, so that a region reads
// stopped asking for streaming slowly is asked again later.
func TestBodyPace(t *testing.T) {
	r := newRegion(RegionSpec{Name: "far"}, nil)
	if p := r.bodyPace(); p != 0 {
		t.Fatalf("pace before any read: %v, want 0 (unknown)", p)
	}
	r.streamed(1<<20, time.Second) // 1 MiB/s
	near := func(got, want float64) bool { return math.Abs(got-want) <= want*0.01 }
	if p := r.bodyPace(); !near(p, 1.0/(1<<20)) {
		t.Fatalf("pace after a 1 MiB/s body: %v s/B, want %v", p, 1.0/(1<<20))
	}
	r.streamed(1<<20, 0) // a fast body moves it a fifth of the way
	if p := r.bodyPace(); !near(p, 0.8/(1<<20)) {
		t.Fatalf("pace after a fast body: %v s/B, want %v", p, 0.8/(1<<20))
	}
	r.mu.Lock()
	r.flowSeen = r.flowSeen.Add(-2 * flowHalfLife)
	r.mu.Unlock()
	if p := r.bodyPace(); !near(p, 0.2/(1<<20)) {
		t.Fatalf("pace two half-lives later: %v s/B, want a quarter, %v", p, 0.2/(1<<20))
	}
	r.streamed(0, time.Second) // nothing to learn from
	if p := r.bodyPace(); !near(p, 0.2/(1<<20)) {
		t.Fatalf("an empty body changed the pace to %v", p)
	}
}

// TestFirstLatencyReplacesTheGuess: a region's first measured time to first
// byte replaces the initial guess instead of being averaged into it, so a
// fresh gateway orders its regions by what it measured from the first probe.
func TestFirstLatencyReplacesTheGuess(t *testing.T) {
	r := newRegion(RegionSpec{Name: "far"}, nil)
	r.observe(100*time.Millisecond, nil)
	if got := r.score(); math.Abs(got-0.1) > 1e-9 {
		t.Fatalf("score after the first measure of 100 ms: %v, want 0.1", got)
	}
	r.observe(200*time.Millisecond, nil)
	if got := r.score(); math.Abs(got-0.12) > 1e-9 {
		t.Fatalf("score after a second measure of 200 ms: %v, want the average 0.12", got)
	}
}
