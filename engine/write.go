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

	"github.com/prismd/prismd/backends"
	plog "github.com/prismd/prismd/log"
)

// stallTimeout is how long the encoder waits on a shard writer whose region
// stopped taking data before giving that shard up (completion writes it later),
// as long as the write quorum can still be met without it.
const stallTimeout = 2 * time.Second

// backgroundWriteTimeout bounds a shard write that outlives its request.
const backgroundWriteTimeout = 10 * time.Minute

// blobWrite is one blob being written.
type blobWrite struct {
	e         *Engine
	id        plog.BlobID
	bucket    string // backend bucket
	layout    plog.Layout
	placement []string
	size      int64
	quorum    int
	wg        sync.WaitGroup // every shard writer of this blob
	cancel    context.CancelFunc
	ctx       context.Context // shard writers' context, outlives the request

	mu     sync.Mutex
	landed []plog.Event // ShardWritten held back to travel with the commit
	logged bool         // the commit has taken landed; later landings log themselves
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

// writeBlob streams size bytes of body into a new blob of bucket/key (a part
// of upload when upload != ""). It returns once every segment has its write
// quorum; the remaining shards land in the background. The MD5 of the body
// is written to sum. On error the blob is queued for purge; on success the
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
	w := &blobWrite{e: e, id: id, bucket: e.backendBucket(bucket), layout: layout, placement: placement, size: size, quorum: quorum(p, layout)}
	w.ctx, w.cancel = context.WithTimeout(e.base, backgroundWriteTimeout)
	e.ensureBackendBuckets(ctx, bucket, placement)
	if _, err := e.append(ctx, plog.PutStarted{Blob: id, Bucket: bucket, Key: key, Upload: upload, Layout: layout, Placement: placement, Size: size}); err != nil {
		w.cancel()
		e.inflight.done()
		return nil, err
	}
	w.wg.Add(1) // held until every segment's writers have started
	e.writing.Store(id, struct{}{})
	go func() { w.wg.Wait(); w.cancel(); e.writing.Delete(id); e.inflight.done() }()
	// MD5 runs on its own goroutine, beside encoding and hashing blocks.
	hp := newHashPipe(sum)
	for seg := range segmentCount(layout, size) {
		if err := w.writeSegment(ctx, seg, body, hp, nil); err != nil {
			hp.close()
			w.wg.Done()
			w.abort(err)
			return nil, err
		}
	}
	hp.close()
	w.wg.Done()
	return w, nil
}

// abort cancels every shard writer, waits for them, and queues the blob's data for purge.
func (w *blobWrite) abort(cause error) {
	w.cancel()
	w.wg.Wait()
	w.e.writing.Delete(w.id)
	if _, err := w.e.append(context.Background(), plog.PurgeQueued{Blob: w.id, Reason: "put failed: " + cause.Error()}); err != nil {
		w.e.logger.Error("queue purge of failed put", "blob", fmt.Sprintf("%x", w.id), "err", err)
	}
}

// writeSegment encodes one segment stripe by stripe and fans its shards
// out. With only set, just those shards are written (completion and
// repair, which wait for every one of them); otherwise it returns once the
// write quorum has landed.
func (w *blobWrite) writeSegment(ctx context.Context, seg int, body io.Reader, hp *hashPipe, only []bool) error {
	geo := segmentGeometry(w.layout, w.size, seg)
	n := geo.n()
	results := make(chan error, n)
	writers := make([]*shardWriter, n)
	started := 0
	for i := range n {
		if only != nil && !only[i] {
			continue
		}
		h := shardHeader{blob: w.id, segment: seg, shard: i, geo: geo}
		writers[i] = w.startShard(seg, i, geo.shardSize(), h.encode(), results, only != nil)
		started++
	}
	err := w.encodeSegment(ctx, seg, geo, body, hp, writers)
	for _, sw := range writers {
		if sw != nil {
			sw.finish(err != nil)
		}
	}
	if err != nil {
		return err
	}
	need := w.quorum
	if only != nil {
		need = started
	}
	landed, running := 0, started
	for landed < need && landed+running >= need {
		select {
		case err := <-results:
			running--
			if err == nil {
				landed++
			}
		case <-ctx.Done():
			return fmt.Errorf("segment %d: %w", seg, ctx.Err())
		}
	}
	if landed < need {
		return fmt.Errorf("segment %d: %d of %d shards landed, need %d: %w", seg, landed, started, need, ErrQuorum)
	}
	return nil
}

