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
	// Bootstrap: the region is in the bootstrap config. It is out of use
	// from now on; remove it from the config file before the next start,
	// or that start puts it back in use as a new, empty region.
	Bootstrap bool
}

// DrainRegion moves every stored shard of every object off a region,
// then removes it. Each shard is copied as it is (its blocks carry their
// own hashes) to a healthy region that holds no other shard of its
// segment, and a ShardRepaired event records its new place; the
// redundancy of an object never drops during the move. Shards that could
// not be moved, and those of writes that land during the drain, are
// counted missing by the removal and rebuilt from the remaining regions,
// as RemoveRegion does.
//
// A region of the bootstrap config is drained too: its removal is
// recorded (RegionRemoved) and it leaves use until the process ends; the
// result says so (Bootstrap), and the operator removes it from the config
// file. The drain is refused (ErrInvalidArgument) for an unknown region,
// and when the regions left would be too few for the default policy or a
// bucket's own policy (k+m distinct regions, or m+1 copies).
func (e *Engine) DrainRegion(ctx context.Context, name string) (DrainResult, error) {
	var res DrainResult
	src := e.region(name)
	if src == nil {
		return res, fmt.Errorf("region %q: not in use: %w", name, ErrInvalidArgument)
	}
	res.Bootstrap = slices.Contains(e.configured(), name)
	if err := e.canLose(name); err != nil {
		return res, err
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
	return res, e.removeRegion(ctx, name)
}

// canLose refuses the removal of a region when the regions left would
// be too few for the default policy or a bucket's own.
func (e *Engine) canLose(name string) error {
	left := len(e.regionNames()) - 1
	if err := ValidatePolicy(e.cfg.Policy, left); err != nil {
		return fmt.Errorf("region %q cannot be drained: %d regions would be left, too few for the default policy: %w", name, left, err)
	}
	for _, b := range e.view().Buckets() {
		if b.Policy == nil {
			continue
		}
		if err := ValidatePolicy(*b.Policy, left); err != nil {
			return fmt.Errorf("region %q cannot be drained: %d regions would be left, too few for bucket %q's policy: %w", name, left, b.Name, err)
		}
	}
	return nil
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
			key := datapath.Key(b.Layout.Keys, b.ID, seg, sh)
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
