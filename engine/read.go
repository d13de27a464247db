package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/prismd/prismd/backends"
	plog "github.com/prismd/prismd/log"
	"github.com/prismd/prismd/projections"
)

// readBufs pools block buffers for reads by power-of-two size class, so a
// 4 KiB object does not take (and clear) a 256 KiB buffer.
var readBufs [40]sync.Pool

func sizeClass(n int) int {
	c := 12 // 4 KiB at least
	for 1<<c < n {
		c++
	}
	return c
}

func getReadBuf(n int) []byte {
	c := sizeClass(n)
	if b, ok := readBufs[c].Get().(*[]byte); ok {
		return (*b)[:n]
	}
	return make([]byte, n, 1<<c)
}

func putReadBuf(b []byte) {
	b = b[:cap(b)]
	c := sizeClass(len(b))
	if 1<<c == len(b) {
		readBufs[c].Put(&b)
	}
}

// extentReader yields bytes of a sequence of blobs (an object's extents).
type extentReader struct {
	e      *Engine
	ctx    context.Context
	cancel context.CancelFunc
	blobs  []projections.Blob
	sizes  []int64
	pos    int64 // absolute offset in the object of the next byte
	end    int64 // exclusive
	seg    *segmentReader
	out    [][]byte // pending output of the current stripe
	err    error
	// release, when set, is called once by Close (it unpins the blobs).
	release func()
}

// openExtents returns a reader of bytes [off, off+length) of the extents.
// The caller keeps the blobs pinned while it reads (lookupPinned).
func (e *Engine) openExtents(ctx context.Context, extents []plog.Extent, off, length int64) (*extentReader, error) {
	v := e.view()
	r := &extentReader{e: e, pos: off, end: off + length}
	for _, x := range extents {
		b, ok := v.Blob(x.Blob)
		if !ok {
			return nil, fmt.Errorf("blob %x of object is unknown: %w", x.Blob, ErrQuorum)
		}
		r.blobs = append(r.blobs, b)
		r.sizes = append(r.sizes, x.Size)
	}
	r.ctx, r.cancel = context.WithCancel(ctx)
	return r, nil
}

func (r *extentReader) Read(p []byte) (int, error) {
	for len(r.out) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		if r.pos >= r.end {
			r.err = io.EOF
			return 0, io.EOF
		}
		if err := r.fill(); err != nil {
			r.err = err
			return 0, err
		}
	}
	n := 0
	for n < len(p) && len(r.out) > 0 {
		c := copy(p[n:], r.out[0])
		n += c
		if r.out[0] = r.out[0][c:]; len(r.out[0]) == 0 {
			r.out = r.out[1:]
		}
	}
	r.pos += int64(n)
	return n, nil
}

// fill decodes the stripe holding r.pos into r.out.
func (r *extentReader) fill() error {
	// Find the extent, segment and stripe of r.pos.
	base := int64(0)
	for i, b := range r.blobs {
		size := r.sizes[i]
		if r.pos >= base+size {
			base += size
			continue
		}
		rel := r.pos - base
		l := b.Layout
		seg := int(rel / l.SegmentSize)
		segStart := int64(seg) * l.SegmentSize
		geo := segmentGeometry(l, b.Size, seg)
		stripe := int((rel - segStart) / geo.stripeBytes())
		if r.seg == nil || r.seg.blob.ID != b.ID || r.seg.seg != seg || r.seg.next != stripe {
			if r.seg != nil {
				r.seg.close()
			}
			// Read every stripe of this segment that the range needs.
			lastRel := min(r.end-base, size) - 1 - segStart
			last := min(int(lastRel/geo.stripeBytes()), geo.stripes()-1)
			var need []int
			if last == stripe && geo.k > 1 {
				// Within one stripe: only the data shards holding the range.
				bl := int64(geo.blockLen(stripe))
				from := rel - segStart - int64(stripe)*geo.stripeBytes()
				to := lastRel - int64(stripe)*geo.stripeBytes()
				for sh := from / bl; sh <= to/bl && sh < int64(geo.k); sh++ {
					need = append(need, int(sh))
				}
			}
			r.seg = r.e.openSegment(r.ctx, b, seg, geo, stripe, last, need)
		}
		pieces, err := r.seg.stripe()
		if err != nil {
			return err
		}
		skip := (rel - segStart) - int64(stripe)*geo.stripeBytes()
		r.out = window(pieces, skip, r.end-r.pos)
		return nil
	}
	return fmt.Errorf("offset %d beyond object data: %w", r.pos, io.ErrUnexpectedEOF)
}

