package engine_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prismd/prismd/backends"
	"github.com/prismd/prismd/backends/faulty"
	"github.com/prismd/prismd/engine"
	plog "github.com/prismd/prismd/log"
)

// scrubCluster is three in-memory regions, erasure 2+1 with priority
// placement (shard i on region i), a bucket "bkt" holding objects
// obj-00, obj-01, … of 300 KB (one segment of three stripes), and a clock
// the test moves (orphans are judged by their age).
type scrubCluster struct {
	*cluster
	offset atomic.Int64 // added to the wall clock, nanoseconds
	bodies map[string][]byte
}

func newScrubCluster(t *testing.T, objects int) *scrubCluster {
	t.Helper()
	c := &scrubCluster{cluster: newCluster(t, 3, plog.Policy{Mode: "erasure", DataShards: 2, ParityShards: 1, Placement: "priority"}), bodies: map[string][]byte{}}
	c.cfg.Now = func() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }
	c.restart()
	if err := c.e.CreateBucket(context.Background(), "bkt", ""); err != nil {
		t.Fatal(err)
	}
	for i := range objects {
		c.add("bkt", fmt.Sprintf("obj-%02d", i), uint64(i))
	}
	c.e.WaitWrites()
	return c
}

func (c *scrubCluster) add(bucket, key string, seed uint64) {
	c.bodies[bucket+"/"+key] = payload(seed, 300_000)
	put(c.t, c.e, bucket, key, c.bodies[bucket+"/"+key])
}

// shard returns where shard i of an object's only segment is.
func (c *scrubCluster) shard(bucket, key string, i int) engine.ShardLocation {
	c.t.Helper()
	locs, err := c.e.Locate(bucket, key)
	if err != nil {
		c.t.Fatal(err)
	}
	for _, l := range locs {
		if l.Segment == 0 && l.Shard == i {
			return l
		}
	}
	c.t.Fatalf("%s/%s has no shard %d", bucket, key, i)
	return engine.ShardLocation{}
}

func (c *scrubCluster) regionOf(l engine.ShardLocation) *faulty.Backend {
	return c.regions[slices.Index(c.names, l.Region)]
}

func (c *scrubCluster) remove(l engine.ShardLocation) {
	c.t.Helper()
	if _, err := c.regionOf(l).Delete(context.Background(), l.Bucket, []string{l.Key}); err != nil {
		c.t.Fatal(err)
	}
}

// rewrite replaces a shard's bytes with what change makes of them.
func (c *scrubCluster) rewrite(l engine.ShardLocation, change func([]byte) []byte) {
	c.t.Helper()
	ctx := context.Background()
	b := c.regionOf(l)
	rc, err := b.Get(ctx, l.Bucket, l.Key, 0, -1)
	if err != nil {
		c.t.Fatal(err)
	}
	data, _ := io.ReadAll(rc)
	rc.Close()
	data = change(data)
	if err := b.Put(ctx, l.Bucket, l.Key, bytes.NewReader(data), int64(len(data))); err != nil {
		c.t.Fatal(err)
	}
}

func (c *scrubCluster) exists(l engine.ShardLocation) bool {
	_, err := c.regionOf(l).Stat(context.Background(), l.Bucket, l.Key)
	return err == nil
}

func (c *scrubCluster) scrub(opts engine.ScrubOptions) engine.ScrubSummary {
	c.t.Helper()
	sum, err := c.e.Scrub(context.Background(), opts)
	if err != nil {
		c.t.Fatalf("scrub: %v", err)
	}
	return sum
}

// readAllWithOneDown reads every object back with each region down in
// turn.
func (c *scrubCluster) readAllWithOneDown() {
	c.t.Helper()
	for i, r := range c.regions {
		r.SetDown(true)
		for name, want := range c.bodies {
			bucket, key, _ := bytes.Cut([]byte(name), []byte("/"))
			rc, err := c.e.GetObject(context.Background(), string(bucket), string(key), engine.GetOptions{})
			if err != nil {
				c.t.Fatalf("GET %s with region %s down: %v", name, c.names[i], err)
			}
			got, err := io.ReadAll(rc)
			rc.Close()
			if err != nil || !bytes.Equal(got, want) {
				c.t.Fatalf("GET %s with region %s down: %d bytes, %v", name, c.names[i], len(got), err)
			}
		}
		r.SetDown(false)
		waitFor(c.t, func() bool { // reads go back to it once a probe closes its breaker
			c.e.ProbeRegions(context.Background())
			return !slices.ContainsFunc(c.e.Health(), func(h engine.RegionHealth) bool { return !h.Healthy })
		})
	}
}

