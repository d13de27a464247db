package datapath

import (
	"io"
	"sync/atomic"
	"time"
)

// meter counts what a shard read's body delivered and how long reading it
// waited, so that a Reader can tell a stream that falls behind mid-block
// and the region can learn how fast its bodies flow. Its counters may be
// read while the body is being read.
type meter struct {
	r       io.Reader
	bytes   atomic.Int64
	waited  atomic.Int64 // nanoseconds spent in Read calls that returned
	reading atomic.Int64 // unix nanoseconds the Read under way began; 0: none
}

func (m *meter) Read(p []byte) (int, error) {
	start := time.Now()
	m.reading.Store(start.UnixNano())
	n, err := m.r.Read(p)
	m.waited.Add(int64(time.Since(start)))
	m.reading.Store(0)
	m.bytes.Add(int64(n))
	return n, err
}

// flow returns the bytes read so far and the time spent waiting for them,
// the Read under way included.
func (m *meter) flow() (int64, time.Duration) {
	w := time.Duration(m.waited.Load())
	if since := m.reading.Load(); since != 0 {
		w += time.Since(time.Unix(0, since))
	}
	return m.bytes.Load(), w
}

// Progress hedging: a stream that already delivers bytes, but so slowly
// that the block a stripe waits for would come later than a spare shard's
// whole block, is hedged without waiting for HedgeAfter.
const (
	// progressEvery is how often a waiting stripe looks at its streams.
	progressEvery = 10 * time.Millisecond
	// minFlowBytes is how much of a body must have come before its rate
	// is trusted.
	minFlowBytes = 16 << 10
	// minFlowWait: a body that kept its reader waiting this long tells
	// how fast the region streams, however few bytes came.
	minFlowWait = 100 * time.Millisecond
)

// blockTime is how long reading a block of n bytes from a region in
// health h is expected to take from the request.
func blockTime(h Health, n int) time.Duration {
	return time.Duration((h.Score + float64(n)*h.PerByte) * float64(time.Second))
}

// behind reports whether a stream that has read got bytes of its body,
// waiting waited for them, and still needs left more to finish its block,
// will take so long that asking a spare shard (expected to take spare for
// its whole block) is worth it: the rest at the stream's own pace exceeds
// the spare's time by half again plus 10 ms.
func behind(got int64, waited time.Duration, left int64, spare time.Duration) bool {
	if got < minFlowBytes || left <= 0 {
		return false
	}
	rest := time.Duration(float64(waited) * float64(left) / float64(got))
	return rest > spare+spare/2+10*time.Millisecond
}
