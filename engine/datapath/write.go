package datapath

import (
	"context"
	"errors"
	"fmt"
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

// Blob names a blob to write and its shape.
type Blob struct {
	ID     plog.BlobID
	Bucket string // backend bucket
	Layout plog.Layout
	Size   int64
}

// Writer writes the shards of one blob, segment by segment: it encodes a
// segment stripe by stripe and streams every shard to its region at once.
// It holds (k+m) × BlockSize × a small pipeline depth of memory per
// segment being written, whatever the blob's size.
type Writer struct {
	blob    Blob
	regions []Region
	quorum  int
	landed  func(seg, shard int, err error) error
	ctx     context.Context
	wg      sync.WaitGroup // every shard writer
	gate    func() error   // see EndAfter; nil: none
}

// NewWriter returns a Writer of blob b whose shard i of every segment goes
// to regions[i] (nil: nowhere; that write fails with ErrNoRegion). Shard
// writes run under ctx, which may outlive the requests that feed them.
// quorum is how many shards of a segment WriteSegment waits for. landed is
// called as each shard write ends, before WriteSegment counts it: err nil
// means the shard landed; a non-nil error landed returns for a shard that
// landed (its outcome could not be recorded) makes it count as failed.
func NewWriter(ctx context.Context, b Blob, regions []Region, quorum int, landed func(seg, shard int, err error) error) *Writer {
	return &Writer{blob: b, regions: regions, quorum: quorum, landed: landed, ctx: ctx}
}

// EndAfter makes the shard streams of every segment end — their backend
// Puts see the end of the body, which no backend lets an object appear
// before — only once gate returned nil; a gate error aborts the segment.
// gate must return the same result every time it is called. The engine
// lets a blob's PutStarted reach the log meanwhile, so that no shard can
// exist on a region before the log knows the blob, while the shards'
// data is already written and synced. Call it before WriteSegment.
func (w *Writer) EndAfter(gate func() error) { w.gate = gate }

// Wait waits until every shard write started has ended.
func (w *Writer) Wait() { w.wg.Wait() }

// WriteSegment encodes segment seg from body, stripe by stripe, and fans
// its shards out; hp, when set, is fed the data bytes. With only set,
// just those shards are written (completion and repair), and it returns
// once every one of them ended; otherwise once the write quorum has landed,
// the other shards landing in the background. An error wraps
// ErrTooFewShards when too few shards landed and ErrShortBody when body
// ended early.
func (w *Writer) WriteSegment(ctx context.Context, seg int, body io.Reader, hp *HashPipe, only []bool) error {
	geo := SegmentGeometry(w.blob.Layout, w.blob.Size, seg)
	if err := knownLayout(geo.Hash, w.blob.Layout.Keys, w.blob.ID, seg); err != nil {
		return err
	}
	n := geo.N()
	results := make(chan error, n)
	writers := make([]*shardWriter, n)
	// Erasure-coded shards go out in pieces (see stripeBuf), which start
	// with their header; replicas share their blocks, which pieces cannot.
	pieces := geo.K > 1 && geo.Stripes() > 0
	// A writer holds pipelineDepth stripes ahead, in as many pieces.
	depth := pipelineDepth
	if pieces {
		depth = max(1, pipelineDepth/pieceStripes(geo))
	}
	var headers [][]byte
	started := 0
	for i := range n {
		h := Header{Blob: w.blob.ID, Segment: seg, Shard: i, Geo: geo}.Encode()
		if pieces {
			headers = append(headers, h)
			h = nil
		}
		if only != nil && !only[i] {
			continue
		}
		writers[i] = w.startShard(seg, i, geo.ShardSize(), h, depth, results)
		started++
	}
	err := w.encodeSegment(ctx, seg, geo, body, hp, writers, headers)
	if err == nil && w.gate != nil {
		err = w.gate()
	}
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
		return fmt.Errorf("segment %d: %d of %d shards landed, need %d: %w", seg, landed, started, need, ErrTooFewShards)
	}
	return nil
}