type counts struct{ missing, corrupt, repaired, unrepairable, orphansFound, orphansPurged int64 }

func countsOf(s engine.ScrubSummary) counts {
	return counts{s.Missing, s.Corrupt, s.Repaired, s.Unrepairable, s.OrphansFound, s.OrphansPurged}
}

// TestScrubQuickFindsMissingAndWrongSize: a quick scrub lists each region
// once (no Get, no Stat), records a deleted shard and one of the wrong
// size missing, rewrites both, and a second scrub finds everything clean;
// every object then reads back with any one region down.
func TestScrubQuickFindsMissingAndWrongSize(t *testing.T) {
	c := newScrubCluster(t, 6)
	c.remove(c.shard("bkt", "obj-01", 0))
	c.rewrite(c.shard("bkt", "obj-03", 2), func(b []byte) []byte { return b[:len(b)-1] })
	for _, r := range c.regions {
		r.ResetCalls()
	}
	sum := c.scrub(engine.ScrubOptions{})
	if got, want := countsOf(sum), (counts{missing: 2, repaired: 2}); got != want || sum.Objects != 6 || sum.ShardsChecked != 18 || sum.BytesRead != 0 {
		t.Fatalf("quick scrub: %+v (objects %d, shards %d, bytes %d), want %+v, 6 objects, 18 shards, no bytes", got, sum.Objects, sum.ShardsChecked, sum.BytesRead, want)
	}
	for i, r := range c.regions {
		if n := r.Calls(faulty.OpList); n != 1 {
			t.Errorf("region %s: %d listings, want 1", c.names[i], n)
		}
		if n := r.Calls(faulty.OpStat); n != 0 {
			t.Errorf("region %s: %d Stats in a quick scrub", c.names[i], n)
		}
	}
	// The repairs read k shards of each of the two segments: nothing else.
	var gets int64
	for _, r := range c.regions {
		gets += r.Calls(faulty.OpGet)
	}
	if gets != 4 {
		t.Errorf("%d Gets, want 4 (two shards of each repaired segment)", gets)
	}
	if again := c.scrub(engine.ScrubOptions{Deep: true}); !again.Clean() || again.ShardsChecked != 18 {
		t.Fatalf("deep scrub after the repair: %+v", again)
	}
	c.readAllWithOneDown()
}

// TestScrubDeepFindsCorruption: a flipped byte is invisible to a quick
// scrub (the size is right) and found by a deep one, which reads every
// shard, records it corrupt and rewrites it.
func TestScrubDeepFindsCorruption(t *testing.T) {
	c := newScrubCluster(t, 4)
	flip := func(off int) func([]byte) []byte {
		return func(b []byte) []byte { b[off] ^= 0x40; return b }
	}
	c.rewrite(c.shard("bkt", "obj-00", 1), flip(70_000))
	c.rewrite(c.shard("bkt", "obj-02", 0), flip(3)) // the header
	if quick := c.scrub(engine.ScrubOptions{}); !quick.Clean() {
		t.Fatalf("quick scrub: %+v, want clean (sizes are right)", quick)
	}
	sum := c.scrub(engine.ScrubOptions{Deep: true})
	if got, want := countsOf(sum), (counts{corrupt: 2, repaired: 2}); got != want {
		t.Fatalf("deep scrub: %+v, want %+v", got, want)
	}
	shardSize := sum.BytesRead / 10 // 12 shards, 2 of them not read whole
	if sum.BytesRead <= 0 || sum.BytesRead%shardSize != 0 {
		t.Fatalf("bytes read %d: want 10 whole shards", sum.BytesRead)
	}
	if again := c.scrub(engine.ScrubOptions{Deep: true}); !again.Clean() || again.BytesRead != 12*shardSize {
		t.Fatalf("second deep scrub: %+v", again)
	}
	c.readAllWithOneDown()
}

