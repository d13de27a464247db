package engine_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	plog "github.com/prismd/prismd/log"
)

// TestLogAdvanced: the channel stays open until an append, is closed by
// it, and a follower that takes the channel before reading the log never
// misses an append, with appenders racing it.
func TestLogAdvanced(t *testing.T) {
	c := newCluster(t, 3, plog.Policy{Mode: "replica", ParityShards: 1})
	e := c.e
	ctx := context.Background()
	ch := e.LogAdvanced()
	select {
	case <-ch:
		t.Fatal("closed before any append")
	default:
	}
	if ch2 := e.LogAdvanced(); ch2 != ch {
		t.Fatal("two waiters before an append got different channels")
	}
	if err := e.CreateBucket(ctx, "first-bucket", ""); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatal("not closed by an append")
	}
	if next := e.LogAdvanced(); next == ch {
		t.Fatal("the closed channel handed out again")
	}

	// Followers race appenders: each follower sees the last index.
	const appends = 50
	var wg sync.WaitGroup
	seen := make([]atomic.Uint64, 4)
	done := make(chan struct{})
	for i := range seen {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				adv := e.LogAdvanced()
				seen[i].Store(e.LastIndex())
				select {
				case <-adv:
				case <-done:
					return
				}
			}
		}()
	}
	var appenders sync.WaitGroup
	for a := range 2 {
		appenders.Add(1)
		go func() {
			defer appenders.Done()
			for j := range appends / 2 {
				if err := e.CreateBucket(ctx, fmt.Sprintf("race-%d-%d", a, j), ""); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	appenders.Wait()
	last := e.LastIndex()
	// Every follower reaches the last index without a further append.
	waitFor(t, func() bool {
		for i := range seen {
			if seen[i].Load() != last {
				return false
			}
		}
		return true
	})
	close(done)
	wg.Wait()
}
