package engine_test

import (
	"bytes"
	"context"
	"io"
	"regexp"
	"testing"
	"time"

	"github.com/prismd/prismd/backends"
	"github.com/prismd/prismd/engine"
)

var (
	nestedKey = regexp.MustCompile(`^[0-9a-f]{32}/0/[0-2]$`)
	fanoutKey = regexp.MustCompile(`^([0-9a-f]{2})/([0-9a-f]{32})\.0\.[0-2]$`)
)

// TestBlobsOfNestedKeys: a gateway upgraded from one that gave shards
// nested keys (<blob>/<segment>/<shard>) keeps finding its blobs' shards
// there, while new blobs' shards get fanout keys (<2 hex>/<blob>.<segment>.
// <shard>): every object reads back, a scrub past the orphan grace finds
// nothing wrong and deletes nothing, damage to either kind is repaired in
// place, and deleted objects' shards are purged, whatever their layout.
func TestBlobsOfNestedKeys(t *testing.T) {
	c := newUpgradedCluster(t, func(cfg *engine.Config, before bool) { cfg.NestedKeys = before })

	for name := range c.bodies {
		key := name[len("bkt/"):]
		want := nestedKey
		if key[:3] == "new" {
			want = fanoutKey
		}
		for sh := range 3 {
			l := c.shard("bkt", key, sh)
			if !want.MatchString(l.Key) || !c.exists(l) {
				t.Fatalf("%s shard %d: key %q (stored %v), want one like %s", key, sh, l.Key, c.exists(l), want)
			}
			if m := fanoutKey.FindStringSubmatch(l.Key); m != nil && m[1] != m[2][:2] {
				t.Fatalf("%s shard %d: key %q is not under its blob's first two hex digits", key, sh, l.Key)
			}
		}
		r, err := c.e.GetObject(context.Background(), "bkt", key, engine.GetOptions{})
		if err != nil {
			t.Fatalf("GET %s: %v", key, err)
		}
		got, err := io.ReadAll(r)
		r.Close()
		if err != nil || !bytes.Equal(got, c.bodies[name]) {
			t.Fatalf("GET %s: %d bytes, %v", key, len(got), err)
		}
	}

	c.offset.Store(int64(48 * time.Hour)) // every shard is past the orphan grace
	if sum := c.scrub(engine.ScrubOptions{Deep: true}); !sum.Clean() {
		t.Fatalf("deep scrub of both layouts: %+v", sum)
	}
	c.remove(c.shard("bkt", "old-0", 1))
	c.remove(c.shard("bkt", "new-0", 2))
	flip := func(b []byte) []byte { b[70_000] ^= 0x40; return b }
	c.rewrite(c.shard("bkt", "old-1", 0), flip)
	c.rewrite(c.shard("bkt", "new-1", 1), flip)
	sum := c.scrub(engine.ScrubOptions{Deep: true})
	if got, want := countsOf(sum), (counts{missing: 2, corrupt: 2, repaired: 4}); got != want {
		t.Fatalf("deep scrub after damage: %+v, want %+v", got, want)
	}
	for _, l := range []engine.ShardLocation{c.shard("bkt", "old-0", 1), c.shard("bkt", "new-0", 2)} {
		if !c.exists(l) {
			t.Fatalf("repaired shard %s is not at its key", l.Key)
		}
	}
	if again := c.scrub(engine.ScrubOptions{Deep: true}); !again.Clean() {
		t.Fatalf("second deep scrub: %+v", again)
	}
	c.readAllWithOneDown()

	ctx := context.Background()
	for name := range c.bodies {
		if err := c.e.DeleteObject(ctx, "bkt", name[len("bkt/"):]); err != nil {
			t.Fatal(err)
		}
	}
	if _, left, err := c.e.RunPurge(ctx); err != nil || left != 0 {
		t.Fatalf("purge: %d left, %v", left, err)
	}
	bb := c.e.BackendBucket("bkt")
	for i, r := range c.regions {
		var keys []string
		if err := r.List(ctx, bb, "", func(oi backends.ObjectInfo) bool { keys = append(keys, oi.Key); return true }); err != nil {
			t.Fatal(err)
		}
		if len(keys) != 0 {
			t.Errorf("region %d keeps %q after every object was deleted and purged", i, keys)
		}
	}
}
