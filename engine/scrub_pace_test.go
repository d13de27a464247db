package engine

import (
	"context"
	"testing"
	"time"
)

// fakeClock is a clock that sleeping moves.
type fakeClock struct {
	now    time.Time
	slept  time.Duration
	sleeps int
}

func (f *fakeClock) pacer(rate int64, duty float64) *pacer {
	p := newPacer(rate, duty)
	p.now = func() time.Time { return f.now }
	p.sleep = func(_ context.Context, d time.Duration) error {
		f.now = f.now.Add(d)
		f.slept += d
		f.sleeps++
		return nil
	}
	return p
}

// TestPacerRate: reads at a rate of 1 MiB/s take one second a MiB,
// whatever the pieces they come in; a pause is no credit beyond a
// one-second burst.
func TestPacerRate(t *testing.T) {
	ctx := context.Background()
	clk := &fakeClock{now: time.Unix(1000, 0)}
	p := clk.pacer(1<<20, 0)
	for range 40 {
		if err := p.read(ctx, 256<<10); err != nil {
			t.Fatal(err)
		}
	}
	if clk.slept != 10*time.Second {
		t.Fatalf("10 MiB at 1 MiB/s slept %v, want 10s", clk.slept)
	}
	clk.now = clk.now.Add(time.Minute) // a long listing: no reads
	clk.slept = 0
	for range 8 {
		p.read(ctx, 256<<10)
	}
	if want := 2*time.Second - rateBurst; clk.slept != want {
		t.Fatalf("2 MiB after a pause slept %v, want %v (one second of burst)", clk.slept, want)
	}
	unlimited := clk.pacer(0, 0)
	clk.sleeps = 0
	unlimited.read(ctx, 1<<30)
	if clk.sleeps != 0 {
		t.Fatal("an unlimited pacer slept")
	}
}

// TestPacerDuty: with a duty of 9, each piece of work is followed by nine
// times its duration of sleep, so slower work waits longer.
func TestPacerDuty(t *testing.T) {
	clk := &fakeClock{now: time.Unix(1000, 0)}
	p := clk.pacer(0, 9)
	p.worked(context.Background(), 10*time.Millisecond)
	p.worked(context.Background(), 100*time.Millisecond)
	if clk.slept != 990*time.Millisecond {
		t.Fatalf("slept %v, want 990ms", clk.slept)
	}
}
