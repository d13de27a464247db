package engine

import (
	"context"
	"fmt"
	"slices"

	"github.com/prismd/prismd/engine/datapath"
	plog "github.com/prismd/prismd/log"
	"github.com/prismd/prismd/projections"
)

// DrainResult says what a drain did.
type DrainResult struct {
	Moved  int // shards copied to another region
	Failed int // shards that could not be moved: rebuilt from the others after the removal
}

// DrainRegion moves every stored shard of every object off a region added
// at run time, then removes the region. Each shard is copied as it is (its
// blocks carry their own hashes) to a healthy region that holds no other
// shard of its segment, and a ShardRepaired event records its new place;
// the redundancy of an object never drops during the move. Shards that
// could not be moved, and those of writes that land during the drain, are
// counted missing by the removal and rebuilt from the remaining regions,
// as RemoveRegion does.
func (e *Engine) DrainRegion(ctx context.Context, name string) (DrainResult, error) {
	var res DrainResult
	if slices.Contains(e.configured(), name) {
		return res, fmt.Errorf("region %q is in the bootstrap config; remove it there: %w", name, ErrInvalidArgument)
	}
	src := e.region(name)
	if src == nil {
		return res, fmt.Errorf("region %q: %w", name, ErrInvalidArgument)
	}
	v := e.view()
	seen := map[plog.BlobID]bool{}
	for _, b := range v.Buckets() {
		q := projections.ListQuery{Max: 1000}
		for {
			page := v.List(b.Name, q)
			for _, o := range page.Objects {
				for _, x := range o.Extents {
					if seen[x.Blob] {
						continue
					}
					seen[x.Blob] = true
					if err := e.drainBlob(ctx, x.Blob, src, &res); err != nil {
						return res, err
					}
				}
			}
			if !page.Truncated {
				break
			}
			q.After = page.Next
		}
	}
	return res, e.RemoveRegion(ctx, name)
}

// drainBlob moves the shards of one blob that are stored on src.
func (e *Engine) drainBlob(ctx context.Context, id plog.BlobID, src *region, res *DrainResult) error {
	b, ok := e.view().Blob(id)
	if !ok {
		return nil
	}
	bb := e.backendBucket(b.Bucket)
	for seg := range datapath.SegmentCount(b.Layout, b.Size) {
		shards := b.Layout.K + b.Layout.M
		var used []string
		for sh := range shards {
			used = append(used, b.ShardRegion(seg, sh))
		}
		for sh := range shards {
			if b.ShardRegion(seg, sh) != src.name || b.ShardState(seg, sh) != "stored" {
				continue
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			dst := e.drainTarget(used)
			if dst == nil {
				res.Failed++
				continue
			}
			e.ensureBackendBuckets(ctx, b.Bucket, []string{dst.name})
			key := datapath.Key(b.ID, seg, sh)
			if err := copyShard(ctx, src, dst, bb, key); err != nil {
				e.logger.Warn("drain: shard not moved", "region", src.name, "to", dst.name, "key", key, "err", err)
				res.Failed++
				continue
			}
			if _, err := e.append(ctx, plog.ShardRepaired{Blob: b.ID, Segment: seg, Shard: sh, Region: dst.name}); err != nil {
				return err
			}
			used[sh] = dst.name
			res.Moved++
		}
	}
	return nil
}

// drainTarget picks a healthy region that holds no shard of the segment.
func (e *Engine) drainTarget(used []string) *region {
	for _, name := range e.regionNames() {
		if r := e.region(name); r != nil && !slices.Contains(used, name) && r.available() && r.writable() {
			return r
		}
	}
	return nil
}

// copyShard copies one backend object from src to dst.
func copyShard(ctx context.Context, src, dst *region, bucket, key string) error {
	st, err := src.backend.Stat(ctx, bucket, key)
	if err != nil {
		return err
	}
	rc, err := src.backend.Get(ctx, bucket, key, 0, -1)
	if err != nil {
		return err
	}
	defer rc.Close()
	return dst.backend.Put(ctx, bucket, key, rc, st.Size)
}
