package datapath

import (
	"time"

	"github.com/prismd/prismd/backends"
)

// Region is one region as the data path uses it: the backend shards are
// read from and written to, and the health its owner keeps for it. The
// data path asks it whether a call may go and tells it how every call went;
// what a region's health means (a breaker, a write backoff) is the owner's.
type Region interface {
	// Name names the region in errors.
	Name() string
	// Backend is the region's object store.
	Backend() backends.Backend
	// Available reports whether a call may be sent now. It may let one
	// call through an open breaker as a probe.
	Available() bool
	// Health describes the region now, to order and hedge reads.
	Health() Health
	// RetryPace reports whether a read choosing its shards should ask
	// this region first, whatever Health says: once nothing measured its
	// pace for a while, true for one read every few seconds, so that a
	// region reads stopped asking for streaming slowly is measured again,
	// without every read going back to it at once. Only asked of a region
	// whose pace is known; a true answer is used up.
	RetryPace() bool
	// Observe records a read's time to first byte (the backend answered
	// and its body may be read), or its failure before the first byte.
	Observe(ttfb time.Duration, err error)
	// Streamed records how a read's body flowed, whether the read ended
	// or was given up: the bytes read, and the time spent waiting for them
	// (not the time spent handing them on).
	Streamed(bytes int64, waited time.Duration)
	// Outcome records a read that failed after its first byte.
	Outcome(err error)
	// Wrote records the end of a shard write sent to the region.
	Wrote(err error)
}

// Health is what orders and hedges reads.
type Health struct {
	// Healthy: the region answers (no open breaker).
	Healthy bool
	// Score orders regions for reads: lower is better. It is the time to
	// first byte in seconds, made worse by errors and an open breaker.
	Score float64
	// PerByte is how many seconds a read's body takes per byte once it
	// flows; 0 when not known. The time to read a block of n bytes is
	// about Score + n×PerByte.
	PerByte float64
	// HedgeAfter is how long a read waits for the region before asking
	// another shard.
	HedgeAfter time.Duration
}
