package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/prismd/prismd/backends"
	"github.com/prismd/prismd/engine/datapath"
	plog "github.com/prismd/prismd/log"
	"github.com/prismd/prismd/projections"
)

// bucket scrubs the objects of one client bucket after key `after`: the
// quick check of their shards (one listing per region), then object by
// object the deep check and the repairs.
func (run *scrubRun) bucket(ctx context.Context, bucket, after string) error {
	v := run.e.view()
	c := run.expected(func() *projections.View { return v }, bucket, after)
	if err := run.listRegions(ctx, c); err != nil {
		return err
	}
	defer run.releaseAll()
	if err := run.recordMissing(ctx, c); err != nil {
		return err
	}
	c.regions, c.foreign = nil, nil
	unrepairable := map[plog.BlobID]bool{} // blobs checked, and whether they are unrepairable
	var err error
	walkObjects(run.e.view, bucket, run.opts.Prefix, after, func(o projections.Object) bool {
		start := time.Now()
		lost := false
		for _, x := range o.Extents {
			bad, checked := unrepairable[x.Blob]
			if !checked {
				if bad, err = run.checkBlob(ctx, x.Blob, c); err != nil {
					return false
				}
				unrepairable[x.Blob] = bad
			}
			lost = lost || bad
		}
		run.sum.Objects++
		if lost {
			run.sum.unrepairable(ObjectName{Bucket: bucket, Key: o.Key})
			run.e.logger.Error("scrub: object has lost more shards than it can rebuild", "bucket", bucket, "key", o.Key)
		}
		if err = run.pace.worked(ctx, time.Since(start)); err != nil {
			return false
		}
		err = run.advance(bucket, o.Key)
		return err == nil
	})
	return err
}

// walkObjects calls fn for every version (delete markers aside: they have
// no data) of every object of bucket under prefix with a key after
// `after`, in key order, until fn returns false. Each page of 1000 comes
// from a view taken when the page is read.
func walkObjects(view func() *projections.View, bucket, prefix, after string, fn func(projections.Object) bool) {
	q := projections.VersionQuery{Prefix: prefix, KeyMarker: after, Max: 1000}
	for {
		page := view().ListVersions(bucket, q)
		for _, x := range page.Versions {
			if !x.DeleteMarker && !fn(x.Object) {
				return
			}
		}
		if !page.Truncated {
			return
		}
		q.KeyMarker, q.VersionIDMarker = page.NextKeyMarker, page.NextVersionIDMarker
	}
}

// checkBlob verifies (deep mode) and repairs every segment of one blob,
// pinned against purge and claimed against completion meanwhile; it
// reports whether a segment has fewer than k good shards. A blob being
// deleted is left alone, and one a PUT still writes is not repaired.
func (run *scrubRun) checkBlob(ctx context.Context, id plog.BlobID, c *bucketCheck) (bool, error) {
	e := run.e
	ids := []plog.BlobID{id}
	if !e.pins.pin(ids) {
		return false, nil // the purge is deleting it: its object is gone
	}
	defer e.pins.unpin(ids)
	own := run.opts.DryRun || run.claim(id)
	defer run.release(id)
	b, ok := e.view().Blob(id)
	if !ok || b.Refs == 0 || b.Purging {
		return false, nil
	}
	// What a resumed scrub does again is counted once the blob is done:
	// the listing's checks, a dry run's finds, the bytes verified.
	checked, missing, read := int64(c.checked[id]), int64(0), run.sum.BytesRead
	lost := false
	for seg := range b.Segments {
		for sh := range b.Shards {
			if _, found := c.bad[shardRef{id, int32(seg), int32(sh)}]; found && run.opts.DryRun {
				missing++ // found by the listing (see recordMissing)
			}
		}
		if run.opts.Deep {
			if err := run.verifySegment(ctx, b, seg, c.bad); err != nil {
				run.sum.BytesRead = read
				return lost, err
			}
		}
		u, err := run.repairSegment(ctx, id, seg, c.bad, own)
		if err != nil {
			run.sum.BytesRead = read
			return lost, err
		}
		lost = lost || u
	}
	run.sum.ShardsChecked += checked
	run.sum.Missing += missing
	delete(c.checked, id)
	return lost, nil
}

