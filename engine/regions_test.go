package engine_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/prismd/prismd/backends"
	"github.com/prismd/prismd/backends/mem"
	"github.com/prismd/prismd/engine"
	plog "github.com/prismd/prismd/log"
)

// TestRegionsAtRunTime adds a region at run time, restarts (the region comes
// back from the log), then removes it: every object stays readable and the
// shards it held are rebuilt on the other regions.
func TestRegionsAtRunTime(t *testing.T) {
	c := newCluster(t, 3, plog.Policy{Mode: "erasure", DataShards: 2, ParityShards: 1, Placement: "shuffle"})
	extra := map[string]backends.Backend{}
	var gotSecret string
	c.cfg.OpenBackend = func(spec engine.RegionSpec) (backends.Backend, error) {
		gotSecret = spec.SecretKey
		if extra[spec.Name] == nil {
			extra[spec.Name] = mem.New()
		}
		return extra[spec.Name], nil
	}
	c.restart()
	ctx := context.Background()
	if err := c.e.AddRegion(ctx, engine.RegionSpec{Name: "d", Type: "s3", Endpoint: "http://127.0.0.1:1", AccessKey: "ak", SecretKey: "s3cr3t-key"}); err != nil {
		t.Fatal(err)
	}
	if err := c.e.AddRegion(ctx, engine.RegionSpec{Name: "a", Type: "fs", Path: "/tmp/a"}); err == nil {
		t.Fatal("adding a region that the config declares succeeded")
	}
	c.e.CreateBucket(ctx, "bkt", "")
	data := map[string][]byte{}
	for i := range 24 {
		key := fmt.Sprintf("o%d", i)
		data[key] = payload(uint64(i), 150_000)
		put(t, c.e, "bkt", key, data[key])
	}
	c.e.WaitWrites()
	onD := 0
	for key := range data {
		locs, _ := c.e.Locate("bkt", key)
		for _, l := range locs {
			if l.Region == "d" {
				onD++
			}
		}
	}
	if onD == 0 {
		t.Fatal("no shard was placed on the region added at run time")
	}
	c.restart()
	if gotSecret != "s3cr3t-key" {
		t.Fatalf("region secret after restart = %q", gotSecret)
	}
	if got := len(c.e.Health()); got != 4 {
		t.Fatalf("%d regions after restart, want 4", got)
	}
	if err := c.e.RemoveRegion(ctx, "d"); err != nil {
		t.Fatal(err)
	}
	for key, want := range data {
		got, err := readAll(c.e, "bkt", key)
		if err != nil || string(got) != string(want) {
			t.Fatalf("%s after removing a region: %d bytes, %v", key, len(got), err)
		}
	}
	written, failed, _ := c.e.RunCompletion(ctx)
	if written != onD || failed != 0 {
		t.Fatalf("completion wrote %d shards (%d failed); region d held %d", written, failed, onD)
	}
	for key := range data {
		locs, _ := c.e.Locate("bkt", key)
		seen := map[string]bool{}
		for _, l := range locs {
			if l.Region == "d" || l.State != "stored" || seen[fmt.Sprint(l.Segment, l.Region)] {
				t.Fatalf("%s: shard %+v after rebuild", key, l)
			}
			seen[fmt.Sprint(l.Segment, l.Region)] = true
		}
	}
}
