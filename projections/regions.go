package projections

import (
	"slices"

	"github.com/prismd/prismd/log"
)

// RegionUsage is what a region stores and still owes.
type RegionUsage struct {
	Shards  int64 // shards stored (written and not reported corrupt, missing or purged)
	Bytes   int64 // their approximate size: segment data / K, rounded up
	Pending int64 // pending shards of referenced blobs assigned to the region
}

func cloneRegion(r log.Region) log.Region {
	r.SealedSecret = slices.Clone(r.SealedSecret)
	return r
}

func cloneAccessKey(k log.AccessKeyCreated) log.AccessKeyCreated {
	k.SealedSecret = slices.Clone(k.SealedSecret)
	k.Buckets = slices.Clone(k.Buckets)
	return k
}

// setRegion applies RegionAdded and RegionUpdated. A region whose
// storage location changes (type, path, endpoint or bucket) is a new, empty
// region: what the old location held counts as lost there.
func (s *State) setRegion(r log.Region) {
	old, existed := s.t.regions.Get(r.Name)
	s.t.regions.Set(r.Name, cloneRegion(r))
	if existed && !sameLocation(old, r) {
		s.resetRegion(r.Name)
	}
}

// sameLocation reports whether two records of a region store in the same place.
func sameLocation(a, b log.Region) bool {
	return a.Type == b.Type && a.Path == b.Path && a.Endpoint == b.Endpoint && a.Bucket == b.Bucket
}

// regionRemoved applies RegionRemoved: the region's shards are lost, to be
// rebuilt elsewhere, and nothing is left to purge there.
func (s *State) regionRemoved(name string) {
	s.t.regions.Delete(name)
	s.t.regionIDs.Delete(name)
	s.resetRegion(name)
}

// resetRegion forgets everything a region held: no backend bucket is ready
// there any more, and every shard stored there is lost.
func (s *State) resetRegion(name string) {
	var names []string
	s.t.buckets.Scan(func(b string, r *bucketRec) bool {
		if _, found := slices.BinarySearch(r.ready, name); found {
			names = append(names, b)
		}
		return true
	})
	for _, b := range names {
		old, _ := s.t.buckets.Get(b)
		r := *old
		i, _ := slices.BinarySearch(old.ready, name)
		r.ready = slices.Delete(slices.Clone(old.ready), i, i+1)
		s.t.buckets.Set(b, &r)
	}
	s.loseRegion(name, nil)
}

// loseRegion applies the loss of what region held for the blobs match
// selects (nil: every blob): their shards stored there become missing (to
// be written again by completion), and blobs queued for purge count as
// purged there (their data is gone with it).
func (s *State) loseRegion(region string, match func(*blobRec) bool) {
	var ids []log.BlobID
	s.t.blobs.Scan(func(r *blobRec) bool {
		if (match == nil || match(r)) && s.t.mayHold(r, region) {
			ids = append(ids, r.id)
		}
		return true
	})
	for _, id := range ids {
		r := s.getBlob(id)
		if r.flags&blobPurging != 0 {
			s.shardsPurged(id, region)
			continue
		}
		sc := s.t.schemes[r.scheme]
		total := int(segmentCount(r.size, sc.layout)) * sc.n
		for idx := 0; idx < total; idx++ {
			if r.state(idx) == shardStored && r.region(sc, idx) == region {
				r = s.mutBlob(id)
				s.setShard(r, idx, shardMissing, region)
			}
		}
		s.compact(r)
	}
}

// mayHold reports whether any shard of r may be on region.
func (t *tables) mayHold(r *blobRec, region string) bool {
	return slices.Contains(t.holders(r), region)
}

func (s *State) accessKeyCreated(e log.AccessKeyCreated) {
	s.t.keys.Set(e.AccessKey, cloneAccessKey(e))
}

func (s *State) snapshotShipped(e log.SnapshotShipped) {
	sh, _ := s.t.shipped.Get(e.Region)
	sh.snapshot = max(sh.snapshot, e.Index)
	s.t.shipped.Set(e.Region, sh)
}

func (s *State) segmentShipped(e log.SegmentShipped) {
	sh, _ := s.t.shipped.Get(e.Region)
	sh.segment = max(sh.segment, e.Last)
	s.t.shipped.Set(e.Region, sh)
}

// Regions returns the configured regions, sorted by name.
func (v *View) Regions() []log.Region {
	out := make([]log.Region, 0, v.t.regions.Len())
	v.t.regions.Scan(func(_ string, r log.Region) bool {
		out = append(out, cloneRegion(r))
		return true
	})
	return out
}

// Region returns the named region.
func (v *View) Region(name string) (log.Region, bool) {
	r, ok := v.t.regions.Get(name)
	return cloneRegion(r), ok
}

// AccessKeys returns the client access keys, sorted by id.
func (v *View) AccessKeys() []log.AccessKeyCreated {
	out := make([]log.AccessKeyCreated, 0, v.t.keys.Len())
	v.t.keys.Scan(func(_ string, k log.AccessKeyCreated) bool {
		out = append(out, cloneAccessKey(k))
		return true
	})
	return out
}

// AccessKey returns the client access key id.
func (v *View) AccessKey(id string) (log.AccessKeyCreated, bool) {
	k, ok := v.t.keys.Get(id)
	return cloneAccessKey(k), ok
}

// Usage returns per-region usage. Regions that store nothing and owe
// nothing are absent. Usage is kept for regions named by placements and
// shard events, configured or not.
func (v *View) Usage() map[string]RegionUsage {
	out := make(map[string]RegionUsage, v.t.usage.Len())
	v.t.usage.Scan(func(name string, u RegionUsage) bool {
		out[name] = u
		return true
	})
	return out
}

// RegionID returns the identity marker recorded for region ("" if none).
func (v *View) RegionID(region string) string {
	id, _ := v.t.regionIDs.Get(region)
	return id
}

// Shipped returns the highest snapshot index and the highest log index of a
// shipped segment recorded for region (0 if none).
func (v *View) Shipped(region string) (snapshot, segment uint64) {
	sh, _ := v.t.shipped.Get(region)
	return sh.snapshot, sh.segment
}
