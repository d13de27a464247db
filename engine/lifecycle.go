package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/prismd/prismd/lifecycle"
	plog "github.com/prismd/prismd/log"
	"github.com/prismd/prismd/projections"
)

// DefaultLifecycleDay is the length of a lifecycle "day" (Config.LifecycleDay).
const DefaultLifecycleDay = 24 * time.Hour

// lifecyclePage is how many versions (or uploads) the lifecycle worker
// reads from one view before it acts on them (a variable for tests).
var lifecyclePage = 1000

// LifecycleResult counts what a lifecycle pass did.
type LifecycleResult struct {
	Expired    int // current versions expired (deleted, or a delete marker written)
	Markers    int // expired delete markers removed
	Noncurrent int // noncurrent versions removed
	Aborted    int // multipart uploads aborted
	Skipped    int // actions refused when appended (the key changed, a lock) or failed
}

// lifecycleAction is one event a pass decided to append.
type lifecycleAction struct {
	ev   plog.Event
	kind *int // the LifecycleResult counter it adds to
	// nullCheck, for the removal of a noncurrent null version: the write
	// time it must still have (ObjectVersionDeleted names "null", which a
	// client's write can give to another version).
	nullCheck int64
}

// RunLifecycle carries out the lifecycle configuration of every bucket
// once, at the current time: it expires current versions (Expiration Days
// or Date), removes delete markers that are their key's only version
// (ExpiredObjectDeleteMarker) and noncurrent versions (NoncurrentDays,
// keeping NewerNoncurrentVersions), and aborts old multipart uploads. Each
// action is an ordinary event: ObjectExpired (which the projections refuse
// when the key was written since it was judged), ObjectVersionDeleted,
// UploadAborted. An action refused or failed is counted in Skipped and
// logged; the pass goes on. It reads the bucket page by page and is
// idempotent: what was done is not found again.
func (e *Engine) RunLifecycle(ctx context.Context) (LifecycleResult, error) {
	var res LifecycleResult
	now := e.now()
	for _, b := range e.view().Buckets() {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		doc, ok := e.view().BucketConfig(b.Name, ConfigLifecycle)
		if !ok {
			continue
		}
		cfg, err := lifecycle.Parse(doc)
		if err != nil {
			e.logger.Warn("lifecycle: stored configuration does not parse", "bucket", b.Name, "err", err)
			continue
		}
		if cfg.ActsOnVersions() {
			e.lifecycleVersions(ctx, b.Name, cfg, now, &res)
		}
		if cfg.ActsOnUploads() {
			e.lifecycleUploads(ctx, b.Name, cfg, now, &res)
		}
	}
	return res, ctx.Err()
}

// keyWalk is what the version walk remembers of the key it is in.
type keyWalk struct {
	key        string
	versions   int
	newer      time.Time            // write time of the version seen last (newer than the next)
	noncurrent int                  // noncurrent versions seen, markers aside
	marker     *projections.Version // the key's latest version, when a delete marker
}

// lifecycleVersions walks the bucket's versions, newest first within a
// key, a page at a time, and appends what the rules decide.
func (e *Engine) lifecycleVersions(ctx context.Context, bucket string, cfg *lifecycle.Configuration, now time.Time, res *LifecycleResult) {
	day := e.cfg.LifecycleDay
	var w keyWalk
	var acts []lifecycleAction
	finish := func() {
		if w.versions == 1 && w.marker != nil {
			if _, ok := cfg.ExpireMarker(w.key); ok {
				acts = append(acts, lifecycleAction{ev: plog.ObjectVersionDeleted{Bucket: bucket, Key: w.key, VersionID: w.marker.VersionID}, kind: &res.Markers})
			}
		}
	}
	q := projections.VersionQuery{Max: lifecyclePage}
	for ctx.Err() == nil {
		page := e.view().ListVersions(bucket, q)
		for i := range page.Versions {
			x := page.Versions[i]
			if x.Key != w.key || w.versions == 0 {
				finish()
				w = keyWalk{key: x.Key}
			}
			w.versions++
			mtime := time.Unix(0, x.Meta.ModTime)
			obj := lifecycle.Object{Key: x.Key, Size: x.Meta.Size, Tags: x.Meta.Tags, ModTime: mtime}
			switch {
			case x.IsLatest && x.DeleteMarker:
				w.marker = &x
			case x.IsLatest:
				if rule, ok := cfg.ExpireCurrent(obj, now, day); ok {
					acts = append(acts, lifecycleAction{ev: plog.ObjectExpired{Bucket: bucket, Key: x.Key,
						VersionID: x.VersionID, ModTime: x.Meta.ModTime, Rule: rule}, kind: &res.Expired})
				}
			case !x.DeleteMarker:
				if _, ok := cfg.ExpireNoncurrent(obj, w.newer, w.noncurrent, now, day); ok {
					a := lifecycleAction{ev: plog.ObjectVersionDeleted{Bucket: bucket, Key: x.Key, VersionID: x.VersionID}, kind: &res.Noncurrent}
					if x.VersionID == NullVersion {
						a.nullCheck = x.Meta.ModTime
					}
					acts = append(acts, a)
				}
				w.noncurrent++
			}
			w.newer = mtime
		}
		if !page.Truncated {
			finish()
		}
		e.lifecycleApply(ctx, acts, res)
		acts = acts[:0]
		if !page.Truncated {
			return
		}
		q.KeyMarker, q.VersionIDMarker = page.NextKeyMarker, page.NextVersionIDMarker
	}
}

