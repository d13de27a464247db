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

// setRegion applies RegionAdded and RegionUpdated.
func (s *State) setRegion(r log.Region) {
	s.t.regions.Set(r.Name, cloneRegion(r))
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

// Shipped returns the highest snapshot index and the highest log index of a
// shipped segment recorded for region (0 if none).
func (v *View) Shipped(region string) (snapshot, segment uint64) {
	sh, _ := v.t.shipped.Get(region)
	return sh.snapshot, sh.segment
}