// encodeSegment reads the segment's data from body and feeds every writer.
func (w *blobWrite) encodeSegment(ctx context.Context, seg int, geo geometry, body io.Reader, hp *hashPipe, writers []*shardWriter) error {
	n := geo.n()
	var enc interface{ Encode([][]byte) error }
	if geo.k > 1 {
		c, err := coder(geo.k, geo.m)
		if err != nil {
			return err
		}
		enc = c
	}
	shards := make([][]byte, n)
	for j := range geo.stripes() {
		if err := ctx.Err(); err != nil {
			return err
		}
		d, bl := geo.stripeData(j), geo.blockLen(j)
		buf := stripes.get(n, geo.blockSize)
		filled := 0
		var parts [][]byte
		for i := range geo.k {
			want := min(bl, d-filled)
			blk := buf.blocks[i][:bl]
			if want > 0 {
				if _, err := io.ReadFull(body, blk[:want]); err != nil {
					buf.refs.Store(1)
					buf.release()
					return bodyError(err)
				}
				if hp != nil {
					parts = append(parts, blk[:want])
				}
				filled += want
			}
			clear(blk[max(want, 0):])
			shards[i] = blk
		}
		if geo.k == 1 {
			for i := 1; i < n; i++ {
				shards[i] = shards[0]
			}
		} else {
			for i := geo.k; i < n; i++ {
				shards[i] = buf.blocks[i][:bl]
			}
			if err := enc.Encode(shards); err != nil {
				buf.refs.Store(1)
				buf.release()
				return fmt.Errorf("encode stripe %d: %w", j, err)
			}
		}
		for i := range n {
			sealBlock(buf.sums[i], shards[i], w.id, seg, i, j)
		}
		buf.refs.Store(int32(n))
		if hp != nil {
			buf.refs.Add(1)
			hp.ch <- hashJob{parts: parts, buf: buf}
		}
		for i, sw := range writers {
			if sw == nil || !w.send(ctx, sw, writers, block{data: shards[i], sum: buf.sums[i], buf: buf}) {
				buf.release()
			}
		}
	}
	return nil
}

// send hands a block to a shard writer. A writer that has failed, or that
// stalls while the others can still make quorum, is dropped (false: the
// caller releases the block).
func (w *blobWrite) send(ctx context.Context, sw *shardWriter, all []*shardWriter, b block) bool {
	if sw.dead() {
		return false
	}
	select {
	case sw.ch <- b:
		return true
	default:
	}
	t := time.NewTimer(stallTimeout)
	defer t.Stop()
	for {
		select {
		case sw.ch <- b:
			return true
		case <-sw.done:
			return false
		case <-ctx.Done():
			return false
		case <-t.C:
			alive := 0
			for _, o := range all {
				if o != nil && o != sw && !o.dead() {
					alive++
				}
			}
			if alive >= w.quorum {
				sw.drop(fmt.Errorf("region %s stalled for %s", sw.region, stallTimeout))
				return false
			}
			t.Reset(stallTimeout)
		}
	}
}

func bodyError(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return fmt.Errorf("body ended early: %w", ErrIncompleteBody)
	}
	return fmt.Errorf("read body: %w", err)
}

// block is one shard's block of a stripe, plus its hash.
type block struct {
	data, sum []byte
	buf       *stripeBuf // nil for the header
}

// shardWriter streams one shard object to its region.
type shardWriter struct {
	region string
	ch     chan block
	done   chan struct{} // closed when the backend Put returned
	cancel context.CancelFunc
	mu     sync.Mutex
	err    error
}

func (sw *shardWriter) dead() bool {
	select {
	case <-sw.done:
		return true
	default:
	}
	sw.mu.Lock()
	defer sw.mu.Unlock()
	return sw.err != nil
}

// drop gives the shard up: its Put is cancelled and completion writes it later.
func (sw *shardWriter) drop(err error) {
	sw.mu.Lock()
	if sw.err == nil {
		sw.err = err
	}
	sw.mu.Unlock()
	sw.cancel()
}

