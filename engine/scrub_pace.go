package engine

import (
	"context"
	"time"
)

// pacer slows a scrub down, to a rate of bytes read and to a duty cycle.
type pacer struct {
	rate  int64   // bytes a second; 0: unlimited
	duty  float64 // sleep duty × the time each piece of work took; 0: none
	start time.Time
	bytes int64 // read since start
	now   func() time.Time
	sleep func(context.Context, time.Duration) error
}

// rateBurst is the most a pacer lets a scrub read at once after it read
// nothing for a while (a listing, a pause).
const rateBurst = time.Second

func newPacer(rate int64, duty float64) *pacer {
	return &pacer{rate: rate, duty: duty, now: time.Now, sleep: sleepCtx}
}

// read accounts n bytes read and sleeps until the rate allows them: n
// bytes at rate take n/rate seconds, whatever they were read in.
func (p *pacer) read(ctx context.Context, n int64) error {
	if p.rate <= 0 || n <= 0 {
		return nil
	}
	now := p.now()
	if p.start.IsZero() {
		p.start = now
	}
	due := func() time.Time {
		return p.start.Add(time.Duration(float64(p.bytes) / float64(p.rate) * float64(time.Second)))
	}
	if idle := now.Sub(due()); idle > rateBurst {
		// Nothing was read for a while: that time is no credit beyond a burst.
		p.start = p.start.Add(idle - rateBurst)
	}
	p.bytes += n
	if d := due().Sub(now); d > 0 {
		return p.sleep(ctx, d)
	}
	return nil
}

// worked sleeps duty times d: a scrub whose work got slower (the regions
// are busy with clients) waits longer between pieces of it.
func (p *pacer) worked(ctx context.Context, d time.Duration) error {
	if p.duty <= 0 || d <= 0 {
		return nil
	}
	return p.sleep(ctx, time.Duration(float64(d)*p.duty))
}

// sleepCtx sleeps d, or until ctx ends (its error).
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
