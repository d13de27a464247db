package engine

import (
	"fmt"

	"github.com/prismd/prismd/engine/datapath"
)

// ShardLocation is where one shard of an object lives.
type ShardLocation struct {
	Region  string
	Bucket  string // backend bucket
	Key     string // backend key
	Segment int
	Shard   int
	State   string // "stored", "unwritten", "failed", "corrupt", "missing"
}

// BackendBucket returns the name of the backend bucket that holds a client
// bucket's shards on every region.
func (e *Engine) BackendBucket(bucket string) string { return e.backendBucket(bucket) }

// Locate lists every shard of an object: for operators, scrub and tests.
func (e *Engine) Locate(bucket, key string) ([]ShardLocation, error) {
	o, err := e.lookup(bucket, key)
	if err != nil {
		return nil, err
	}
	v := e.view()
	var out []ShardLocation
	for _, x := range o.Extents {
		b, ok := v.Blob(x.Blob)
		if !ok {
			return nil, fmt.Errorf("blob %x of %s/%s is unknown", x.Blob, bucket, key)
		}
		for seg := range datapath.SegmentCount(b.Layout, b.Size) {
			for sh := range b.Layout.K + b.Layout.M {
				out = append(out, ShardLocation{Region: b.ShardRegion(seg, sh), Bucket: e.backendBucket(b.Bucket), Key: datapath.Key(b.Layout.Keys, b.ID, seg, sh),
					Segment: seg, Shard: sh, State: b.ShardState(seg, sh)})
			}
		}
	}
	return out, nil
}