// TestScrubRefillsWipedBucket: a region loses the whole backend bucket.
// The scrub's listing meets NoSuchBucket, records the bucket lost (every
// shard it held is missing), and rewrites them all.
func TestScrubRefillsWipedBucket(t *testing.T) {
	c := newScrubCluster(t, 5)
	ctx := context.Background()
	bb := c.e.BackendBucket("bkt")
	wiped := c.regions[1]
	var keys []string
	wiped.List(ctx, bb, "", func(oi backends.ObjectInfo) bool { keys = append(keys, oi.Key); return true })
	if _, err := wiped.Delete(ctx, bb, keys); err != nil {
		t.Fatal(err)
	}
	if err := wiped.DeleteBucket(ctx, bb); err != nil {
		t.Fatal(err)
	}
	sum := c.scrub(engine.ScrubOptions{})
	if got, want := countsOf(sum), (counts{missing: 5, repaired: 5}); got != want {
		t.Fatalf("scrub of a wiped bucket: %+v, want %+v", got, want)
	}
	for i := range 5 {
		if l := c.shard("bkt", fmt.Sprintf("obj-%02d", i), 1); !c.exists(l) {
			t.Fatalf("shard %s not rewritten", l.Key)
		}
	}
	if again := c.scrub(engine.ScrubOptions{Deep: true}); !again.Clean() {
		t.Fatalf("deep scrub after the refill: %+v", again)
	}
	c.readAllWithOneDown()
}

// TestScrubNamesUnrepairable: an object that lost two shards of a 2+1
// segment cannot be rebuilt: the scrub names it, leaves it alone, and
// still repairs the others.
func TestScrubNamesUnrepairable(t *testing.T) {
	c := newScrubCluster(t, 4)
	c.remove(c.shard("bkt", "obj-02", 0))
	c.remove(c.shard("bkt", "obj-02", 2))
	c.remove(c.shard("bkt", "obj-03", 1))
	sum := c.scrub(engine.ScrubOptions{Deep: true})
	if got, want := countsOf(sum), (counts{missing: 3, repaired: 1, unrepairable: 1}); got != want {
		t.Fatalf("scrub: %+v, want %+v", got, want)
	}
	if len(sum.UnrepairableObjects) != 1 || sum.UnrepairableObjects[0] != (engine.ObjectName{Bucket: "bkt", Key: "obj-02"}) || sum.Healthy() {
		t.Fatalf("unrepairable objects %v (healthy %v), want bkt/obj-02", sum.UnrepairableObjects, sum.Healthy())
	}
	// Known now: the next scrub still names it, and records nothing new.
	again := c.scrub(engine.ScrubOptions{})
	if got, want := countsOf(again), (counts{unrepairable: 1}); got != want {
		t.Fatalf("second scrub: %+v, want %+v", got, want)
	}
}

// TestScrubDryRunChangesNothing: a dry run counts what is wrong and
// records, repairs and deletes nothing.
func TestScrubDryRunChangesNothing(t *testing.T) {
	c := newScrubCluster(t, 3)
	gone := c.shard("bkt", "obj-01", 2)
	c.remove(gone)
	orphan := c.e.BackendBucket("bkt")
	if err := c.regions[0].Put(context.Background(), orphan, "leftover", bytes.NewReader([]byte("x")), 1); err != nil {
		t.Fatal(err)
	}
	c.offset.Store(int64(48 * time.Hour))
	last := c.e.LastIndex()
	sum := c.scrub(engine.ScrubOptions{DryRun: true})
	if got, want := countsOf(sum), (counts{missing: 1, orphansFound: 1}); got != want {
		t.Fatalf("dry run: %+v, want %+v", got, want)
	}
	if c.e.LastIndex() != last || c.exists(gone) {
		t.Fatalf("the dry run changed something: log %d → %d", last, c.e.LastIndex())
	}
	if _, err := c.regions[0].Stat(context.Background(), orphan, "leftover"); err != nil {
		t.Fatalf("the dry run deleted the orphan: %v", err)
	}
	if sum := c.scrub(engine.ScrubOptions{}); countsOf(sum) != (counts{missing: 1, repaired: 1, orphansFound: 1, orphansPurged: 1}) {
		t.Fatalf("scrub after the dry run: %+v", countsOf(sum))
	}
}

