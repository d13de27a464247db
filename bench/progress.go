package bench

import (
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
)

// progress is the live display of one run: a bar over the run's time (or
// its operation count, whichever is nearer its end) with the operations,
// MiB/s and errors so far. A nil *progress counts nothing and shows nothing.
type progress struct {
	w        io.Writer
	label    string
	duration time.Duration
	ops      int64

	count, errs, bytes atomic.Int64
}

// newProgress returns nil when w is nil.
func newProgress(w io.Writer, label string, d time.Duration, ops int64) *progress {
	if w == nil {
		return nil
	}
	return &progress{w: w, label: label, duration: d, ops: ops}
}

func (p *progress) add(bytes int64, failed bool) {
	if p == nil {
		return
	}
	if failed {
		p.errs.Add(1)
		return
	}
	p.count.Add(1)
	p.bytes.Add(bytes)
}

// start shows the display until the returned function is called.
func (p *progress) start(t0 time.Time) (stop func()) {
	if p == nil {
		return func() {}
	}
	const steps = 1000
	bar := progressbar.NewOptions64(steps,
		progressbar.OptionSetWriter(p.w),
		progressbar.OptionSetWidth(20),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionSetPredictTime(false),
		progressbar.OptionSetDescription(p.label),
	)
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				_ = bar.Finish()
				return
			case <-tick.C:
			}
			el := time.Since(t0)
			frac := el.Seconds() / p.duration.Seconds()
			if p.ops > 0 {
				frac = max(frac, float64(p.count.Load()+p.errs.Load())/float64(p.ops))
			}
			bar.Describe(fmt.Sprintf("%s  %d ops  %.1f MiB/s  %d errors", p.label, p.count.Load(),
				float64(p.bytes.Load())/(1<<20)/max(el.Seconds(), 1e-3), p.errs.Load()))
			_ = bar.Set64(int64(min(frac, 1) * steps))
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}