// lifecycleUploads aborts the bucket's uploads a rule says are too old.
func (e *Engine) lifecycleUploads(ctx context.Context, bucket string, cfg *lifecycle.Configuration, now time.Time, res *LifecycleResult) {
	q := projections.UploadQuery{Max: lifecyclePage}
	for ctx.Err() == nil {
		page := e.view().ListUploads(bucket, q)
		var acts []lifecycleAction
		for _, u := range page.Uploads {
			if _, ok := cfg.AbortUpload(u.Key, time.Unix(0, u.Created), now, e.cfg.LifecycleDay); ok {
				acts = append(acts, lifecycleAction{ev: plog.UploadAborted{Upload: u.ID}, kind: &res.Aborted})
			}
		}
		e.lifecycleApply(ctx, acts, res)
		if !page.Truncated {
			return
		}
		q.KeyMarker, q.UploadIDMarker = page.NextKeyMarker, page.NextUploadIDMarker
	}
}

// lifecycleApply appends each action; one refused or failed is skipped.
func (e *Engine) lifecycleApply(ctx context.Context, acts []lifecycleAction, res *LifecycleResult) {
	for _, a := range acts {
		if ctx.Err() != nil {
			return
		}
		if err := e.lifecycleAppend(ctx, a); err != nil {
			res.Skipped++
			if errors.Is(err, ErrClosed) || ctx.Err() != nil {
				return
			}
			e.logger.Info("lifecycle: action skipped", "event", a.ev.EventType().String(), "err", err)
			continue
		}
		*a.kind++
	}
}

func (e *Engine) lifecycleAppend(ctx context.Context, a lifecycleAction) error {
	if d, ok := a.ev.(plog.ObjectVersionDeleted); ok && a.nullCheck != 0 {
		// The null version can be written again under the same id:
		// remove it only while it is still the noncurrent one judged.
		x, found := e.view().ObjectVersion(d.Bucket, d.Key, NullVersion)
		if !found || x.IsLatest || x.DeleteMarker || x.Meta.ModTime != a.nullCheck {
			return fmt.Errorf("%s/%s null version changed: %w", d.Bucket, d.Key, ErrPreconditionFailed)
		}
	}
	_, err := e.append(ctx, a.ev)
	return err
}

// lifecycleInBackground runs RunLifecycle now and then once a lifecycle
// day (at midnight UTC when the day is 24h, as the AWS rules fall due
// then), until ctx ends. The returned function waits for it to stop.
func (e *Engine) lifecycleInBackground(ctx context.Context) (wait func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			if res, err := e.RunLifecycle(ctx); err == nil && res != (LifecycleResult{}) {
				e.logger.Info("lifecycle pass", "expired", res.Expired, "markers", res.Markers,
					"noncurrent", res.Noncurrent, "aborted", res.Aborted, "skipped", res.Skipped)
			}
			if sleepCtx(ctx, e.nextLifecycle(e.now()).Sub(e.now())) != nil {
				return
			}
		}
	}()
	return func() { <-done }
}

// nextLifecycle returns when the pass after one at now runs.
func (e *Engine) nextLifecycle(now time.Time) time.Time {
	day := e.cfg.LifecycleDay
	if day == 24*time.Hour {
		return now.UTC().Truncate(day).Add(day)
	}
	return now.Add(day)
}
