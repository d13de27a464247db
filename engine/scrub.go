package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	plog "github.com/prismd/prismd/log"
	"github.com/prismd/prismd/projections"
)

// A scrub walks every object (of a bucket, under a prefix) and checks that
// every shard of it is on its region:
//
//   - Quick mode lists each backend bucket once per region and compares
//     the listing with the projections: a shard absent, or of another size
//     than its geometry gives, is recorded missing (ShardMissing). A
//     backend bucket gone from a region is recorded lost
//     (BackendBucketLost), which makes every shard it held missing.
//   - Deep mode also reads every stored shard whole through the data
//     path's verifying reader (datapath.Verify): a header or block that
//     does not verify is recorded corrupt (ShardCorrupt).
//   - Each segment with a pending shard is then rewritten by completion's
//     path (read k good shards, re-encode, write: ShardRepaired). A segment
//     with fewer than k good shards is unrepairable, and so is every
//     object holding it: they are named in the summary.
//   - Backend objects in a backend bucket that name no known blob's shard
//     (left by a crash or a race) and are older than the orphan grace are
//     deleted, 1000 keys a call — only after a complete listing of that
//     bucket on that region: never on a partial view.
//
// A scrub keeps its position (bucket, key) and its counts in a checkpoint
// file, so that one cut off (Ctrl-C, a restart) continues from there.

// DefaultOrphanGrace is how old an unreferenced backend object must be
// before a scrub deletes it.
const DefaultOrphanGrace = 24 * time.Hour

// ScrubOptions select what a scrub checks and how fast it goes.
type ScrubOptions struct {
	// Deep reads every stored shard whole and verifies every block.
	// Without it (quick), every shard's presence and size is checked
	// against one listing per region and backend bucket.
	Deep bool
	// Bucket and Prefix limit the scrub to one client bucket and to keys
	// under a prefix; "" means every bucket, every key. Orphans are
	// collected only when Prefix is "" (they have no client key).
	Bucket, Prefix string
	// Rate limits the shard bytes read per second; 0 means unlimited.
	Rate int64
	// OrphanGrace: an unreferenced backend object is deleted only once its
	// modification time is older than this. Default DefaultOrphanGrace;
	// negative: never.
	OrphanGrace time.Duration
	// DryRun finds and counts, and changes nothing: no event, no repair,
	// no delete.
	DryRun bool
	// Checkpoint is the file that keeps the scrub's position and counts;
	// a scrub with the same Deep, Bucket, Prefix and DryRun continues
	// from it. It is removed when the scrub completes. "": none.
	Checkpoint string
	// Progress, when set, is called from the scrub's goroutine as it
	// advances (after each object, and as each listing ends).
	Progress func(ScrubProgress)
	// Pace, when > 0, sleeps Pace times as long as each piece of work
	// took: a background scrub that backs off when the regions are slow
	// (under client load) and otherwise keeps to a duty cycle.
	Pace float64
}

// ScrubSummary is what a scrub found and did.
type ScrubSummary struct {
	Deep          bool  `json:"deep"`
	DryRun        bool  `json:"dry_run"`
	Objects       int64 `json:"objects"`        // object versions walked (delete markers aside)
	ShardsChecked int64 `json:"shards_checked"` // shards found (or not) in a listing or read
	BytesRead     int64 `json:"bytes_read"`     // shard bytes read and verified
	Missing       int64 `json:"missing"`        // shards absent, of the wrong size, or lost with their backend bucket
	Corrupt       int64 `json:"corrupt"`        // shards whose header or a block did not verify
	Repaired      int64 `json:"repaired"`       // shards rewritten
	Unrepairable  int64 `json:"unrepairable"`   // objects with a segment of fewer than k good shards
	// UnrepairableObjects names them (the first maxScrubNames).
	UnrepairableObjects []ObjectName `json:"unrepairable_objects"`
	OrphansFound        int64        `json:"orphans_found"`  // unreferenced backend objects older than the grace
	OrphansPurged       int64        `json:"orphans_purged"` // of which deleted
	// Failed counts what could not be done: shards that could not be
	// read or rewritten, listings that failed (their orphans were left).
	// Failures describes them (the first maxScrubNames).
	Failed   int64    `json:"failed"`
	Failures []string `json:"failures"`
	// Resumed: the scrub continued from a checkpoint (the counts include
	// the part before). Complete: it walked everything it was asked to.
	Resumed  bool          `json:"resumed"`
	Complete bool          `json:"complete"`
	Elapsed  time.Duration `json:"-"`
	// ElapsedSeconds is Elapsed, for JSON.
	ElapsedSeconds float64 `json:"elapsed_seconds"`
}

// ObjectName names an object.
type ObjectName struct {
	Bucket string `json:"bucket"`
	Key    string `json:"key"`
}

// maxScrubNames bounds the names and failures a summary lists.
const maxScrubNames = 1000

// Clean reports whether the scrub found nothing wrong and failed at nothing.
func (s ScrubSummary) Clean() bool {
	return s.Missing == 0 && s.Corrupt == 0 && s.Repaired == 0 && s.Unrepairable == 0 && s.OrphansFound == 0 && s.Failed == 0
}

// Healthy reports whether, after the scrub, nothing is left unrepairable
// and nothing failed: what it found was repaired (or, in a dry run, could
// be).
func (s ScrubSummary) Healthy() bool { return s.Unrepairable == 0 && s.Failed == 0 }

func (s *ScrubSummary) unrepairable(o ObjectName) {
	s.Unrepairable++
	if len(s.UnrepairableObjects) < maxScrubNames {
		s.UnrepairableObjects = append(s.UnrepairableObjects, o)
	}
}

