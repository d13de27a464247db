package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/prismd/prismd/backends"
	"github.com/prismd/prismd/engine/datapath"
	plog "github.com/prismd/prismd/log"
	"github.com/prismd/prismd/projections"
)

// purgeBatch is the most keys one backend delete call carries (S3's limit).
const purgeBatch = 1000

// RunPurge makes one pass over the purge queue: for every region, it deletes
// the shards of queued blobs in batches and logs ShardsPurged for each blob
// whose shards are all gone from that region. Regions that are down are
// skipped. It returns how many (blob, region) pairs it purged and how many
// are left.
func (e *Engine) RunPurge(ctx context.Context) (purged, left int, err error) {
	// region → backend bucket → pending deletes
	type target struct{ region, bucket string }
	type job struct {
		blob plog.BlobID
		keys []string
	}
	jobs := map[target][]job{}
	var targets []target
	notAfter := e.now().Add(-e.cfg.PurgeDelay).UnixNano()
	e.view().PurgeQueue(func(it projections.PurgeItem) bool {
		if e.isWriting(it.Blob.ID) || e.pins.pinned(it.Blob.ID) || it.Queued > notAfter {
			// A PUT still writing it, readers still streaming it, or
			// queued less than PurgeDelay ago (a point-in-time restore
			// within that window finds its bytes).
			left += len(it.Regions)
			return true
		}
		keys := blobKeys(it.Blob)
		for _, region := range it.Regions {
			t := target{region, e.backendBucket(it.Blob.Bucket)}
			if _, ok := jobs[t]; !ok {
				targets = append(targets, t)
			}
			jobs[t] = append(jobs[t], job{it.Blob.ID, keys})
		}
		return true
	})
	for _, t := range targets {
		r := e.region(t.region)
		if r == nil {
			// The region was removed: nothing of it can be purged any more.
			for _, j := range jobs[t] {
				if _, err := e.append(ctx, plog.ShardsPurged{Blob: j.blob, Region: t.region}); err != nil {
					return purged, left, err
				}
				purged++
			}
			continue
		}
		pending := jobs[t]
		for len(pending) > 0 {
			if !r.available() {
				left += len(pending)
				break
			}
			// Fill one batch with whole blobs that no reader holds; the
			// claim keeps new readers away until the batch is done.
			var batch []job
			var keys []string
			for len(pending) > 0 && (len(keys) == 0 || len(keys)+len(pending[0].keys) <= purgeBatch) {
				j := pending[0]
				pending = pending[1:]
				if !e.pins.claim(j.blob) {
					left++
					continue
				}
				// A copy may have referenced the blob again (while pinning
				// it) since the queue was read: a view taken after the
				// claim shows it.
				if b, ok := e.view().Blob(j.blob); !ok || !b.Purging {
					e.pins.release(j.blob)
					continue
				}
				batch = append(batch, j)
				keys = append(keys, j.keys...)
			}
			if len(batch) == 0 {
				continue
			}
			done, err := e.deleteBatch(ctx, r, t.bucket, keys)
			release := func() {
				for _, j := range batch {
					e.pins.release(j.blob)
				}
			}
			if err != nil {
				release()
				left += len(batch) + len(pending)
				e.logger.Debug("purge", "region", t.region, "err", err)
				break
			}
			var evs []plog.Event
			off := 0
			for _, j := range batch {
				ok := true
				for i := range j.keys {
					ok = ok && done[off+i]
				}
				off += len(j.keys)
				if ok {
					evs = append(evs, plog.ShardsPurged{Blob: j.blob, Region: t.region})
				} else {
					left++
				}
			}
			if len(evs) > 0 {
				_, err := e.append(ctx, evs...)
				release()
				if err != nil {
					return purged, left, err
				}
				purged += len(evs)
			} else {
				release()
			}
		}
	}
	return purged, left, nil
}

// deleteBatch deletes keys on one region and reports which are gone.
func (e *Engine) deleteBatch(ctx context.Context, r *region, bucket string, keys []string) ([]bool, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	errs, err := r.backend.Delete(ctx, bucket, keys)
	if errors.Is(err, backends.ErrNoSuchBucket) {
		r.outcome(nil)
		done := make([]bool, len(keys))
		for i := range done {
			done[i] = true
		}
		return done, nil
	}
	r.outcome(err)
	if err != nil {
		return nil, fmt.Errorf("delete %d keys on %s: %w", len(keys), r.name, err)
	}
	done := make([]bool, len(keys))
	for i := range keys {
		done[i] = i >= len(errs) || errs[i] == nil || errors.Is(errs[i], backends.ErrNotFound) || errors.Is(errs[i], backends.ErrNoSuchBucket)
	}
	return done, nil
}

// blobKeys lists every backend key a blob may have on any region.
func blobKeys(b projections.Blob) []string {
	var keys []string
	for seg := range datapath.SegmentCount(b.Layout, b.Size) {
		for sh := range b.Layout.K + b.Layout.M {
			keys = append(keys, datapath.Key(b.Layout.Keys, b.ID, seg, sh))
		}
	}
	return keys
}
