package engine_test

import (
	"context"
	"fmt"
	"testing"

	plog "github.com/prismd/prismd/log"
)

// TestPlacementAvoidsUnhealthyRegions: with more regions than k+m, once a
// region is known to be down, new objects' shards go to the healthy ones,
// so they are fully redundant at once.
func TestPlacementAvoidsUnhealthyRegions(t *testing.T) {
	c := newCluster(t, 4, plog.Policy{Mode: "erasure", DataShards: 2, ParityShards: 1, Placement: "shuffle"})
	ctx := context.Background()
	c.e.CreateBucket(ctx, "bkt", "")
	c.regions[3].SetDown(true)
	// Writes find out that region d is down: a failed write backs its
	// writes off (and three in a row open its breaker). Shuffled placement
	// puts a shard on d with probability 3/4 a PUT, so 50 PUTs miss it with
	// a probability below 10^-30.
	dHealthy := func() bool {
		for _, h := range c.e.Health() {
			if h.Name == "d" {
				return h.State == "ok"
			}
		}
		t.Fatal("no region d in Health()")
		return false
	}
	for i := 0; i < 50 && dHealthy(); i++ {
		put(t, c.e, "bkt", fmt.Sprintf("warm-%d", i), payload(uint64(i), 200_000))
		c.e.WaitWrites()
	}
	if dHealthy() {
		t.Fatal("region d is down but still counted healthy after 50 PUTs")
	}
	for i := range 20 {
		key := fmt.Sprintf("after-%d", i)
		put(t, c.e, "bkt", key, payload(uint64(100+i), 200_000))
		c.e.WaitWrites()
		locs, err := c.e.Locate("bkt", key)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range locs {
			if l.Region == "d" || l.State != "stored" {
				t.Fatalf("%s: shard %d on %s is %s; the healthy regions a, b, c should hold every shard", key, l.Shard, l.Region, l.State)
			}
		}
	}
}

// TestSnapshotAndTruncatedLog takes a snapshot (which truncates the log),
// writes more, and restarts without closing (a crash): start-up loads the
// snapshot and replays the tail, and everything is there.
func TestSnapshotAndTruncatedLog(t *testing.T) {
	c := newCluster(t, 3, plog.Policy{Mode: "hybrid", DataShards: 2, ParityShards: 1, HybridThreshold: 100_000})
	ctx := context.Background()
	c.e.CreateBucket(ctx, "bkt", "")
	data := map[string][]byte{}
	for i := range 30 {
		key := fmt.Sprintf("k%02d", i)
		data[key] = payload(uint64(i), 1000*i+1)
		put(t, c.e, "bkt", key, data[key])
		if i == 19 {
			c.e.WaitWrites()
			if _, err := c.e.Snapshot(); err != nil {
				t.Fatal(err)
			}
		}
		if i == 25 {
			c.e.DeleteObject(ctx, "bkt", "k03")
			delete(data, "k03")
		}
	}
	c.e.WaitWrites()
	c.e = nil // crash: no close, no final snapshot
	c.open()
	res, err := c.e.ListObjects(ctx, enginelist("bkt"))
	if err != nil || len(res.Objects) != len(data) {
		t.Fatalf("after restart: %d objects (%v), want %d", len(res.Objects), err, len(data))
	}
	for key, want := range data {
		got, err := readAll(c.e, "bkt", key)
		if err != nil || string(got) != string(want) {
			t.Fatalf("%s after snapshot + tail replay: %d bytes, %v", key, len(got), err)
		}
	}
	if sh, pu := c.e.Pending(); sh != 0 || pu != 2 { // k03 is 3001 bytes: 2 replicas, one purge per region
		t.Fatalf("pending after restart: %d shards, %d purges; want 0 and the deleted object's 2", sh, pu)
	}
}