// encodeSegment reads the segment's data from body and feeds every writer.
// With headers (one per shard) it sends every shard in pieces (see
// stripeBuf) that begin with its header; without, blocks and their hashes,
// the writers having sent the headers.
func (w *Writer) encodeSegment(ctx context.Context, seg int, geo Geometry, body io.Reader, hp *HashPipe, writers []*shardWriter, headers [][]byte) error {
	n := geo.N()
	var enc interface{ Encode([][]byte) error }
	if geo.K > 1 {
		c, err := coder(geo.K, geo.M)
		if err != nil {
			return err
		}
		enc = c
	}
	shards, sums := make([][]byte, n), make([][]byte, n)
	stripeCount := geo.Stripes()
	// Pieces: buf is the piece buffer being filled (inBuf stripes so far,
	// the next block at pos in every region), which the encoder holds a
	// reference to; once sent, it is prev until the next one copied its
	// tail: carry bytes from sent (before the first, the headers).
	var buf, prev *stripeBuf
	carry, sent, pos, inBuf := HeaderSize, 0, 0, 0
	perBuf := pieceStripes(geo)
	defer func() {
		for _, b := range []*stripeBuf{buf, prev} {
			if b != nil {
				b.release()
			}
		}
	}()
	for j := range stripeCount {
		if err := ctx.Err(); err != nil {
			return err
		}
		d, bl := geo.StripeData(j), geo.BlockLen(j)
		var plain *stripeBuf
		if headers == nil {
			plain = stripes.get(n, geo.BlockSize)
			for i := range n {
				shards[i], sums[i] = plain.blocks[i][:bl], plain.sums[i]
			}
		} else {
			if buf == nil {
				buf = stripes.getPieces(geo)
				buf.refs.Store(1)
				for i := range n {
					tail := headers[i]
					if prev != nil {
						tail = prev.regions[i][sent : sent+carry]
					}
					copy(buf.regions[i], tail)
				}
				if prev != nil {
					prev.release()
					prev = nil
				}
				pos = carry
			}
			for i := range n {
				shards[i] = buf.regions[i][pos : pos+bl]
				sums[i] = buf.regions[i][pos+bl : pos+bl+blockHashSize]
			}
		}
		fail := func(err error) error {
			if plain != nil {
				plain.refs.Store(1)
				plain.release()
			}
			return err
		}
		filled := 0
		var parts [][]byte
		for i := range geo.K {
			want := min(bl, d-filled)
			blk := shards[i]
			if want > 0 {
				if _, err := io.ReadFull(body, blk[:want]); err != nil {
					return fail(bodyError(err))
				}
				if hp != nil {
					parts = append(parts, blk[:want])
				}
				filled += want
			}
			clear(blk[max(want, 0):])
		}
		if geo.K == 1 {
			for i := 1; i < n; i++ {
				shards[i] = shards[0]
			}
		} else if err := enc.Encode(shards); err != nil {
			return fail(fmt.Errorf("encode stripe %d: %w", j, err))
		}
		for i := range n {
			sealBlock(geo.Hash, sums[i], shards[i], w.blob.ID, seg, i, j)
		}
		if plain != nil {
			plain.refs.Store(int32(n))
			feedHash(hp, parts, plain)
			for i, sw := range writers {
				if sw == nil || !w.send(ctx, sw, writers, block{data: shards[i], sum: sums[i], buf: plain}) {
					plain.release()
				}
			}
			continue
		}
		feedHash(hp, parts, buf)
		pos += bl + blockHashSize
		inBuf++
		last := j == stripeCount-1
		if !last && inBuf < perBuf {
			continue
		}
		// Send every region from its start to its last whole page (the
		// last buffer: to its end); what follows is carried to the next.
		sent, carry = pos, 0
		if !last {
			sent = pos &^ (backends.PieceAlign - 1)
			carry = pos - sent
		}
		if sent > 0 {
			buf.refs.Add(int32(n))
			for i, sw := range writers {
				if sw == nil || !w.send(ctx, sw, writers, block{data: buf.regions[i][:sent], buf: buf}) {
					buf.release()
				}
			}
		}
		prev, buf, inBuf = buf, nil, 0
	}
	return nil
}

// feedHash hands the data parts of a stripe held in b to hp, if any.
func feedHash(hp *HashPipe, parts [][]byte, b *stripeBuf) {
	if hp != nil {
		b.refs.Add(1)
		hp.ch <- hashJob{parts: parts, buf: b}
	}
}

// send hands a block to a shard writer. A writer that has failed, or that
// stalls while the others can still make quorum, is dropped (false: the
// caller releases the block).
func (w *Writer) send(ctx context.Context, sw *shardWriter, all []*shardWriter, b block) bool {
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
		return ErrShortBody
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

// startShard starts the backend Put of one shard and returns its writer,
// whose channel holds depth blocks.
// The outcome goes to landed, then on results.
func (w *Writer) startShard(seg, shard int, size int64, header []byte, depth int, results chan<- error) *shardWriter {
	r := w.regions[shard]
	name := "(none)"
	if r != nil {
		name = r.Name()
	}
	ctx, cancel := context.WithCancel(w.ctx)
	sw := &shardWriter{region: name, ch: make(chan block, depth), done: make(chan struct{}), cancel: cancel}
	if header != nil {
		sw.ch <- block{data: header}
	}
	key := Key(w.blob.Layout.Keys, w.blob.ID, seg, shard)
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		defer cancel()
		var err error
		switch {
		case r == nil:
			err = fmt.Errorf("shard %d: %w", shard, ErrNoRegion)
		case !r.Available():
			err = fmt.Errorf("region %s: %w", name, backends.ErrUnavailable)
		default:
			err = r.Backend().Put(ctx, w.blob.Bucket, key, &chanReader{ch: sw.ch}, size)
			r.Wrote(err)
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
		if w.landed != nil {
			if lerr := w.landed(seg, shard, err); lerr != nil && err == nil {
				err = lerr
			}
		}
		results <- err
	}()
	return sw
}

// chanReader turns a writer's block channel into the body a backend Put
// consumes: an io.Reader, and a backends.PiecewiseBody whose pieces are the
// blocks' data and hashes as they are in memory.
type chanReader struct {
	ch   chan block
	cur  block
	part int // 0: data, 1: sum
	open bool
}

// current returns the unread bytes of the current part of the current
// block (its data, then its hash), moving on — and releasing a block used
// up — until there are some; false at the end of the stream.
func (r *chanReader) current() (*[]byte, bool) {
	for {
		if r.open {
			src := &r.cur.data
			if r.part == 1 {
				src = &r.cur.sum
			}
			if len(*src) > 0 {
				return src, true
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
			return nil, false
		}
		r.cur, r.part, r.open = b, 0, true
	}
}

func (r *chanReader) Read(p []byte) (int, error) {
	src, ok := r.current()
	if !ok {
		return 0, io.EOF
	}
	n := copy(p, *src)
	*src = (*src)[n:]
	return n, nil
}

// NextPiece implements backends.PiecewiseBody: the piece stays valid until
// the next call, which releases its block once used up.
func (r *chanReader) NextPiece() ([]byte, error) {
	src, ok := r.current()
	if !ok {
		return nil, io.EOF
	}
	p := *src
	*src = nil
	return p, nil
}
