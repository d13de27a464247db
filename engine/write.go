package engine

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"hash"
	"io"
	"sync"
	"time"

	"github.com/prismd/prismd/engine/datapath"
	plog "github.com/prismd/prismd/log"
)

// backgroundWriteTimeout bounds a shard write that outlives its request.
const backgroundWriteTimeout = 10 * time.Minute

// blobWrite is one blob being written: by a PUT (or part, or re-encoding
// copy), or by completion and repair rewriting some of its shards. The
// data path writes the shards; blobWrite turns each outcome into its
// event.
type blobWrite struct {
	e         *Engine
	id        plog.BlobID
	placement []string
	repair    bool // completion or repair: ShardRepaired for a landed shard, nothing for a failed one
	dw        *datapath.Writer
	cancel    context.CancelFunc // of the shard writers' context, which outlives the request
	// started returns the outcome of appending the blob's PutStarted; nil
	// for completion and repair, whose blob the log knows already.
	started func() error

	mu     sync.Mutex
	landed []plog.Event // ShardWritten held back to travel with the commit
	logged bool         // the commit has taken landed; later landings log themselves
}

// newBlobWrite prepares the write of shards of blob b (its shard i of
// every segment to placement[i]) under ctx, bounded by
// backgroundWriteTimeout.
func (e *Engine) newBlobWrite(ctx context.Context, b datapath.Blob, placement []string, quorum int, repair bool) *blobWrite {
	w := &blobWrite{e: e, id: b.ID, placement: placement, repair: repair}
	regions := make([]datapath.Region, len(placement))
	for i, name := range placement {
		if r := e.region(name); r != nil {
			regions[i] = e.dataRegion(r)
		}
	}
	ctx, w.cancel = context.WithTimeout(ctx, backgroundWriteTimeout)
	w.dw = datapath.NewWriter(ctx, b, regions, quorum, w.shardLanded)
	return w
}

// takeLanded returns the ShardWritten events of the shards that landed
// before the commit; they are appended in the commit's batch (one fsync).
// Shards that land later log their own event.
func (w *blobWrite) takeLanded() []plog.Event {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.logged = true
	ev := w.landed
	w.landed = nil
	return ev
}

// holdLanded keeps ev for the commit batch; false when the commit already went.
func (w *blobWrite) holdLanded(ev plog.Event) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.logged {
		return false
	}
	w.landed = append(w.landed, ev)
	return true
}

// shardLanded turns the end of one shard write into its event. A PUT's
// shard logs whether it landed (the landed ones travel with the commit).
// A repair logs only success: a failed repair leaves the shard pending as
// it was, and one event per attempt would grow the log while a region
// stays full.
func (w *blobWrite) shardLanded(seg, shard int, err error) error {
	if w.started != nil {
		if serr := w.started(); serr != nil {
			return serr // the log never knew the blob: nothing to record
		}
	}
	name := w.placement[shard]
	var ev plog.Event
	switch {
	case err == nil && w.repair:
		ev = plog.ShardRepaired{Blob: w.id, Segment: seg, Shard: shard, Region: name}
	case err == nil:
		ev = plog.ShardWritten{Blob: w.id, Segment: seg, Shard: shard, Region: name}
		if w.holdLanded(ev) {
			ev = nil
		}
	case !w.repair:
		if errors.Is(err, datapath.ErrNoRegion) {
			err = fmt.Errorf("region %s is not configured", name)
		}
		ev = plog.ShardFailed{Blob: w.id, Segment: seg, Shard: shard, Region: name, Error: err.Error()}
	}
	if ev != nil {
		if _, aerr := w.e.append(context.Background(), ev); aerr != nil && err == nil {
			return aerr
		}
	}
	return nil
}

// writeBlob streams size bytes of body into a new blob of bucket/key (a part
// of upload when upload != ""). It returns once every segment has its write
// quorum; the remaining shards land in the background. The MD5 of the body
// is written to sum. The blob's PutStarted is appended meanwhile; the
// shards can land only once it is durable. On error the blob is queued for
// purge (unless its PutStarted did not make it to the log); on success the
// caller commits it or calls abort.
func (e *Engine) writeBlob(ctx context.Context, bucket, key, upload string, p plog.Policy, size int64, body io.Reader, sum hash.Hash) (*blobWrite, error) {
	layout := e.layoutFor(p, size)
	n := layout.K + layout.M
	placement, err := e.place(p, n)
	if err != nil {
		return nil, err
	}
	var id plog.BlobID
	if _, err := rand.Read(id[:]); err != nil {
		return nil, fmt.Errorf("blob id: %w", err)
	}
	if !e.inflight.add() {
		return nil, fmt.Errorf("put: %w", ErrClosed)
	}
	w := e.newBlobWrite(e.base, datapath.Blob{ID: id, Bucket: e.backendBucket(bucket), Layout: layout, Size: size}, placement, quorum(p, layout), false)
	e.ensureBackendBuckets(ctx, bucket, placement)
	e.writing.Store(id, struct{}{})
	// PutStarted goes to the log while the data is encoded, written and
	// synced: the shard streams end (and the shards may appear on the
	// regions) only once it is durable.
	appended := make(chan error, 1)
	go func() {
		_, err := e.append(ctx, plog.PutStarted{Blob: id, Bucket: bucket, Key: key, Upload: upload, Layout: layout, Placement: placement, Size: size})
		appended <- err
	}()
	var once sync.Once
	var startErr error
	w.started = func() error {
		once.Do(func() { startErr = <-appended })
		return startErr
	}
	w.dw.EndAfter(w.started)
	// MD5 runs on its own goroutine, beside encoding and hashing blocks.
	hp := datapath.NewHashPipe(sum)
	for seg := range datapath.SegmentCount(layout, size) {
		if err := w.dw.WriteSegment(ctx, seg, body, hp, nil); err != nil {
			hp.Close()
			if serr := w.started(); serr != nil {
				w.cancel()
				w.finished()
				return nil, serr
			}
			go w.finished()
			err = dataError(err)
			w.abort(err)
			return nil, err
		}
	}
	hp.Close()
	if err := w.started(); err != nil { // a blob of no segment
		w.cancel()
		w.finished()
		return nil, err
	}
	go w.finished()
	return w, nil
}

// finished waits for every shard writer of a PUT, then lets the blob go.
func (w *blobWrite) finished() {
	w.dw.Wait()
	w.cancel()
	w.e.writing.Delete(w.id)
	w.e.inflight.done()
}

// abort cancels every shard writer, waits for them, and queues the blob's data for purge.
func (w *blobWrite) abort(cause error) {
	w.cancel()
	w.dw.Wait()
	w.e.writing.Delete(w.id)
	if _, err := w.e.append(context.Background(), plog.PurgeQueued{Blob: w.id, Reason: "put failed: " + cause.Error()}); err != nil {
		w.e.logger.Error("queue purge of failed put", "blob", fmt.Sprintf("%x", w.id), "err", err)
	}
}