// WriteTo hands the verified blocks to w as they are decoded, without
// copying them through a buffer.
func (r *extentReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		for len(r.out) > 0 {
			n, err := w.Write(r.out[0])
			total += int64(n)
			r.pos += int64(n)
			r.out = r.out[1:]
			if err != nil {
				r.err = err
				return total, err
			}
		}
		if r.err != nil {
			if r.err == io.EOF {
				return total, nil
			}
			return total, r.err
		}
		if r.pos >= r.end {
			r.err = io.EOF
			return total, nil
		}
		if err := r.fill(); err != nil {
			r.err = err
			return total, err
		}
	}
}

// window trims pieces to the bytes [skip, skip+limit), in place.
func window(pieces [][]byte, skip, limit int64) [][]byte {
	for len(pieces) > 0 && skip >= int64(len(pieces[0])) {
		skip -= int64(len(pieces[0]))
		pieces = pieces[1:]
	}
	if len(pieces) > 0 {
		pieces[0] = pieces[0][skip:]
	}
	for i, p := range pieces {
		if int64(len(p)) >= limit {
			pieces[i] = p[:limit]
			return pieces[:i+1]
		}
		limit -= int64(len(p))
	}
	return pieces
}

func (r *extentReader) Close() error {
	r.cancel()
	if r.seg != nil {
		r.seg.close()
	}
	if r.release != nil {
		r.release()
		r.release = nil
	}
	return nil
}

// segmentReader reads stripes [next, last] of one segment from the fastest
// k shards, hedging to spare shards when one is slow, failing or corrupt.
type segmentReader struct {
	e       *Engine
	ctx     context.Context
	cancel  context.CancelFunc
	blob    projections.Blob
	bucket  string
	seg     int
	geo     geometry
	next    int
	last    int
	spares  []int // shard indices not yet asked, best first
	active  map[int]*shardStream
	held    [][]byte // buffers of the previous stripe, released on the next call
	pieces  [][]byte
	shards  [][]byte
	failure []string
	partial int // > 0: a single-stripe range reads only that many data shards (the first spares)
}

type shardStream struct {
	shard  int
	region *region
	ch     chan streamItem
	cancel context.CancelFunc
	start  time.Time
}

type streamItem struct {
	shard, stripe int
	buf           []byte // block + hash; block is buf[:blockLen]
	err           error
}

// openSegment starts reading stripes [first, last] of a segment. need, when
// set, lists the data shards a single-stripe range needs.
func (e *Engine) openSegment(ctx context.Context, b projections.Blob, seg int, geo geometry, first, last int, need []int) *segmentReader {
	s := &segmentReader{e: e, blob: b, bucket: e.backendBucket(b.Bucket), seg: seg, geo: geo, next: first, last: last, active: map[int]*shardStream{}}
	s.ctx, s.cancel = context.WithCancel(ctx)
	type cand struct {
		shard int
		score float64
	}
	var cands []cand
	for i := range geo.n() {
		if b.ShardState(seg, i) != "stored" {
			continue
		}
		r := e.region(b.ShardRegion(seg, i))
		if r == nil {
			continue
		}
		sc := r.score()
		if i >= geo.k {
			// Prefer data shards unless clearly slower: no decoding, and
			// the blocks go to the client without a copy.
			sc = sc*1.5 + 0.002
		}
		cands = append(cands, cand{i, sc})
	}
	slices.SortStableFunc(cands, func(a, b cand) int {
		switch {
		case a.score < b.score:
			return -1
		case a.score > b.score:
			return 1
		}
		return 0
	})
	for _, c := range cands {
		s.spares = append(s.spares, c.shard)
	}
	// A range inside one stripe needs only the data shards holding it:
	// read just those while they are healthy; any trouble falls back to k.
	if len(need) > 0 && len(need) < geo.k {
		healthy := true
		for _, sh := range need {
			r := e.region(b.ShardRegion(seg, sh))
			healthy = healthy && slices.Contains(s.spares, sh) && r != nil && r.healthy()
		}
		if healthy {
			s.partial = len(need)
			s.spares = slices.DeleteFunc(s.spares, func(sh int) bool { return slices.Contains(need, sh) })
			s.spares = append(slices.Clone(need), s.spares...)
		}
	}
	for range s.want() {
		s.startSpare(first)
	}
	return s
}

