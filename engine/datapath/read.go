package datapath

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	plog "github.com/prismd/prismd/log"
)

// Segment is one segment of a blob and the regions holding its shards.
type Segment struct {
	Blob   plog.BlobID
	Index  int
	Geo    Geometry
	Keys   plog.KeyLayout // how its shards' backend keys are made
	Bucket string         // backend bucket
	// Shards[i] holds shard i; nil when shard i is not stored (pending,
	// or its region is gone).
	Shards []Region
}

// Reader reads stripes [first, last] of one segment from the fastest k
// shards, hedging to spare shards when one is slow, failing or corrupt.
// Every block it returns was verified.
type Reader struct {
	seg     Segment
	failed  func(shard int, err error)
	ctx     context.Context
	cancel  context.CancelFunc
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
	region Region
	from   int // the first stripe asked for
	ch     chan streamItem
	cancel context.CancelFunc
	start  time.Time
	m      meter
	hedged int // > 0: a spare was asked because this stream was behind on stripe hedged-1
}

type streamItem struct {
	shard, stripe int
	buf           []byte // block + hash; block is buf[:blockLen]
	err           error
}

// Read starts reading stripes [first, last] of segment s. need, when set,
// lists the data shards a range inside one stripe needs. failed is told,
// once per shard, of every shard that could not be read — with an error
// wrapping ErrCorrupt, backends.ErrNotFound, backends.ErrNoSuchBucket or
// another failure — while the read goes on from the other shards; it may
// be nil. Close the Reader when done.
func Read(ctx context.Context, s Segment, first, last int, need []int, failed func(shard int, err error)) *Reader {
	r := &Reader{seg: s, failed: failed, next: first, last: last, active: map[int]*shardStream{}}
	r.ctx, r.cancel = context.WithCancel(ctx)
	r.spares = readOrder(s)
	// A range inside one stripe needs only the data shards holding it:
	// read just those while they are healthy; any trouble falls back to k.
	if len(need) > 0 && len(need) < s.Geo.K {
		healthy := true
		for _, sh := range need {
			healthy = healthy && slices.Contains(r.spares, sh) && s.Shards[sh].Health().Healthy
		}
		if healthy {
			r.partial = len(need)
			r.spares = slices.DeleteFunc(r.spares, func(sh int) bool { return slices.Contains(need, sh) })
			r.spares = append(slices.Clone(need), r.spares...)
		}
	}
	for range r.want() {
		r.startSpare(first)
	}
	return r
}

// readOrder returns the shards of s that are stored, best to read first:
// by the time their regions are expected to take for a block (the time to
// first byte, then the block at the pace their bodies flow), a parity
// shard's made worse so that data shards come first unless clearly
// slower. Reading a data shard needs no decoding, and its blocks go to the
// client without a copy. Clearly means by half again and 2 ms between
// distant regions, and by at least 10 ms between regions a few
// milliseconds away (local disks, one data centre), whose jitter under
// load is larger than their differences: there, reading parity would only
// add the decoding. A region whose pace is stale is tried now and then
// (Region.RetryPace): that read asks it first, so that it is measured
// again however it was measured before (a region starved of bandwidth
// also answered late, and probes alone may not show it fast again); if it
// is still slow, the read hedges on its progress.
func readOrder(s Segment) []int {
	type cand struct {
		shard int
		score float64
	}
	var cands []cand
	bl := s.Geo.BlockLen(0)
	for i, reg := range s.Shards {
		if reg == nil || i >= s.Geo.N() {
			continue
		}
		h := reg.Health()
		sc := blockTime(h, bl).Seconds()
		switch {
		case h.PerByte > 0 && reg.RetryPace():
			sc = -1 // the trial: first, whatever was learned of it before
		case i >= s.Geo.K:
			sc = max(sc*1.5+0.002, sc+0.010)
		}
		cands = append(cands, cand{i, sc})
	}
	slices.SortStableFunc(cands, func(a, b cand) int { return cmp.Compare(a.score, b.score) })
	order := make([]int, 0, len(cands))
	for _, c := range cands {
		order = append(order, c.shard)
	}
	return order
}

// Next returns the index of the stripe the next call of Stripe returns;
// beyond the last one, every stripe was read.
func (r *Reader) Next() int { return r.next }