// TestScrubCollectsOldOrphansOnly: backend objects no event references are
// deleted once older than the grace, whatever their key looks like; young
// ones, and the shards of every known blob (objects, uploads in progress),
// stay.
func TestScrubCollectsOldOrphansOnly(t *testing.T) {
	c := newScrubCluster(t, 3)
	ctx := context.Background()
	up, err := c.e.CreateUpload(ctx, "bkt", "in-progress", "", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	part, err := c.e.UploadPart(ctx, up.UploadID, 1, engine.PutInput{Bucket: "bkt", Key: "in-progress", Size: 1000, Body: bytes.NewReader(payload(9, 1000))})
	if err != nil {
		t.Fatal(err)
	}
	c.e.WaitWrites()
	bb := c.e.BackendBucket("bkt")
	real := c.shard("bkt", "obj-00", 0)
	blob, _, _ := strings.Cut(real.Key[3:], ".") // fanout: "<2 hex>/<blob hex>.0.0"
	orphans := []string{
		"00/00112233445566778899aabbccddeeff.0.0", // a shard key of no known blob
		real.Key[:3] + blob + ".7.0",              // a segment the blob does not have
		blob + "/0/0",                             // its shard in another key layout
		"not-a-shard",
	}
	for _, k := range orphans {
		if err := c.regions[0].Put(ctx, bb, k, bytes.NewReader([]byte("orphan")), 6); err != nil {
			t.Fatal(err)
		}
	}
	if sum := c.scrub(engine.ScrubOptions{}); !sum.Clean() {
		t.Fatalf("young orphans: %+v, want nothing found", sum)
	}
	c.offset.Store(int64(25 * time.Hour))
	sum := c.scrub(engine.ScrubOptions{})
	if got, want := countsOf(sum), (counts{orphansFound: 4, orphansPurged: 4}); got != want {
		t.Fatalf("old orphans: %+v, want %+v", got, want)
	}
	var left []string
	c.regions[0].List(ctx, bb, "", func(oi backends.ObjectInfo) bool { left = append(left, oi.Key); return true })
	for _, k := range orphans {
		if slices.Contains(left, k) {
			t.Errorf("orphan %s left", k)
		}
	}
	if len(left) != 4 { // three objects and the part, shard 0 each
		t.Fatalf("region a holds %v after the orphans went, want 4 shards", left)
	}
	if _, err := c.e.CompleteUpload(ctx, "bkt", "in-progress", up.UploadID, []engine.CompletePart{{Number: 1, ETag: part.ETag}}, engine.Conditions{}); err != nil {
		t.Fatalf("complete the upload whose part the scrub saw: %v", err)
	}
}

// TestScrubPartialListingDeletesNothing: a listing cut off part-way on one
// region leaves every orphan there (and concludes no shard missing there),
// says so, and the scrub is not healthy; the other regions are scrubbed.
func TestScrubPartialListingDeletesNothing(t *testing.T) {
	c := newScrubCluster(t, 4)
	ctx := context.Background()
	bb := c.e.BackendBucket("bkt")
	for _, r := range c.regions {
		if err := r.Put(ctx, bb, "zz-orphan", bytes.NewReader([]byte("o")), 1); err != nil {
			t.Fatal(err)
		}
	}
	c.offset.Store(int64(48 * time.Hour))
	c.regions[1].FailListAfter(2)
	sum := c.scrub(engine.ScrubOptions{})
	if got, want := countsOf(sum), (counts{orphansFound: 2, orphansPurged: 2}); got != want {
		t.Fatalf("scrub with a listing cut off: %+v, want %+v", got, want)
	}
	if sum.Failed != 1 || sum.Healthy() || len(sum.Failures) != 1 {
		t.Fatalf("failures %d %q, healthy %v: want the cut-off listing reported", sum.Failed, sum.Failures, sum.Healthy())
	}
	if _, err := c.regions[1].Stat(ctx, bb, "zz-orphan"); err != nil {
		t.Fatalf("the orphan on the region whose listing failed was deleted: %v", err)
	}
	if sum.ShardsChecked != 4*2+2 {
		t.Fatalf("%d shards checked, want 10 (every shard of a and c, two of b)", sum.ShardsChecked)
	}
	if again := c.scrub(engine.ScrubOptions{}); countsOf(again) != (counts{orphansFound: 1, orphansPurged: 1}) || !again.Healthy() {
		t.Fatalf("scrub with whole listings: %+v", again)
	}
}

// TestScrubResumesFromCheckpoint: a deep scrub cut off after five objects
// keeps its position; the next one reads only the shards of the objects
// after it, and its summary covers the whole walk.
func TestScrubResumesFromCheckpoint(t *testing.T) {
	c := newScrubCluster(t, 12)
	c.remove(c.shard("bkt", "obj-02", 1)) // before the cut
	c.remove(c.shard("bkt", "obj-09", 1)) // after it
	cp := filepath.Join(t.TempDir(), "scrub.json")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	opts := engine.ScrubOptions{Deep: true, Checkpoint: cp, Progress: func(p engine.ScrubProgress) {
		if p.Objects == 5 {
			cancel()
		}
	}}
	first, err := c.e.Scrub(ctx, opts)
	if !errors.Is(err, context.Canceled) || first.Complete {
		t.Fatalf("cut-off scrub: %v, complete %v", err, first.Complete)
	}
	if _, err := os.Stat(cp); err != nil {
		t.Fatalf("no checkpoint: %v", err)
	}
	for _, r := range c.regions {
		r.ResetCalls()
	}
	opts.Progress = nil
	sum := c.scrub(opts)
	if !sum.Resumed || !sum.Complete || sum.Objects != 12 || sum.ShardsChecked != 36 || countsOf(sum) != (counts{missing: 2, repaired: 2}) {
		t.Fatalf("resumed scrub: resumed %v complete %v objects %d shards %d %+v", sum.Resumed, sum.Complete, sum.Objects, sum.ShardsChecked, countsOf(sum))
	}
	// Verification reads of obj-05 … obj-11 (20 shards: one is missing)
	// plus the two shards the repair of obj-09 reads.
	var gets int64
	for _, r := range c.regions {
		gets += r.Calls(faulty.OpGet)
	}
	if gets != 7*3-1+2 {
		t.Fatalf("%d Gets in the resumed scrub, want 22: it did not start from the checkpoint", gets)
	}
	if _, err := os.Stat(cp); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("checkpoint left after a complete scrub: %v", err)
	}
	// A scrub of another scope does not take a checkpoint it cannot use.
	first, _ = c.e.Scrub(ctx, opts) // ctx is cancelled: cut off at once
	if quick := c.scrub(engine.ScrubOptions{Checkpoint: cp}); quick.Resumed || quick.Objects != 12 {
		t.Fatalf("quick scrub over a deep checkpoint: resumed %v, %d objects", quick.Resumed, quick.Objects)
	}
}