// want is how many blocks a stripe needs: k, or the data shards of a
// partial read.
func (s *segmentReader) want() int {
	if s.partial > 0 {
		return s.partial
	}
	return s.geo.k
}

// zeros stands in for the data blocks a partial read skips: the range
// never reaches into them.
var zeros = make([]byte, 1<<20)

// startSpare asks the best unused shard for stripes [from, last]; nil when none is left.
func (s *segmentReader) startSpare(from int) *shardStream {
	if len(s.spares) == 0 {
		return nil
	}
	shard := s.spares[0]
	s.spares = s.spares[1:]
	reg := s.e.region(s.blob.ShardRegion(s.seg, shard))
	ctx, cancel := context.WithCancel(s.ctx)
	st := &shardStream{shard: shard, region: reg, ch: make(chan streamItem, pipelineDepth), cancel: cancel, start: time.Now()}
	s.active[shard] = st
	go s.stream(ctx, st, from)
	return st
}

// stream reads blocks [from, last] of one shard and sends them, verified.
func (s *segmentReader) stream(ctx context.Context, st *shardStream, from int) {
	defer close(st.ch)
	send := func(it streamItem) bool {
		select {
		case st.ch <- it:
			return true
		case <-ctx.Done():
			if it.buf != nil {
				putReadBuf(it.buf)
			}
			return false
		}
	}
	if !st.region.available() {
		send(streamItem{shard: st.shard, stripe: from, err: backends.ErrUnavailable})
		return
	}
	key := shardKey(s.blob.ID, s.seg, st.shard)
	// A read of every block asks for the whole shard object, header
	// included: servers answer a GET without a Range more cheaply (versitygw
	// sends a whole file with sendfile, a range through a user-space copy,
	// at three times the CPU per small request), and the header is checked.
	whole := from == 0 && s.last == s.geo.stripes()-1
	off, length := int64(0), int64(-1)
	if !whole {
		off = s.geo.blockOffset(from)
		length = s.geo.blockOffset(s.last) + int64(s.geo.blockLen(s.last)+blockHashSize) - off
	}
	rc, err := st.region.backend.Get(ctx, s.bucket, key, off, length)
	if err != nil {
		st.region.observe(time.Since(st.start), err)
		send(streamItem{shard: st.shard, stripe: from, err: err})
		return
	}
	defer rc.Close()
	if whole {
		if err := s.checkHeader(rc, st.shard, key); err != nil {
			st.region.outcome(err)
			send(streamItem{shard: st.shard, stripe: from, err: err})
			return
		}
	}
	first := true
	for j := from; j <= s.last; j++ {
		bl := s.geo.blockLen(j)
		buf := getReadBuf(bl + blockHashSize)
		if _, err := io.ReadFull(rc, buf); err != nil {
			putReadBuf(buf)
			st.region.outcome(err)
			// A body cut short because the region went away (ErrUnavailable)
			// says nothing about the shard; a stored shard that ends early is
			// corrupt.
			if (errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)) && !errors.Is(err, backends.ErrUnavailable) {
				err = fmt.Errorf("shard %s is short: %w", key, errCorruptShard)
			}
			send(streamItem{shard: st.shard, stripe: j, err: err})
			return
		}
		if first {
			st.region.observe(time.Since(st.start), nil)
			first = false
		}
		if !verifyBlock(buf[:bl], buf[bl:], s.blob.ID, s.seg, st.shard, j) {
			putReadBuf(buf)
			send(streamItem{shard: st.shard, stripe: j, err: fmt.Errorf("shard %s stripe %d: hash mismatch: %w", key, j, errCorruptShard)})
			return
		}
		if !send(streamItem{shard: st.shard, stripe: j, buf: buf}) {
			return
		}
	}
	// Read the end of the body: an HTTP connection goes back to its pool
	// only when its response was read to EOF before Close.
	io.Copy(io.Discard, io.LimitReader(rc, 1))
}