// want is how many blocks a stripe needs: k, or the data shards of a
// partial read.
func (r *Reader) want() int {
	if r.partial > 0 {
		return r.partial
	}
	return r.seg.Geo.K
}

// zeros stands in for the data blocks a partial read skips: the range
// never reaches into them.
var zeros = make([]byte, 1<<20)

// startSpare asks the best unused shard for stripes [from, last]; nil when none is left.
func (r *Reader) startSpare(from int) *shardStream {
	if len(r.spares) == 0 {
		return nil
	}
	shard := r.spares[0]
	r.spares = r.spares[1:]
	ctx, cancel := context.WithCancel(r.ctx)
	st := &shardStream{shard: shard, region: r.seg.Shards[shard], from: from, ch: make(chan streamItem, pipelineDepth), cancel: cancel, start: time.Now()}
	r.active[shard] = st
	go r.stream(ctx, st, from)
	return st
}

// stream reads blocks [from, last] of one shard and sends them, verified.
func (r *Reader) stream(ctx context.Context, st *shardStream, from int) {
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
	next := from
	err := readShard(ctx, st.region, r.seg, st.shard, from, r.last, st.start, false, &st.m, func(j int, buf []byte) bool {
		next = j + 1
		return send(streamItem{shard: st.shard, stripe: j, buf: buf})
	})
	if err != nil {
		send(streamItem{shard: st.shard, stripe: next, err: err})
	}
}

// Stripe returns the data of the next stripe, in pieces. They are valid
// until the next call. An error wraps ErrTooFewShards when fewer than k
// shards of the stripe could be read.
func (r *Reader) Stripe() ([][]byte, error) {
	for _, b := range r.held {
		putReadBuf(b)
	}
	r.held = r.held[:0]
	if r.next > r.last {
		return nil, fmt.Errorf("segment %d: read past stripe %d: %w", r.seg.Index, r.last, io.ErrUnexpectedEOF)
	}
	j := r.next
	k, n := r.seg.Geo.K, r.seg.Geo.N()
	bl := r.seg.Geo.BlockLen(j)
	if cap(r.shards) < n {
		r.shards = make([][]byte, n)
	}
	got := r.shards[:n]
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
	for _, st := range r.active {
		wait(st)
	}
	// The timer looks at the streams every progressEvery: one already
	// flowing but behind is hedged at once (hedgeBehind), and after
	// hedgeAfter without the stripe, another shard is asked whatever
	// the streams show.
	hedgeAt := time.Now().Add(r.hedgeAfter())
	hedge := time.NewTimer(progressEvery)
	defer hedge.Stop()
	for count < r.want() {
		for waiting+count < r.want() {
			st := r.startSpare(j)
			if st == nil {
				return nil, fmt.Errorf("segment %d stripe %d of blob %x: %d good shards, need %d (%v): %w", r.seg.Index, j, r.seg.Blob, count+waiting, k, r.failure, ErrTooFewShards)
			}
			wait(st)
		}
		select {
		case it := <-collect:
			waiting--
			if it.err != nil {
				r.fail(it)
				r.partial = 0 // reconstruct from k shards instead
				continue
			}
			if got[it.shard] != nil || r.active[it.shard] == nil {
				putReadBuf(it.buf)
				continue
			}
			got[it.shard] = it.buf[:bl]
			r.held = append(r.held, it.buf)
			count++
		case now := <-hedge.C:
			var st *shardStream
			if now.After(hedgeAt) {
				st = r.startSpare(j)
				hedgeAt = now.Add(r.hedgeAfter())
			} else {
				st = r.hedgeBehind(j, got)
			}
			if st != nil {
				r.partial = 0 // a slow shard: any k will do
				wait(st)
			}
			hedge.Reset(progressEvery)
		case <-r.ctx.Done():
			return nil, r.ctx.Err()
		}
	}
	// Streams that did not contribute are the slow ones: drop them (each
	// tells its region how far it got), but keep their shards as spares
	// (last): if a faster stream fails later, a slow shard is still a good
	// one.
	for shard, st := range r.active {
		if got[shard] == nil {
			st.cancel()
			delete(r.active, shard)
			r.spares = append(r.spares, shard)
		}
	}
	r.next++
	return r.assemble(got, j)
}

