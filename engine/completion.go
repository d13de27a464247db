package engine

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/prismd/prismd/engine/datapath"
	plog "github.com/prismd/prismd/log"
	"github.com/prismd/prismd/projections"
)

// RunCompletion makes one pass over the shards of committed objects that
// are not (or no longer) on their region — never written, failed, missing or
// corrupt — and rewrites them by re-encoding the segment from k good shards.
// It returns how many shards it wrote and how many it could not.
func (e *Engine) RunCompletion(ctx context.Context) (written, failed int, err error) {
	type segKey struct {
		blob plog.BlobID
		seg  int
	}
	work := map[segKey][]int{}
	var order []segKey
	v := e.view()
	v.PendingShards(func(p projections.PendingShard) bool {
		if e.isWriting(p.Blob) {
			return true
		}
		k := segKey{p.Blob, p.Segment}
		if _, ok := work[k]; !ok {
			order = append(order, k)
		}
		work[k] = append(work[k], p.Shard)
		return true
	})
	for _, k := range order {
		if err := ctx.Err(); err != nil {
			return written, failed, err
		}
		b, ok := e.view().Blob(k.blob)
		if !ok || b.Refs == 0 {
			continue
		}
		shards := work[k]
		sort.Ints(shards)
		n, err := e.completeSegment(ctx, b, k.seg, shards)
		written += n
		failed += len(shards) - n
		if err != nil {
			e.logger.Debug("completion", "blob", fmt.Sprintf("%x", k.blob), "segment", k.seg, "err", err)
		}
	}
	return written, failed, nil
}

// completeSegment rewrites the given shards of one segment: it reads the
// segment from k good shards through the data path (what GET verifies,
// it verifies) and writes just those shards, logging ShardRepaired for
// each that lands. It returns how many landed.
func (e *Engine) completeSegment(ctx context.Context, b projections.Blob, seg int, shards []int) (int, error) {
	geo := datapath.SegmentGeometry(b.Layout, b.Size, seg)
	only := make([]bool, geo.N())
	var targets []string
	placement := make([]string, geo.N())
	for i := range geo.N() {
		placement[i] = b.ShardRegion(seg, i)
	}
	for _, sh := range shards {
		r := e.region(placement[sh])
		if r == nil { // the region was removed: rebuild the shard on one that holds none of this segment
			placement[sh] = e.replacementRegion(placement)
			r = e.region(placement[sh])
		}
		if r == nil || !r.writable() || !r.available() {
			continue // down, or its writes keep failing: later, with backoff
		}
		only[sh] = true
		targets = append(targets, placement[sh])
	}
	if len(targets) == 0 {
		return 0, fmt.Errorf("regions of shards %v unavailable", shards)
	}
	e.ensureBackendBuckets(ctx, b.Bucket, targets)
	var body io.Reader = strings.NewReader("")
	if geo.Stripes() > 0 {
		sr := e.readSegment(ctx, b, seg, 0, geo.Stripes()-1, nil)
		defer sr.Close()
		body = sr.Data()
	}
	w := e.newBlobWrite(ctx, datapath.Blob{ID: b.ID, Bucket: e.backendBucket(b.Bucket), Layout: b.Layout, Size: b.Size}, placement, 0, true)
	defer w.cancel()
	err := w.dw.WriteSegment(ctx, seg, body, nil, only)
	w.dw.Wait()
	landed := 0
	after, _ := e.view().Blob(b.ID)
	for _, sh := range shards {
		if only[sh] && after.ShardState(seg, sh) == "stored" {
			landed++
		}
	}
	return landed, dataError(err)
}

// isWriting reports whether a PUT of this process is still writing the blob.
func (e *Engine) isWriting(id plog.BlobID) bool {
	_, ok := e.writing.Load(id)
	return ok
}

// replacementRegion picks a healthy region that holds no shard of a segment
// placed as given; "" when there is none.
func (e *Engine) replacementRegion(placement []string) string {
	for _, name := range e.regionNames() {
		if !slices.Contains(placement, name) && e.region(name).healthy() {
			return name
		}
	}
	return ""
}