// checkHeader reads a shard's header from rc and checks that it describes
// this shard of this segment.
func (s *segmentReader) checkHeader(rc io.Reader, shard int, key string) error {
	var b [shardHeaderSize]byte
	if _, err := io.ReadFull(rc, b[:]); err != nil {
		if (errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)) && !errors.Is(err, backends.ErrUnavailable) {
			return fmt.Errorf("shard %s is short: %w", key, errCorruptShard)
		}
		return err
	}
	h, err := decodeShardHeader(b[:])
	if err != nil {
		return fmt.Errorf("shard %s: %w", key, err)
	}
	if h.blob != s.blob.ID || h.segment != s.seg || h.shard != shard || h.geo != s.geo {
		return fmt.Errorf("shard %s: header describes another shard: %w", key, errCorruptShard)
	}
	return nil
}

// stripe returns the data of the next stripe, in pieces. They are valid until the next call.
func (s *segmentReader) stripe() ([][]byte, error) {
	for _, b := range s.held {
		putReadBuf(b)
	}
	s.held = s.held[:0]
	if s.next > s.last {
		return nil, fmt.Errorf("segment %d: read past stripe %d: %w", s.seg, s.last, io.ErrUnexpectedEOF)
	}
	j := s.next
	k, n := s.geo.k, s.geo.n()
	bl := s.geo.blockLen(j)
	if cap(s.shards) < n {
		s.shards = make([][]byte, n)
	}
	got := s.shards[:n]
	clear(got)
	count, waiting := 0, 0
	collect := make(chan streamItem, n)
	wait := func(st *shardStream) {
		waiting++
		go func() {
			for it := range st.ch {
				if it.stripe < j && it.err == nil {
					putReadBuf(it.buf)
					continue
				}
				collect <- it
				return
			}
			collect <- streamItem{shard: st.shard, stripe: j, err: errCanceled}
		}()
	}
	for _, st := range s.active {
		wait(st)
	}
	hedge := time.NewTimer(s.hedgeAfter())
	defer hedge.Stop()
	for count < s.want() {
		for waiting+count < s.want() {
			st := s.startSpare(j)
			if st == nil {
				return nil, fmt.Errorf("segment %d stripe %d of blob %x: %d good shards, need %d (%v): %w", s.seg, j, s.blob.ID, count+waiting, k, s.failure, ErrQuorum)
			}
			wait(st)
		}
		select {
		case it := <-collect:
			waiting--
			if it.err != nil {
				s.fail(it)
				s.partial = 0 // reconstruct from k shards instead
				continue
			}
			if got[it.shard] != nil || s.active[it.shard] == nil {
				putReadBuf(it.buf)
				continue
			}
			got[it.shard] = it.buf[:bl]
			s.held = append(s.held, it.buf)
			count++
		case <-hedge.C:
			s.partial = 0 // a slow shard: any k will do
			if st := s.startSpare(j); st != nil {
				wait(st)
			}
			hedge.Reset(s.hedgeAfter())
		case <-s.ctx.Done():
			return nil, s.ctx.Err()
		}
	}
	// Streams that did not contribute are the slow ones: drop them, but
	// keep their shards as spares (last): if a faster stream fails later,
	// a slow shard is still a good one.
	for shard, st := range s.active {
		if got[shard] == nil {
			st.region.observe(time.Since(st.start), nil)
			st.cancel()
			delete(s.active, shard)
			s.spares = append(s.spares, shard)
		}
	}
	s.next++
	return s.assemble(got, j)
}

