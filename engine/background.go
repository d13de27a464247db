package engine

import (
	"context"
	"time"

	"github.com/prismd/prismd/projections"
)

// Background pacing: a pass runs when something is appended (at most every
// minInterval) and at least every maxInterval; a pass that leaves work it
// could not do doubles the wait up to maxInterval, so a region that is down
// is retried with backoff, never in a hot loop.
const (
	minInterval = 200 * time.Millisecond
	maxInterval = 15 * time.Second
)

// background runs region probes and identity checks, backend-bucket
// creation, purge, completion and local snapshots until ctx ends, and the
// background scrubber beside them (scrub_background.go).
func (e *Engine) background(ctx context.Context) {
	defer close(e.stopped)
	defer e.scrubInBackground(ctx)() // waits for the background scrubber to stop
	defer e.lifecycleInBackground(ctx)()
	wait := minInterval
	lastSnap, snapAt := e.log.LastIndex(), e.now()
	for {
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-e.wake:
			timer.Stop()
			select { // debounce a burst of appends
			case <-ctx.Done():
				return
			case <-time.After(minInterval):
			}
		case <-timer.C:
		}
		e.ProbeRegions(ctx)
		e.CheckRegions(ctx, false)
		e.ensureAllBackendBuckets(ctx)
		// Purge first: on a region whose disk is full, the space it frees
		// is what lets completion's writes succeed.
		purged, left, _ := e.RunPurge(ctx)
		written, failed, _ := e.RunCompletion(ctx)
		if failed > 0 || left > 0 {
			if written == 0 && purged == 0 {
				wait = min(2*wait, maxInterval)
			} else {
				wait = minInterval
			}
		} else {
			wait = maxInterval
		}
		if e.shipping != nil {
			e.shipping.sync()
		}
		if last := e.log.LastIndex(); e.snapshotDue(last-lastSnap, e.now().Sub(snapAt)) {
			if _, err := e.Snapshot(); err != nil {
				e.logger.Warn("snapshot", "err", err)
			}
			lastSnap, snapAt = last, e.now()
		}
	}
}

// snapshotDue says whether a snapshot is due, events and elapsed since the
// last one: after SnapshotEvery events — or as many events as the state
// holds records, when that is more (a snapshot costs what the state
// holds: taking, shipping and loading one stays a small part of the
// work) — and after SnapshotInterval when any event came.
func (e *Engine) snapshotDue(events uint64, elapsed time.Duration) bool {
	if e.cfg.SnapshotEvery < 0 || events == 0 {
		return false
	}
	_, objects, blobs, _, _ := e.view().Counts()
	every := max(uint64(e.cfg.SnapshotEvery), uint64(objects+blobs))
	return events >= every || elapsed >= e.cfg.SnapshotInterval
}

// ensureAllBackendBuckets creates missing backend buckets on regions that are up.
func (e *Engine) ensureAllBackendBuckets(ctx context.Context) {
	regions := e.regionNames()
	for _, b := range e.view().Buckets() {
		var missing []string
		for _, r := range regions {
			if !b.ReadyOn(r) {
				missing = append(missing, r)
			}
		}
		if len(missing) > 0 {
			ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			e.ensureBackendBuckets(ctx, b.Name, missing)
			cancel()
		}
	}
}

// Pending reports the work the background workers still have: shards to
// write or repair and (blob, region) pairs to purge.
func (e *Engine) Pending() (shards, purges int) {
	v := e.view()
	v.PendingShards(func(p projections.PendingShard) bool { shards++; return true })
	v.PurgeQueue(func(p projections.PurgeItem) bool { purges += len(p.Regions); return true })
	return shards, purges
}

// RegionUsage is what a region stores and still owes.
type RegionUsage struct {
	Shards  int64 // shards stored
	Bytes   int64 // bytes of shard data stored
	Pending int64 // shards to write or repair there
	Purges  int64 // blobs whose data is still to be deleted there
}

// Usage reports per-region usage, for metrics and the management UI.
func (e *Engine) Usage() map[string]RegionUsage {
	out := map[string]RegionUsage{}
	for name, u := range e.view().Usage() {
		out[name] = RegionUsage{Shards: u.Shards, Bytes: u.Bytes, Pending: u.Pending}
	}
	for _, name := range e.regionNames() {
		if _, ok := out[name]; !ok {
			out[name] = RegionUsage{}
		}
	}
	e.view().PurgeQueue(func(p projections.PurgeItem) bool {
		for _, r := range p.Regions {
			u := out[r]
			u.Purges++
			out[r] = u
		}
		return true
	})
	return out
}