// assemble turns k verified blocks of stripe j into its data bytes, as the
// data blocks themselves (no copy) unless some must be reconstructed.
func (r *Reader) assemble(got [][]byte, j int) ([][]byte, error) {
	geo := r.seg.Geo
	k := geo.K
	d := geo.StripeData(j)
	if k == 1 {
		for _, b := range got {
			if b != nil {
				return [][]byte{b[:d]}, nil
			}
		}
	}
	for i := range k {
		if got[i] == nil && r.partial > 0 {
			if bl := geo.BlockLen(j); bl <= len(zeros) {
				got[i] = zeros[:bl]
			} else {
				got[i] = make([]byte, bl)
			}
			continue
		}
		if got[i] == nil {
			c, err := coder(k, geo.M)
			if err != nil {
				return nil, err
			}
			// Missing data blocks are rebuilt into pooled buffers
			// (reedsolomon reuses a zero-length slice with room).
			for m := i; m < k; m++ {
				if got[m] == nil {
					buf := getReadBuf(geo.BlockLen(j) + blockHashSize)
					r.held = append(r.held, buf)
					got[m] = buf[:0]
				}
			}
			if err := c.ReconstructData(got); err != nil {
				return nil, fmt.Errorf("reconstruct stripe %d: %w", j, err)
			}
			break
		}
	}
	out := r.pieces[:0]
	for i := range k {
		n := min(len(got[i]), d)
		out = append(out, got[i][:n])
		d -= n
	}
	r.pieces = out
	return out, nil
}

// fail drops a failed stream and reports the shard.
func (r *Reader) fail(it streamItem) {
	st := r.active[it.shard]
	if st == nil {
		return
	}
	st.cancel()
	delete(r.active, it.shard)
	if errors.Is(it.err, errCanceled) && r.ctx.Err() != nil {
		return
	}
	r.failure = append(r.failure, fmt.Sprintf("shard %d on %s: %v", it.shard, st.region.Name(), it.err))
	if r.failed != nil {
		r.failed(it.shard, it.err)
	}
}

// hedgeBehind asks a spare shard for stripe j when a stream the stripe
// still waits for flows too slowly to bring its block before a spare
// would (behind); once per stream and stripe. It returns the new stream.
func (r *Reader) hedgeBehind(j int, got [][]byte) *shardStream {
	if len(r.spares) == 0 {
		return nil
	}
	spare := blockTime(r.seg.Shards[r.spares[0]].Health(), r.seg.Geo.BlockLen(j))
	for _, st := range r.active {
		if got[st.shard] != nil || st.hedged > j {
			continue
		}
		n, waited := st.m.flow()
		off, _ := r.seg.Geo.readSpan(st.from, r.last)
		if behind(n, waited, r.seg.Geo.blockEnd(j)-off-n, spare) {
			st.hedged = j + 1
			return r.startSpare(j)
		}
	}
	return nil
}

func (r *Reader) hedgeAfter() time.Duration {
	d := 150 * time.Millisecond
	for _, st := range r.active {
		d = max(d, st.region.Health().HedgeAfter)
	}
	return d
}

// Close stops the reader's shard streams and releases its buffers.
func (r *Reader) Close() {
	r.cancel()
	for _, b := range r.held {
		putReadBuf(b)
	}
	r.held = nil
}

// Data returns the segment's data bytes from the next stripe on, as a stream.
func (r *Reader) Data() io.Reader { return &segmentData{r: r} }

// segmentData reads a segment's data bytes stripe by stripe.
type segmentData struct {
	r   *Reader
	out [][]byte
}

func (d *segmentData) Read(p []byte) (int, error) {
	for len(d.out) == 0 || len(d.out[0]) == 0 {
		if len(d.out) > 0 {
			d.out = d.out[1:]
			continue
		}
		if d.r.next > d.r.last {
			return 0, io.EOF
		}
		out, err := d.r.Stripe()
		if err != nil {
			return 0, err
		}
		d.out = out
	}
	n := copy(p, d.out[0])
	d.out[0] = d.out[0][n:]
	return n, nil
}
