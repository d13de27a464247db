package engine

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/prismd/prismd/backends"
	"github.com/prismd/prismd/engine/datapath"
	plog "github.com/prismd/prismd/log"
	"github.com/prismd/prismd/projections"
)

// What the management API shows besides health: a bucket's footprint, a
// region's reachability, and the log as it is written.

// DefaultPolicy returns the policy of buckets without their own.
func (e *Engine) DefaultPolicy() plog.Policy { return e.cfg.Policy }

// BucketPolicy returns a bucket's own policy (nil: it follows the default).
func (e *Engine) BucketPolicy(bucket string) (*plog.Policy, error) {
	b, ok := e.view().Bucket(bucket)
	if !ok {
		return nil, fmt.Errorf("bucket %q: %w", bucket, ErrNoSuchBucket)
	}
	return b.Policy, nil
}

// BucketStats is what a bucket holds.
type BucketStats struct {
	Objects     int64
	Bytes       int64            // object bytes
	RegionBytes map[string]int64 // shard bytes stored per region (approximate: segment data / k)
	// Partial: the walk stopped after the limit; the counts are of the first objects.
	Partial bool
}

// BucketStats walks up to limit objects of a bucket (limit <= 0: all).
func (e *Engine) BucketStats(bucket string, limit int) (BucketStats, error) {
	v := e.view()
	if _, ok := v.Bucket(bucket); !ok {
		return BucketStats{}, fmt.Errorf("bucket %q: %w", bucket, ErrNoSuchBucket)
	}
	st := BucketStats{RegionBytes: map[string]int64{}}
	q := projections.ListQuery{Max: 1000}
	for {
		page := v.List(bucket, q)
		for _, o := range page.Objects {
			if limit > 0 && st.Objects >= int64(limit) {
				st.Partial = true
				return st, nil
			}
			st.Objects++
			st.Bytes += o.Meta.Size
			for _, x := range o.Extents {
				b, ok := v.Blob(x.Blob)
				if !ok {
					continue
				}
				for seg := range datapath.SegmentCount(b.Layout, b.Size) {
					segBytes := min(b.Layout.SegmentSize, b.Size-int64(seg)*b.Layout.SegmentSize)
					per := (segBytes + int64(b.Layout.K) - 1) / int64(b.Layout.K)
					for sh := range b.Layout.K + b.Layout.M {
						if b.ShardState(seg, sh) == "stored" {
							st.RegionBytes[b.ShardRegion(seg, sh)] += per
						}
					}
				}
			}
		}
		if !page.Truncated {
			return st, nil
		}
		q.After = page.Next
	}
}

// TestRegion opens a region from spec without using it, and lists its
// system area: it reports whether the endpoint answers and accepts the
// credentials, and how long that took.
func (e *Engine) TestRegion(ctx context.Context, spec RegionSpec) (time.Duration, error) {
	if err := spec.Validate(); err != nil {
		return 0, fmt.Errorf("region %q: %w", spec.Name, err)
	}
	b, err := e.openBackend(spec)
	if err != nil {
		return 0, err
	}
	defer closeBackend(b)
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	start := time.Now()
	err = b.List(ctx, e.systemBucket(), "", func(backends.ObjectInfo) bool { return false })
	took := time.Since(start)
	if errors.Is(err, backends.ErrNoSuchBucket) {
		err = nil // reached and authorized: the system area is made on first use
	}
	if err != nil {
		return took, fmt.Errorf("region %q: %w", spec.Name, err)
	}
	return took, nil
}

// LogRecord is one event of the log.
type LogRecord struct {
	Index uint64
	Time  time.Time
	Event plog.Event
}

// Bucket returns the bucket an event names ("" for none).
func (r LogRecord) Bucket() string {
	v := reflect.ValueOf(r.Event)
	if v.Kind() == reflect.Struct {
		if f := v.FieldByName("Bucket"); f.IsValid() && f.Kind() == reflect.String {
			return f.String()
		}
	}
	return ""
}

// ReadLog calls fn with the records from index from (or the first the
// log still holds) to the last durable one, at most limit of them, and
// returns the index to read from next.
func (e *Engine) ReadLog(from uint64, limit int, fn func(LogRecord)) (uint64, error) {
	first, last := e.log.FirstIndex(), e.log.LastIndex()
	from = max(from, first)
	if last == 0 || from > last {
		return from, nil
	}
	to := min(last, from+uint64(limit)-1)
	err := e.log.ReadRaw(from, to, func(index uint64, data []byte) error {
		ev, ts, err := plog.Decode(data)
		if err != nil {
			return fmt.Errorf("log record %d: %w", index, err)
		}
		fn(LogRecord{Index: index, Time: time.Unix(0, ts).UTC(), Event: ev})
		return nil
	})
	if err != nil {
		return from, err
	}
	return to + 1, nil
}

// WorkItem is one piece of background work: a shard to write or repair,
// or a blob whose data is to be deleted.
type WorkItem struct {
	Blob    string // hex id
	Bucket  string
	Key     string
	Segment int      `json:",omitempty"`
	Shard   int      `json:",omitempty"`
	Region  string   `json:",omitempty"` // a pending shard's region
	Reason  string   `json:",omitempty"` // unwritten, failed, corrupt, missing
	Regions []string `json:",omitempty"` // a purge's regions still to do
	Queued  time.Time
}

// PendingWork lists up to limit shards still to write or repair.
func (e *Engine) PendingWork(limit int) []WorkItem {
	v := e.view()
	var out []WorkItem
	v.PendingShards(func(p projections.PendingShard) bool {
		item := WorkItem{Blob: fmt.Sprintf("%x", p.Blob), Segment: p.Segment, Shard: p.Shard, Region: p.Region, Reason: p.Reason}
		if b, ok := v.Blob(p.Blob); ok {
			item.Bucket, item.Key = b.Bucket, b.Key
		}
		out = append(out, item)
		return len(out) < limit
	})
	return out
}

// PurgeWork lists up to limit blobs queued for purge.
func (e *Engine) PurgeWork(limit int) []WorkItem {
	var out []WorkItem
	e.view().PurgeQueue(func(p projections.PurgeItem) bool {
		item := WorkItem{Blob: fmt.Sprintf("%x", p.Blob.ID), Bucket: p.Blob.Bucket, Key: p.Blob.Key, Regions: p.Regions}
		if p.Queued != 0 {
			item.Queued = time.Unix(0, p.Queued).UTC()
		}
		out = append(out, item)
		return len(out) < limit
	})
	return out
}