// TestScrubChecksCopiedBlobs: a copy to another bucket references the
// source's blob, whose shards stay in the source's backend bucket after
// the source is deleted; scrubbing the copy's bucket checks them (a Stat
// each) and repairs them there.
func TestScrubChecksCopiedBlobs(t *testing.T) {
	c := newScrubCluster(t, 1)
	ctx := context.Background()
	if err := c.e.CreateBucket(ctx, "copies", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := c.e.CopyObject(ctx, engine.CopyInput{SrcBucket: "bkt", SrcKey: "obj-00", Bucket: "copies", Key: "copy"}); err != nil {
		t.Fatal(err)
	}
	l := c.shard("copies", "copy", 0)
	if l.Bucket != c.e.BackendBucket("bkt") {
		t.Fatalf("the copy's shard is in %s, want the source's backend bucket", l.Bucket)
	}
	if err := c.e.DeleteObject(ctx, "bkt", "obj-00"); err != nil {
		t.Fatal(err)
	}
	c.remove(l)
	sum := c.scrub(engine.ScrubOptions{Bucket: "copies"})
	if got, want := countsOf(sum), (counts{missing: 1, repaired: 1}); got != want || sum.ShardsChecked != 3 {
		t.Fatalf("scrub of the copies: %+v, %d shards checked; want %+v, 3", got, sum.ShardsChecked, want)
	}
	if !c.exists(l) {
		t.Fatal("the copied blob's shard was not rewritten")
	}
}

// TestScrubOneAtATime: a scrub started while another runs is refused.
func TestScrubOneAtATime(t *testing.T) {
	c := newScrubCluster(t, 2)
	var inner error
	c.scrub(engine.ScrubOptions{Progress: func(engine.ScrubProgress) {
		if inner == nil {
			_, inner = c.e.Scrub(context.Background(), engine.ScrubOptions{})
		}
	}})
	if !errors.Is(inner, engine.ErrScrubRunning) {
		t.Fatalf("second scrub: %v, want ErrScrubRunning", inner)
	}
}

// TestBackgroundScrubRepairs: the background scrubber, due at once, finds
// a shard deleted behind the engine's back (completion does not know of
// it) and rewrites it; its status shows the completed passes.
func TestBackgroundScrubRepairs(t *testing.T) {
	c := newScrubCluster(t, 3)
	gone := c.shard("bkt", "obj-01", 1)
	c.remove(gone)
	c.cfg.NoBackground = false
	c.cfg.ScrubInterval = time.Millisecond
	c.cfg.DeepScrubInterval = -1
	c.restart()
	waitFor(t, func() bool { return c.exists(gone) })
	waitFor(t, func() bool {
		st := c.e.ScrubStatus()
		return !st.LastQuick.IsZero() && st.Last != nil && st.Last.Objects == 3
	})
	st := c.e.ScrubStatus()
	if !st.Enabled || !st.LastDeep.IsZero() || st.Last.Deep {
		t.Fatalf("status %+v: want enabled, never deep", st)
	}
}