// finish tells the writer no more blocks come; abort cancels its Put.
func (sw *shardWriter) finish(abort bool) {
	if abort {
		sw.drop(errors.New("put aborted"))
	}
	close(sw.ch)
}

// startShard starts the backend Put of one shard and returns its writer. The
// outcome is logged as ShardWritten or ShardFailed, then sent on results.
// A repair logs ShardRepaired instead of ShardWritten.
func (w *blobWrite) startShard(seg, shard int, size int64, header []byte, results chan<- error, repair bool) *shardWriter {
	name := w.placement[shard]
	ctx, cancel := context.WithCancel(w.ctx)
	sw := &shardWriter{region: name, ch: make(chan block, pipelineDepth), done: make(chan struct{}), cancel: cancel}
	sw.ch <- block{data: header}
	key := shardKey(w.id, seg, shard)
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		defer cancel()
		r := w.e.region(name)
		var err error
		switch {
		case r == nil:
			err = fmt.Errorf("region %s is not configured", name)
		case !r.available():
			err = fmt.Errorf("region %s: %w", name, backends.ErrUnavailable)
		default:
			err = r.backend.Put(ctx, w.bucket, key, &chanReader{ch: sw.ch}, size)
			r.wrote(err)
			if errors.Is(err, backends.ErrNoSuchBucket) {
				w.e.suspect(r) // the log says the bucket is there
			}
		}
		close(sw.done)
		for b := range sw.ch { // release what the Put did not consume
			if b.buf != nil {
				b.buf.release()
			}
		}
		sw.mu.Lock()
		if sw.err != nil && err == nil {
			err = sw.err
		}
		sw.mu.Unlock()
		// A PUT's shard logs whether it landed (the landed ones travel with
		// the commit). A repair logs only success: a failed repair leaves
		// the shard pending as it was, and one event per attempt would
		// grow the log while a region stays full.
		var ev plog.Event
		switch {
		case err == nil && repair:
			ev = plog.ShardRepaired{Blob: w.id, Segment: seg, Shard: shard, Region: name}
		case err == nil:
			ev = plog.ShardWritten{Blob: w.id, Segment: seg, Shard: shard, Region: name}
			if w.holdLanded(ev) {
				ev = nil
			}
		case !repair:
			ev = plog.ShardFailed{Blob: w.id, Segment: seg, Shard: shard, Region: name, Error: err.Error()}
		}
		if ev != nil {
			if _, aerr := w.e.append(context.Background(), ev); aerr != nil && err == nil {
				err = aerr
			}
		}
		results <- err
	}()
	return sw
}

// chanReader turns a writer's block channel into the io.Reader a backend Put consumes.
type chanReader struct {
	ch   chan block
	cur  block
	part int // 0: data, 1: sum, 2: consumed
	open bool
}

func (r *chanReader) Read(p []byte) (int, error) {
	for {
		if r.open {
			src := r.cur.data
			if r.part == 1 {
				src = r.cur.sum
			}
			if len(src) > 0 {
				n := copy(p, src)
				if r.part == 0 {
					r.cur.data = src[n:]
				} else {
					r.cur.sum = src[n:]
				}
				return n, nil
			}
			if r.part == 0 {
				r.part = 1
				continue
			}
			if r.cur.buf != nil {
				r.cur.buf.release()
			}
			r.open = false
		}
		b, ok := <-r.ch
		if !ok {
			return 0, io.EOF
		}
		r.cur, r.part, r.open = b, 0, true
	}
}

// hashPipe feeds a hash on its own goroutine so that MD5 — the slowest
// per-byte step of a PUT — overlaps with encoding and block hashing.
type hashPipe struct {
	ch   chan hashJob
	done chan struct{}
}

type hashJob struct {
	parts [][]byte
	buf   *stripeBuf
}

func newHashPipe(h hash.Hash) *hashPipe {
	p := &hashPipe{ch: make(chan hashJob, pipelineDepth), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		for j := range p.ch {
			for _, b := range j.parts {
				h.Write(b)
			}
			j.buf.release()
		}
	}()
	return p
}

// close waits until every byte sent has been hashed.
func (p *hashPipe) close() {
	close(p.ch)
	<-p.done
}
