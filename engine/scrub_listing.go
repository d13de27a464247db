package engine

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/prismd/prismd/backends"
	"github.com/prismd/prismd/engine/datapath"
	plog "github.com/prismd/prismd/log"
	"github.com/prismd/prismd/projections"
)

// The quick check of one client bucket: the shards its objects should have
// on each region, from the projections, against one listing per region of
// the bucket's backend bucket. Memory is a set of the expected shards of
// one bucket (from the scrub's position on) and the bad ones found.

// shardRef names one shard of one blob.
type shardRef struct {
	blob  plog.BlobID
	seg   int32
	shard int32
}

// badShard is a shard a scrub found missing or corrupt, on its region.
type badShard struct {
	region string
	detail string // "" for missing
}

// storedShard is what a listing should show of a stored shard: its key's
// layout (that of its blob) and its size.
type storedShard struct {
	keys plog.KeyLayout
	size int64
}

// foreignShard is a stored shard of a blob of another bucket (a copy
// references it): it is in that bucket's backend bucket, and checked with
// a Stat of its own.
type foreignShard struct {
	ref    shardRef
	keys   plog.KeyLayout
	region string
	bucket string // backend bucket
	size   int64
}

// bucketCheck is what a scrub expects of one client bucket's shards, and
// the bad ones it found.
type bucketCheck struct {
	bucket  string
	regions map[string]map[shardRef]storedShard // region → stored shard → its key layout and size
	foreign []foreignShard
	bad     map[shardRef]badShard
	lost    []*region // regions whose backend bucket is gone
	// checked counts, per blob, the shards a listing (or a Stat) found
	// present or absent; they are added to the summary as the walk reaches
	// the blob, so that a scrub resumed mid-bucket does not count them twice.
	checked map[plog.BlobID]int32
}

// expected collects the stored shards of the objects of bucket after key
// `after` (under the scrub's prefix), by region.
func (run *scrubRun) expected(view func() *projections.View, bucket, after string) *bucketCheck {
	v := view()
	c := &bucketCheck{bucket: bucket, regions: map[string]map[shardRef]storedShard{}, bad: map[shardRef]badShard{}, checked: map[plog.BlobID]int32{}}
	for _, name := range run.e.regionNames() {
		c.regions[name] = map[shardRef]storedShard{}
	}
	seen := map[plog.BlobID]bool{}
	walkObjects(view, bucket, run.opts.Prefix, after, func(o projections.Object) bool {
		for _, x := range o.Extents {
			if seen[x.Blob] {
				continue
			}
			seen[x.Blob] = true
			b, ok := v.Blob(x.Blob)
			if !ok {
				continue
			}
			for seg := range datapath.SegmentCount(b.Layout, b.Size) {
				size := datapath.SegmentGeometry(b.Layout, b.Size, seg).ShardSize()
				for sh := range b.Shards {
					region := b.ShardRegion(seg, sh)
					shards := c.regions[region]
					if b.ShardState(seg, sh) != "stored" || shards == nil {
						continue
					}
					ref := shardRef{b.ID, int32(seg), int32(sh)}
					if b.Bucket == bucket {
						shards[ref] = storedShard{keys: b.Layout.Keys, size: size}
					} else {
						c.foreign = append(c.foreign, foreignShard{ref: ref, keys: b.Layout.Keys, region: region, bucket: run.e.backendBucket(b.Bucket), size: size})
					}
				}
			}
		}
		return true
	})
	return c
}

// listRegions compares every region's listing of the bucket's backend
// bucket with what is expected there, and Stats the foreign shards.
func (run *scrubRun) listRegions(ctx context.Context, c *bucketCheck) error {
	b, _ := run.e.view().Bucket(c.bucket)
	for _, name := range run.e.regionNames() {
		if err := ctx.Err(); err != nil {
			return err
		}
		r := run.e.region(name)
		if r == nil || !b.ReadyOn(name) && len(c.regions[name]) == 0 {
			continue
		}
		start := time.Now()
		if err := run.listRegion(ctx, r, c); err != nil {
			return err
		}
		run.report()
		if err := run.pace.worked(ctx, time.Since(start)); err != nil {
			return err
		}
	}
	for _, f := range c.foreign {
		if err := ctx.Err(); err != nil {
			return err
		}
		r := run.e.region(f.region)
		if r == nil || !r.available() {
			run.sum.fail("shard %s on %s: region unavailable, not checked", datapath.Key(f.keys, f.ref.blob, int(f.ref.seg), int(f.ref.shard)), f.region)
			continue
		}
		key := datapath.Key(f.keys, f.ref.blob, int(f.ref.seg), int(f.ref.shard))
		info, err := r.backend.Stat(ctx, f.bucket, key)
		r.outcome(err)
		switch {
		case err == nil && info.Size == f.size:
		case err == nil, errors.Is(err, backends.ErrNotFound):
			c.bad[f.ref] = badShard{region: f.region}
		default:
			run.sum.fail("shard %s on %s: %v", key, f.region, err)
			continue
		}
		c.checked[f.ref.blob]++
	}
	return nil
}

