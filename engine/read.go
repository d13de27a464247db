package engine

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/prismd/prismd/backends"
	"github.com/prismd/prismd/engine/datapath"
	plog "github.com/prismd/prismd/log"
	"github.com/prismd/prismd/projections"
)

// extentReader yields bytes of a sequence of blobs (an object's extents).
type extentReader struct {
	e      *Engine
	ctx    context.Context
	cancel context.CancelFunc
	blobs  []projections.Blob
	sizes  []int64
	pos    int64            // absolute offset in the object of the next byte
	end    int64            // exclusive
	seg    *datapath.Reader // reads segment segOf.seg of blob segOf.blob
	segOf  struct {
		blob plog.BlobID
		seg  int
	}
	out [][]byte // pending output of the current stripe
	err error
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
		geo := datapath.SegmentGeometry(l, b.Size, seg)
		stripe := int((rel - segStart) / geo.StripeBytes())
		if r.seg == nil || r.segOf.blob != b.ID || r.segOf.seg != seg || r.seg.Next() != stripe {
			if r.seg != nil {
				r.seg.Close()
			}
			// Read every stripe of this segment that the range needs.
			lastRel := min(r.end-base, size) - 1 - segStart
			last := min(int(lastRel/geo.StripeBytes()), geo.Stripes()-1)
			var need []int
			if last == stripe && geo.K > 1 {
				// Within one stripe: only the data shards holding the range.
				bl := int64(geo.BlockLen(stripe))
				from := rel - segStart - int64(stripe)*geo.StripeBytes()
				to := lastRel - int64(stripe)*geo.StripeBytes()
				for sh := from / bl; sh <= to/bl && sh < int64(geo.K); sh++ {
					need = append(need, int(sh))
				}
			}
			r.seg = r.e.readSegment(r.ctx, b, seg, stripe, last, need)
			r.segOf.blob, r.segOf.seg = b.ID, seg
		}
		pieces, err := r.seg.Stripe()
		if err != nil {
			return dataError(err)
		}
		skip := (rel - segStart) - int64(stripe)*geo.StripeBytes()
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
		r.seg.Close()
	}
	if r.release != nil {
		r.release()
		r.release = nil
	}
	return nil
}

// segment describes segment seg of blob b for the data path: its shards
// that are stored, on regions in use.
func (e *Engine) segment(b projections.Blob, seg int) datapath.Segment {
	s := datapath.Segment{Blob: b.ID, Index: seg, Geo: datapath.SegmentGeometry(b.Layout, b.Size, seg), Keys: b.Layout.Keys, Bucket: e.backendBucket(b.Bucket)}
	s.Shards = make([]datapath.Region, s.Geo.N())
	for i := range s.Shards {
		if b.ShardState(seg, i) != "stored" {
			continue
		}
		if r := e.region(b.ShardRegion(seg, i)); r != nil {
			s.Shards[i] = e.dataRegion(r)
		}
	}
	return s
}

// readSegment starts reading stripes [first, last] of segment seg of blob
// b (need: see datapath.Read); shards found corrupt or missing are
// recorded, in the background.
func (e *Engine) readSegment(ctx context.Context, b projections.Blob, seg, first, last int, need []int) *datapath.Reader {
	return datapath.Read(ctx, e.segment(b, seg), first, last, need, func(shard int, err error) {
		e.readFailed(b, seg, shard, err)
	})
}

// readFailed turns a shard the data path could not read into what it
// means: corrupt or missing shards are recorded for repair; a backend
// bucket gone makes its region suspect.
func (e *Engine) readFailed(b projections.Blob, seg, shard int, err error) {
	region := b.ShardRegion(seg, shard)
	switch {
	case errors.Is(err, datapath.ErrCorrupt):
		e.reportShard(plog.ShardCorrupt{Blob: b.ID, Segment: seg, Shard: shard, Region: region, Detail: err.Error()})
	case errors.Is(err, backends.ErrNotFound):
		e.reportShard(plog.ShardMissing{Blob: b.ID, Segment: seg, Shard: shard, Region: region})
	case errors.Is(err, backends.ErrNoSuchBucket):
		if r := e.region(region); r != nil {
			e.suspect(r) // the whole backend bucket is gone there
		}
	}
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