// assemble turns k verified blocks of stripe j into its data bytes, as the
// data blocks themselves (no copy) unless some must be reconstructed.
func (s *segmentReader) assemble(got [][]byte, j int) ([][]byte, error) {
	k := s.geo.k
	d := s.geo.stripeData(j)
	if k == 1 {
		for _, b := range got {
			if b != nil {
				return [][]byte{b[:d]}, nil
			}
		}
	}
	for i := range k {
		if got[i] == nil && s.partial > 0 {
			if bl := s.geo.blockLen(j); bl <= len(zeros) {
				got[i] = zeros[:bl]
			} else {
				got[i] = make([]byte, bl)
			}
			continue
		}
		if got[i] == nil {
			c, err := coder(k, s.geo.m)
			if err != nil {
				return nil, err
			}
			// Missing data blocks are rebuilt into pooled buffers
			// (reedsolomon reuses a zero-length slice with room).
			for m := i; m < k; m++ {
				if got[m] == nil {
					buf := getReadBuf(s.geo.blockLen(j) + blockHashSize)
					s.held = append(s.held, buf)
					got[m] = buf[:0]
				}
			}
			if err := c.ReconstructData(got); err != nil {
				return nil, fmt.Errorf("reconstruct stripe %d: %w", j, err)
			}
			break
		}
	}
	out := s.pieces[:0]
	for i := range k {
		n := min(len(got[i]), d)
		out = append(out, got[i][:n])
		d -= n
	}
	s.pieces = out
	return out, nil
}

// fail drops a failed stream and records corruption or loss for repair.
func (s *segmentReader) fail(it streamItem) {
	st := s.active[it.shard]
	if st == nil {
		return
	}
	st.cancel()
	delete(s.active, it.shard)
	if errors.Is(it.err, errCanceled) && s.ctx.Err() != nil {
		return
	}
	region := s.blob.ShardRegion(s.seg, it.shard)
	s.failure = append(s.failure, fmt.Sprintf("shard %d on %s: %v", it.shard, region, it.err))
	switch {
	case errors.Is(it.err, errCorruptShard):
		s.e.reportShard(plog.ShardCorrupt{Blob: s.blob.ID, Segment: s.seg, Shard: it.shard, Region: region, Detail: it.err.Error()})
	case errors.Is(it.err, backends.ErrNotFound):
		s.e.reportShard(plog.ShardMissing{Blob: s.blob.ID, Segment: s.seg, Shard: it.shard, Region: region})
	case errors.Is(it.err, backends.ErrNoSuchBucket):
		if r := s.e.region(region); r != nil {
			s.e.suspect(r) // the whole backend bucket is gone there
		}
	}
}

func (s *segmentReader) hedgeAfter() time.Duration {
	d := 150 * time.Millisecond
	for _, st := range s.active {
		d = max(d, st.region.hedgeAfter())
	}
	return d
}

func (s *segmentReader) close() {
	s.cancel()
	for _, b := range s.held {
		putReadBuf(b)
	}
	s.held = nil
}

// reportShard records a corrupt or missing shard once, in the background.
func (e *Engine) reportShard(ev plog.Event) {
	if !e.inflight.add() {
		return // closing: a later read or scrub finds it again
	}
	go func() {
		defer e.inflight.done()
		var attrs []any
		switch ev := ev.(type) {
		case plog.ShardCorrupt:
			attrs = []any{"problem", "corrupt", "blob", fmt.Sprintf("%x", ev.Blob), "segment", ev.Segment, "shard", ev.Shard, "region", ev.Region, "detail", ev.Detail}
		case plog.ShardMissing:
			attrs = []any{"problem", "missing", "blob", fmt.Sprintf("%x", ev.Blob), "segment", ev.Segment, "shard", ev.Shard, "region", ev.Region}
		}
		if _, err := e.append(e.base, ev); err != nil {
			e.logger.Warn("could not record a shard problem", append(attrs, "err", err)...)
			return
		}
		e.logger.Warn("shard needs repair", attrs...)
	}()
}