// verifySegment reads every stored shard of one segment whole, all at
// once, through the data path's verifying reader; shards that do not
// verify or are gone are recorded (corrupt, missing) and marked bad.
func (run *scrubRun) verifySegment(ctx context.Context, b projections.Blob, seg int, bad map[shardRef]badShard) error {
	e := run.e
	s := e.segment(b, seg)
	type result struct {
		n   int64
		err error
		ran bool
	}
	results := make([]result, len(s.Shards))
	var wg sync.WaitGroup
	for i, reg := range s.Shards {
		if _, known := bad[shardRef{b.ID, int32(seg), int32(i)}]; reg == nil || known {
			continue
		}
		wg.Go(func() {
			n, err := datapath.Verify(ctx, reg, s, i)
			results[i] = result{n, err, true}
		})
	}
	wg.Wait()
	var evs []plog.Event
	var read int64
	for i, res := range results {
		if !res.ran {
			continue
		}
		region := b.ShardRegion(seg, i)
		ref := shardRef{b.ID, int32(seg), int32(i)}
		switch err := res.err; {
		case err == nil:
			read += res.n
		case errors.Is(err, datapath.ErrCorrupt):
			run.sum.Corrupt++
			bad[ref] = badShard{region: region, detail: err.Error()}
			evs = append(evs, plog.ShardCorrupt{Blob: b.ID, Segment: seg, Shard: i, Region: region, Detail: err.Error()})
			e.logger.Warn("scrub: shard corrupt", "blob", fmt.Sprintf("%x", b.ID), "segment", seg, "shard", i, "region", region, "detail", err.Error())
		case errors.Is(err, backends.ErrNotFound):
			run.sum.Missing++
			bad[ref] = badShard{region: region}
			evs = append(evs, plog.ShardMissing{Blob: b.ID, Segment: seg, Shard: i, Region: region})
		case ctx.Err() != nil:
			return ctx.Err()
		default:
			if errors.Is(err, backends.ErrNoSuchBucket) {
				if r := e.region(region); r != nil {
					e.suspect(r) // its backend bucket went away during the scrub
				}
			}
			run.sum.fail("shard %s on %s not verified: %v", datapath.Key(b.Layout.Keys, b.ID, seg, i), region, err)
		}
	}
	run.sum.BytesRead += read
	if len(evs) > 0 && !run.opts.DryRun {
		if _, err := e.append(ctx, evs...); err != nil {
			return err
		}
	}
	return run.pace.read(ctx, read)
}

// repairSegment rewrites the pending shards of one segment through
// completion's path (ShardRepaired), unless it has fewer than k good
// shards (it reports true: unrepairable), the scrub is a dry run, or the
// scrub does not own the blob (a PUT still writes it).
func (run *scrubRun) repairSegment(ctx context.Context, id plog.BlobID, seg int, bad map[shardRef]badShard, own bool) (bool, error) {
	e := run.e
	b, ok := e.view().Blob(id) // with what the scrub recorded
	if !ok {
		return false, nil
	}
	var pending []int
	good := 0
	for sh := range b.Shards {
		_, found := bad[shardRef{id, int32(seg), int32(sh)}]
		switch st := b.ShardState(seg, sh); {
		case st == "stored" && !(found && run.opts.DryRun):
			good++
		case st != "purged":
			pending = append(pending, sh) // a dry run's finds are still "stored"
		}
	}
	if good < b.Layout.K {
		return true, nil
	}
	if len(pending) == 0 || run.opts.DryRun || !own {
		return false, nil
	}
	n, err := e.completeSegment(ctx, b, seg, pending)
	run.sum.Repaired += int64(n)
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if n < len(pending) {
		run.sum.fail("segment %d of blob %x (%s/%s): %d of %d shards rewritten: %v", seg, id, b.Bucket, b.Key, n, len(pending), err)
	}
	return false, nil
}

// claim marks a blob as the scrub's to repair: completion and purge leave
// a blob alone while it is in e.writing, as while a PUT writes it. It
// returns false when a PUT holds it.
func (run *scrubRun) claim(id plog.BlobID) bool {
	if run.claimed[id] {
		return true
	}
	if _, held := run.e.writing.LoadOrStore(id, struct{}{}); held {
		return false
	}
	if run.claimed == nil {
		run.claimed = map[plog.BlobID]bool{}
	}
	run.claimed[id] = true
	return true
}

// release ends a claim.
func (run *scrubRun) release(id plog.BlobID) {
	if run.claimed[id] {
		run.e.writing.Delete(id)
		delete(run.claimed, id)
	}
}

// releaseAll ends every claim.
func (run *scrubRun) releaseAll() {
	for id := range run.claimed {
		run.release(id)
	}
}
