package engine_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/prismd/prismd/engine"
)

// newUpgradedCluster returns a scrub cluster whose gateway wrote old-0..2
// as a gateway of before an upgrade (set(cfg, true)) and, restarted as
// one of after it (set(cfg, false)), new-0..1.
func newUpgradedCluster(t *testing.T, set func(cfg *engine.Config, before bool)) *scrubCluster {
	t.Helper()
	c := newScrubCluster(t, 0)
	set(&c.cfg, true)
	c.restart()
	for i := range 3 {
		c.add("bkt", fmt.Sprintf("old-%d", i), uint64(i))
	}
	c.e.WaitWrites()
	set(&c.cfg, false)
	c.restart() // the upgrade
	for i := range 2 {
		c.add("bkt", fmt.Sprintf("new-%d", i), uint64(10+i))
	}
	c.e.WaitWrites()
	return c
}

// TestBlobsOfBeforeXXH3: a gateway upgraded from one that wrote
// HighwayHash-128 after every block reads its blobs, whole and by range
// (which skips the header, so the hash comes from the log), finds their
// corruption and repairs them with their own hash, beside blobs written
// with XXH3-128 after the upgrade.
func TestBlobsOfBeforeXXH3(t *testing.T) {
	c := newUpgradedCluster(t, func(cfg *engine.Config, before bool) { cfg.HighwayBlocks = before })

	// Shard headers: version 1 (no hash named: HighwayHash) before, 2 after.
	version := func(key string, shard int) byte {
		t.Helper()
		var b []byte
		c.rewrite(c.shard("bkt", key, shard), func(d []byte) []byte { b = bytes.Clone(d); return d })
		return b[4]
	}
	if v1, v2 := version("old-0", 0), version("new-0", 0); v1 != 1 || v2 != 2 {
		t.Fatalf("shard header versions %d (before the upgrade), %d (after), want 1, 2", v1, v2)
	}
	// Ranges across a block boundary (blocks are 64 KiB here).
	for name, want := range c.bodies {
		r, err := c.e.GetObject(context.Background(), "bkt", name[len("bkt/"):], engine.GetOptions{Range: &engine.Range{Start: 60_000, End: 140_000}})
		if err != nil {
			t.Fatalf("range GET %s: %v", name, err)
		}
		got, err := io.ReadAll(r)
		r.Close()
		if err != nil || !bytes.Equal(got, want[60_000:140_001]) {
			t.Fatalf("range GET %s: %d bytes, %v", name, len(got), err)
		}
	}

	flip := func(b []byte) []byte { b[70_000] ^= 0x40; return b }
	c.rewrite(c.shard("bkt", "old-1", 1), flip)
	c.rewrite(c.shard("bkt", "new-1", 0), flip)
	sum := c.scrub(engine.ScrubOptions{Deep: true})
	if got, want := countsOf(sum), (counts{corrupt: 2, repaired: 2}); got != want {
		t.Fatalf("deep scrub: %+v, want %+v", got, want)
	}
	if again := c.scrub(engine.ScrubOptions{Deep: true}); !again.Clean() {
		t.Fatalf("second deep scrub: %+v", again)
	}
	if v1, v2 := version("old-1", 1), version("new-1", 0); v1 != 1 || v2 != 2 {
		t.Fatalf("repaired shard header versions %d, %d, want 1, 2", v1, v2)
	}
	c.readAllWithOneDown()
}