func (s *ScrubSummary) fail(format string, args ...any) {
	s.Failed++
	if len(s.Failures) < maxScrubNames {
		s.Failures = append(s.Failures, fmt.Sprintf(format, args...))
	}
}

// ScrubProgress is a scrub under way: its counts so far and its position.
type ScrubProgress struct {
	ScrubSummary
	// Bucket and Key: the last object checked ("" before the first).
	Bucket string `json:"bucket"`
	Key    string `json:"key"`
	// TotalObjects is how many objects the scrub walks in all (those
	// before a checkpoint included), counted when it started.
	TotalObjects int64 `json:"total_objects"`
}

// ErrScrubRunning is returned by Scrub while another scrub started by
// Scrub runs.
var ErrScrubRunning = errors.New("a scrub is already running")

// Scrub checks and repairs what opts selects (see ScrubOptions) and
// returns what it found and did. Only one runs at a time (ErrScrubRunning);
// a background scrub pauses while it runs. Cancelling ctx stops it at the
// next object; the checkpoint then holds its position, and the summary so
// far comes back with an error wrapping ctx's.
func (e *Engine) Scrub(ctx context.Context, opts ScrubOptions) (ScrubSummary, error) {
	if !e.scrubGate.foreground() {
		return ScrubSummary{}, ErrScrubRunning
	}
	defer e.scrubGate.foregroundDone()
	sum, err := e.scrub(ctx, opts)
	if err == nil && sum.Complete && opts.Bucket == "" && opts.Prefix == "" && !opts.DryRun {
		e.scrubPassed(sum) // the background scrubber need not walk everything again soon
	}
	return sum, err
}

// scrub runs one scrub.
func (e *Engine) scrub(ctx context.Context, opts ScrubOptions) (ScrubSummary, error) {
	if opts.OrphanGrace == 0 {
		opts.OrphanGrace = DefaultOrphanGrace
	}
	cp, err := loadCheckpoint(opts)
	if err != nil {
		return ScrubSummary{}, err
	}
	run := &scrubRun{e: e, opts: opts, cp: cp, sum: cp.Summary, pace: newPacer(opts.Rate, opts.Pace),
		started: time.Now(), before: cp.Summary.Elapsed, saved: time.Now()}
	run.sum.Deep, run.sum.DryRun, run.sum.Resumed = opts.Deep, opts.DryRun, cp.Resumed
	var buckets []string
	for _, b := range e.view().Buckets() {
		if opts.Bucket == "" || b.Name == opts.Bucket {
			buckets = append(buckets, b.Name)
		}
	}
	if opts.Bucket != "" && len(buckets) == 0 {
		return ScrubSummary{}, fmt.Errorf("scrub bucket %q: %w", opts.Bucket, ErrNoSuchBucket)
	}
	run.total = run.countObjects(buckets)
	finish := func(err error) (ScrubSummary, error) {
		run.sum.Elapsed = run.before + time.Since(run.started)
		run.sum.ElapsedSeconds = run.sum.Elapsed.Seconds()
		if err != nil {
			if serr := run.save(); serr != nil {
				err = errors.Join(err, serr)
			}
			return run.sum, err
		}
		run.sum.Complete = true
		run.report()
		return run.sum, removeCheckpoint(opts.Checkpoint)
	}
	for _, b := range buckets {
		if b < cp.Bucket || b == cp.Bucket && cp.Done {
			continue
		}
		after := ""
		if b == cp.Bucket {
			after = cp.After
		}
		if err := run.bucket(ctx, b, after); err != nil {
			return finish(err)
		}
		run.cp.Bucket, run.cp.After, run.cp.Done = b, "", true
		if err := run.save(); err != nil {
			return finish(err)
		}
	}
	return finish(nil)
}

// scrubRun is one scrub under way.
type scrubRun struct {
	e     *Engine
	opts  ScrubOptions
	cp    checkpoint // position; its Summary is written from sum
	sum   ScrubSummary
	total int64
	pace  *pacer
	// claimed: blobs the scrub put in e.writing, to repair them itself.
	claimed map[plog.BlobID]bool
	// started: this run began; before: the time spent before its
	// checkpoint; saved: the checkpoint was last written.
	started, saved time.Time
	before         time.Duration
}

// countObjects counts the objects the scrub walks, for progress.
func (run *scrubRun) countObjects(buckets []string) int64 {
	var n int64
	v := run.e.view()
	view := func() *projections.View { return v }
	for _, b := range buckets {
		walkObjects(view, b, run.opts.Prefix, "", func(projections.Object) bool { n++; return true })
	}
	return n
}

// report tells the Progress callback where the scrub is.
func (run *scrubRun) report() {
	if run.opts.Progress == nil {
		return
	}
	run.opts.Progress(ScrubProgress{ScrubSummary: run.sum, Bucket: run.cp.Bucket, Key: run.cp.After, TotalObjects: run.total})
}

// save writes the checkpoint (when there is one).
func (run *scrubRun) save() error {
	run.sum.Elapsed = run.before + time.Since(run.started)
	run.cp.Summary = run.sum
	run.saved = time.Now()
	return saveCheckpoint(run.opts, run.cp)
}

// advance records that every object of bucket up to key was checked, and
// writes the checkpoint every few seconds.
func (run *scrubRun) advance(bucket, key string) error {
	run.cp.Bucket, run.cp.After, run.cp.Done = bucket, key, false
	run.report()
	if time.Since(run.saved) >= checkpointEvery {
		return run.save()
	}
	return nil
}

// checkpointEvery is how often a scrub writes its checkpoint.
const checkpointEvery = 2 * time.Second
