package engine_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/prismd/prismd/engine"
	plog "github.com/prismd/prismd/log"
)

// TestShippingTruncatesBelowEverywhere: the log ships to every region; a
// region that is down holds the log's truncation back until it caught up
// (the snapshot it lacks is shipped to it); a second gateway cannot ship
// to the same regions.
func TestShippingTruncatesBelowEverywhere(t *testing.T) {
	c := newCluster(t, 3, plog.Policy{Mode: "erasure", DataShards: 2, ParityShards: 1, Placement: "shuffle"})
	c.cfg.Shipping = &engine.ShippingConfig{Identity: engine.Identity{Gateway: "gw-test-one", Timeline: 1}, Interval: 20 * time.Millisecond}
	c.restart()
	ctx := context.Background()
	c.e.CreateBucket(ctx, "bkt", "")
	shipped := func(regions ...string) func() bool {
		return func() bool {
			last := c.e.LastIndex()
			for _, st := range c.e.Shipping() {
				for _, r := range regions {
					if st.Region == r && (st.Shipped != last || st.Error != "") {
						return false
					}
				}
			}
			return true
		}
	}
	for i := range 5 {
		put(t, c.e, "bkt", fmt.Sprint(i), payload(uint64(i), 1000))
	}
	c.e.WaitWrites()
	waitFor(t, shipped("a", "b", "c"))
	first, err := c.e.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		for _, st := range c.e.Shipping() {
			if st.Snapshot != first {
				return false
			}
		}
		return true
	})
	c.regions[2].SetDown(true)
	for i := range 5 {
		put(t, c.e, "bkt", fmt.Sprint("later", i), payload(uint64(10+i), 1000))
	}
	c.e.WaitWrites()
	second, _ := c.e.Snapshot()
	waitFor(t, shipped("a", "b"))
	if _, err := c.e.Snapshot(); err != nil { // truncates as far as every region allows
		t.Fatal(err)
	}
	for _, st := range c.e.Shipping() {
		if st.Region == "c" && (st.LagEvents == 0 || st.Error == "") {
			t.Fatalf("region c is down but its shipping shows %+v", st)
		}
	}
	if fi := c.e.FirstIndex(); fi > first+1 {
		t.Fatalf("log truncated to %d while region c holds only the snapshot at %d", fi, first)
	}
	c.regions[2].SetDown(false)
	waitFor(t, shipped("a", "b", "c"))
	waitFor(t, func() bool {
		for _, st := range c.e.Shipping() {
			if st.Snapshot < second {
				return false
			}
		}
		return true
	})
	// A second gateway on the same regions is refused.
	other := c.cfg
	other.DataDir = t.TempDir()
	other.Shipping = &engine.ShippingConfig{Identity: engine.Identity{Gateway: "gw-test-two", Timeline: 1}}
	if e2, err := engine.Open(other); !errors.Is(err, engine.ErrLeaseHeld) {
		if e2 != nil {
			e2.Close()
		}
		t.Fatalf("a second gateway on the same regions: %v", err)
	}
}