// listRegion lists the bucket's backend bucket on region r once and
// compares it with the shards expected there: a shard absent or of another
// size is bad (missing); the bucket gone is recorded lost. Orphans found
// in a complete listing are deleted.
func (run *scrubRun) listRegion(ctx context.Context, r *region, c *bucketCheck) error {
	expect := c.regions[r.name]
	bb := run.e.backendBucket(c.bucket)
	if !r.available() {
		run.sum.fail("region %s is unavailable: bucket %s not checked there, no orphan collected", r.name, c.bucket)
		return nil
	}
	collect := run.opts.Prefix == "" && run.opts.OrphanGrace >= 0
	cutoff := run.e.now().Add(-run.opts.OrphanGrace)
	var orphans []string
	listed := 0
	err := r.backend.List(ctx, bb, "", func(oi backends.ObjectInfo) bool {
		listed++
		blob, seg, shard, keys, ok := datapath.ParseKey(oi.Key)
		ref := shardRef{blob, int32(seg), int32(shard)}
		if stored, want := expect[ref]; ok && want && keys == stored.keys {
			delete(expect, ref)
			c.checked[ref.blob]++
			if oi.Size != stored.size {
				c.bad[ref] = badShard{region: r.name}
			}
			return true
		}
		if collect && oi.ModTime.Before(cutoff) {
			orphans = append(orphans, oi.Key)
		}
		return true
	})
	r.outcome(err)
	switch {
	case errors.Is(err, backends.ErrNoSuchBucket):
		// The whole backend bucket is gone: every shard it held is lost.
		for ref := range expect {
			c.bad[ref] = badShard{region: r.name}
			c.checked[ref.blob]++
		}
		c.lost = append(c.lost, r)
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	case err != nil:
		// A partial view: what was not listed may exist, and what looks
		// unreferenced may be a shard of a part not listed. Nothing is
		// concluded from it and nothing deleted.
		run.sum.fail("listing bucket %s on region %s failed after %d keys (%v): absent shards not checked, no orphan collected there", c.bucket, r.name, listed, err)
		clear(expect)
		return nil
	}
	for ref := range expect {
		c.bad[ref] = badShard{region: r.name}
		c.checked[ref.blob]++
	}
	clear(expect)
	return run.collectOrphans(ctx, r, bb, orphans)
}

// collectOrphans deletes the keys of a complete listing that name no
// known blob's shard, 1000 a call.
func (run *scrubRun) collectOrphans(ctx context.Context, r *region, bb string, candidates []string) error {
	// A view taken after the listing knows every blob whose shard it
	// listed (PutStarted is applied before a shard is written).
	v := run.e.view()
	var orphans []string
	for _, key := range candidates {
		// A key of a known blob in another layout than its blob's is a
		// stray (layouts never change), as is a shard index past its blob.
		blob, seg, shard, keys, ok := datapath.ParseKey(key)
		if ok {
			if b, known := v.Blob(blob); known && seg < b.Segments && shard < b.Shards && keys == b.Layout.Keys {
				continue
			}
		}
		orphans = append(orphans, key)
	}
	run.sum.OrphansFound += int64(len(orphans))
	if run.opts.DryRun || len(orphans) == 0 {
		return nil
	}
	purged := run.sum.OrphansPurged
	for len(orphans) > 0 {
		batch := orphans[:min(len(orphans), purgeBatch)]
		orphans = orphans[len(batch):]
		done, err := run.e.deleteBatch(ctx, r, bb, batch)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			run.sum.fail("delete %d orphans on region %s: %v", len(batch), r.name, err)
			continue
		}
		for i, ok := range done {
			if ok {
				run.sum.OrphansPurged++
			} else {
				run.sum.fail("delete orphan %s on region %s failed", batch[i], r.name)
			}
		}
	}
	run.e.logger.Info("scrub deleted orphaned backend objects", "region", r.name, "backend_bucket", bb, "count", run.sum.OrphansPurged-purged)
	return nil
}

// recordMissing records the shards found missing — a lost backend bucket
// with BackendBucketLost, the others with ShardMissing — and counts them.
// A dry run records nothing, and the walk counts them blob by blob
// instead: a dry run resumed mid-bucket finds them again, a scrub does
// not (they are no longer stored). A shard whose blob is being purged, or
// that is no longer stored where it was (a purge, a repair), is left out:
// what the listing missed was not lost. Their blobs are claimed first, so
// that completion leaves their repair to the scrub.
func (run *scrubRun) recordMissing(ctx context.Context, c *bucketCheck) error {
	v := run.e.view()
	var evs []plog.Event
	for ref, bad := range c.bad {
		b, ok := v.Blob(ref.blob)
		seg, sh := int(ref.seg), int(ref.shard)
		if !ok || b.Purging || b.Refs == 0 || b.ShardRegion(seg, sh) != bad.region || b.ShardState(seg, sh) != "stored" {
			delete(c.bad, ref)
			continue
		}
		if !run.opts.DryRun {
			run.sum.Missing++
			run.sum.ShardsChecked++
			c.checked[ref.blob]-- // counted now, not by the walk
		}
		if !slices.ContainsFunc(c.lost, func(r *region) bool { return r.name == bad.region }) {
			evs = append(evs, plog.ShardMissing{Blob: ref.blob, Segment: seg, Shard: sh, Region: bad.region})
		}
		if !run.opts.DryRun {
			run.claim(ref.blob)
		}
	}
	if run.opts.DryRun {
		return nil
	}
	for _, r := range c.lost {
		// Applied, it makes every shard stored there missing.
		if err := run.e.bucketLost(ctx, r, c.bucket); err != nil {
			return err
		}
	}
	for len(evs) > 0 {
		batch := evs[:min(len(evs), purgeBatch)]
		evs = evs[len(batch):]
		if _, err := run.e.append(ctx, batch...); err != nil {
			return err
		}
	}
	return nil
}
