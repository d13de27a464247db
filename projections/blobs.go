package projections

import (
	"slices"
	"strconv"
	"strings"

	"github.com/prismd/prismd/log"
)

// Shard states. A shard is pending in states 1–4.
const (
	shardStored    uint8 = iota // written (or repaired) and not reported bad
	shardUnwritten              // no ShardWritten yet
	shardFailed                 // the last write attempt failed
	shardCorrupt                // reported corrupt by a read or scrub
	shardMissing                // reported missing by its region
	shardPurged                 // deleted by the purge worker
	numShardStates
)

var shardReasons = [numShardStates]string{"stored", "unwritten", "failed", "corrupt", "missing", "purged"}

func pendingState(st uint8) bool { return st >= shardUnwritten && st <= shardMissing }

// Blob flags.
const (
	blobCommitted uint8 = 1 << iota // referenced at least once
	blobPurging                     // in the purge queue
)

// scheme is an interned (layout, placement) pair: blobs share a small table
// of them instead of each holding a placement slice.
type scheme struct {
	layout    log.Layout
	placement []string
	n         int // shards per segment
}

func (sc *scheme) place(shard int) string {
	if shard < len(sc.placement) {
		return sc.placement[shard]
	}
	return ""
}

func schemeKey(l log.Layout, placement []string) string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(l.K))
	b.WriteByte(',')
	b.WriteString(strconv.Itoa(l.M))
	b.WriteByte(',')
	b.WriteString(strconv.Itoa(l.BlockSize))
	b.WriteByte(',')
	b.WriteString(strconv.FormatInt(l.SegmentSize, 10))
	b.WriteByte(',')
	b.WriteString(strconv.Itoa(int(l.Hash)))
	b.WriteByte(',')
	b.WriteString(strconv.Itoa(int(l.Keys)))
	for _, p := range placement {
		b.WriteByte(0)
		b.WriteString(p)
	}
	return b.String()
}

func newScheme(l log.Layout, placement []string) *scheme {
	n := l.K + l.M
	if n <= 0 || l.K < 0 || l.M < 0 {
		n = len(placement)
	}
	return &scheme{layout: l, placement: slices.Clone(placement), n: n}
}

func (s *State) internScheme(l log.Layout, placement []string) uint32 {
	k := schemeKey(l, placement)
	if i, ok := s.schemeIdx[k]; ok {
		return i
	}
	i := uint32(len(s.t.schemes))
	s.t.schemes = append(s.t.schemes, newScheme(l, placement))
	s.schemeIdx[k] = i
	return i
}

// blobRec is one blob. Kept small: a committed, fully written blob is this
// struct alone (x == nil).
type blobRec struct {
	id     log.BlobID
	bucket string // shares the bucket record's string
	key    string // shares the object key's bytes once committed under it
	size   int64
	x      *blobExtra
	gen    uint64
	scheme uint32
	refs   int32
	flags  uint8
}

// blobExtra holds what only some blobs need.
type blobExtra struct {
	gen     uint64
	upload  string
	shards  []uint8        // state per shard index (segment*n + shard); nil: all stored
	pending int            // shards in a pending state
	over    map[int]string // shard index → region, where it differs from placement
	regions []string       // regions outside placement named by ShardWritten/Repaired, sorted
	purged  []string       // regions done by ShardsPurged, sorted
	queued  int64          // unix nanoseconds of the event that queued it for purge
}

func (x *blobExtra) clone() *blobExtra {
	c := *x
	c.shards = slices.Clone(x.shards)
	if x.over != nil {
		c.over = make(map[int]string, len(x.over))
		for k, v := range x.over {
			c.over[k] = v
		}
	}
	c.regions = slices.Clone(x.regions)
	c.purged = slices.Clone(x.purged)
	return &c
}

func (x *blobExtra) empty() bool {
	return x.upload == "" && x.shards == nil && len(x.over) == 0 && len(x.regions) == 0 && len(x.purged) == 0 && x.queued == 0
}

func segmentCount(size int64, l log.Layout) int64 {
	if l.SegmentSize <= 0 || size <= l.SegmentSize {
		return 1
	}
	return (size-1)/l.SegmentSize + 1
}

// shardBytes approximates the bytes a shard of segment seg holds: the
// segment's data divided by K, rounded up (replicas, K == 1, hold it all).
func shardBytes(size int64, l log.Layout, seg int64) int64 {
	if size <= 0 {
		return 0
	}
	data := size
	if l.SegmentSize > 0 {
		last := segmentCount(size, l) - 1
		if seg < last {
			data = l.SegmentSize
		} else {
			data = size - last*l.SegmentSize
		}
	}
	k := int64(max(l.K, 1))
	return (data + k - 1) / k
}

func (r *blobRec) state(idx int) uint8 {
	if r.x == nil || r.x.shards == nil {
		return shardStored
	}
	return r.x.shards[idx]
}

func (r *blobRec) region(sc *scheme, idx int) string {
	if r.x != nil && r.x.over != nil {
		if reg, ok := r.x.over[idx]; ok {
			return reg
		}
	}
	return sc.place(idx % max(sc.n, 1))
}

func (r *blobRec) pendingCount() int {
	if r.x == nil {
		return 0
	}
	return r.x.pending
}

func (r *blobRec) live() bool { return r.refs > 0 }

// shardIndex validates (seg, shard) against the blob's layout.
func (t *tables) shardIndex(r *blobRec, seg, shard int) (int, *scheme, bool) {
	sc := t.schemes[r.scheme]
	if seg < 0 || shard < 0 || shard >= sc.n || int64(seg) >= segmentCount(r.size, sc.layout) {
		return 0, nil, false
	}
	return seg*sc.n + shard, sc, true
}

func (t *tables) getBlob(id log.BlobID) *blobRec {
	r, _ := t.blobs.Get(&blobRec{id: id})
	return r
}

func (s *State) getBlob(id log.BlobID) *blobRec {
	s.probe.id = id
	r, _ := s.t.blobs.Get(&s.probe)
	return r
}

// mutBlob returns a record of id that may be changed in place.
func (s *State) mutBlob(id log.BlobID) *blobRec {
	r := s.getBlob(id)
	if r == nil || r.gen == s.gen {
		return r
	}
	c := *r
	c.gen = s.gen
	s.t.blobs.Set(&c)
	return &c
}

// mutExtra returns r's extra part, ready to be changed in place. r must come from mutBlob.
func (s *State) mutExtra(r *blobRec) *blobExtra {
	switch {
	case r.x == nil:
		r.x = &blobExtra{gen: s.gen}
	case r.x.gen != s.gen:
		r.x = r.x.clone()
		r.x.gen = s.gen
	}
	return r.x
}

func (s *State) materialize(r *blobRec, x *blobExtra) {
	if x.shards != nil {
		return
	}
	sc := s.t.schemes[r.scheme]
	x.shards = make([]uint8, int(segmentCount(r.size, sc.layout))*sc.n)
}

// compact drops what a blob no longer needs. r must come from mutBlob.
func (s *State) compact(r *blobRec) {
	x := r.x
	if x == nil {
		return
	}
	dropShards := x.shards != nil && x.pending == 0 && r.flags&blobPurging == 0
	if dropShards || (x.over != nil && len(x.over) == 0) {
		x = s.mutExtra(r)
		if dropShards {
			x.shards = nil
		}
		if len(x.over) == 0 {
			x.over = nil
		}
	}
	if x.empty() {
		r.x = nil
	}
}

func (s *State) addUsage(region string, shards, bytes, pending int64) {
	u, _ := s.t.usage.Get(region)
	u.Shards += shards
	u.Bytes += bytes
	u.Pending += pending
	if u == (RegionUsage{}) {
		s.t.usage.Delete(region)
		return
	}
	s.t.usage.Set(region, u)
}

// setShard moves shard idx of r (from mutBlob) to state st on region,
// keeping usage, pending counts and the pending set in step.
func (s *State) setShard(r *blobRec, idx int, st uint8, region string) {
	sc := s.t.schemes[r.scheme]
	oldSt, oldRegion := r.state(idx), r.region(sc, idx)
	bytes := shardBytes(r.size, sc.layout, int64(idx/sc.n))
	if oldSt == shardStored {
		s.addUsage(oldRegion, -1, -bytes, 0)
	}
	if st == shardStored {
		s.addUsage(region, 1, bytes, 0)
	}
	oldP, newP := pendingState(oldSt), pendingState(st)
	if r.live() {
		if oldP {
			s.addUsage(oldRegion, 0, 0, -1)
			s.t.pendingN--
		}
		if newP {
			s.addUsage(region, 0, 0, 1)
			s.t.pendingN++
		}
	}
	x := s.mutExtra(r)
	s.materialize(r, x)
	x.shards[idx] = st
	if oldP {
		x.pending--
	}
	if newP {
		x.pending++
	}
	if region != sc.place(idx%sc.n) {
		if x.over == nil {
			x.over = map[int]string{}
		}
		x.over[idx] = region
	} else if x.over != nil {
		delete(x.over, idx)
	}
	if st == shardStored && !slices.Contains(sc.placement, region) {
		if i, found := slices.BinarySearch(x.regions, region); !found {
			x.regions = slices.Insert(x.regions, i, region)
		}
	}
	if r.live() {
		if x.pending > 0 {
			s.t.pending.Set(r.id)
		} else {
			s.t.pending.Delete(r.id)
		}
	}
	s.compact(r)
}

func (s *State) putStarted(e log.PutStarted) {
	if s.getBlob(e.Blob) != nil {
		return
	}
	r := &blobRec{id: e.Blob, bucket: e.Bucket, key: e.Key, size: e.Size, gen: s.gen}
	if b, ok := s.t.buckets.Get(e.Bucket); ok {
		r.bucket = b.name
	}
	r.scheme = s.internScheme(e.Layout, e.Placement)
	sc := s.t.schemes[r.scheme]
	if total := int(segmentCount(e.Size, e.Layout)) * sc.n; total > 0 {
		r.x = &blobExtra{gen: s.gen, shards: make([]uint8, total), pending: total}
		for i := range r.x.shards {
			r.x.shards[i] = shardUnwritten
		}
	}
	if e.Upload != "" {
		if r.x == nil {
			r.x = &blobExtra{gen: s.gen}
		}
		r.x.upload = e.Upload
	}
	s.t.blobs.Set(r)
	s.t.open.Set(e.Blob)
}

// shardStored applies ShardWritten and ShardRepaired.
func (s *State) shardStored(id log.BlobID, seg, shard int, region string) {
	r := s.getBlob(id)
	if r == nil {
		return
	}
	idx, sc, ok := s.t.shardIndex(r, seg, shard)
	if !ok || (r.state(idx) == shardStored && r.region(sc, idx) == region) {
		return
	}
	r = s.mutBlob(id)
	if r.x != nil {
		if i, found := slices.BinarySearch(r.x.purged, region); found {
			// Data landed again on a region already purged: purge it again.
			x := s.mutExtra(r)
			x.purged = slices.Delete(x.purged, i, i+1)
		}
	}
	s.setShard(r, idx, shardStored, region)
}

func (s *State) shardFailed(id log.BlobID, seg, shard int, region string) {
	r := s.getBlob(id)
	if r == nil {
		return
	}
	idx, sc, ok := s.t.shardIndex(r, seg, shard)
	if !ok {
		return
	}
	if st := r.state(idx); !pendingState(st) || st == shardFailed {
		return // a late failure of a shard that is stored since does not unstore it
	}
	r = s.mutBlob(id)
	s.setShard(r, idx, shardFailed, r.region(sc, idx))
}

// shardLost applies ShardCorrupt and ShardMissing: a stored shard on region
// becomes pending again. Reports naming another region than the one the
// shard lives on are stale and ignored.
func (s *State) shardLost(id log.BlobID, seg, shard int, region string, st uint8) {
	r := s.getBlob(id)
	if r == nil {
		return
	}
	idx, sc, ok := s.t.shardIndex(r, seg, shard)
	if !ok {
		return
	}
	cur, at := r.state(idx), r.region(sc, idx)
	if (region != "" && region != at) || cur == st || cur == shardPurged {
		return
	}
	r = s.mutBlob(id)
	s.setShard(r, idx, st, at)
}

// incref adds a reference from an object or an upload part. References to
// unknown blobs (already forgotten) are not counted.
func (s *State) incref(id log.BlobID) {
	r := s.mutBlob(id)
	if r == nil {
		return
	}
	r.refs++
	if r.refs != 1 {
		return
	}
	if r.flags&blobPurging != 0 {
		// Referenced again while queued (the engine lost a race): take it out
		// of the queue; shards already purged must be written again.
		s.t.purge.Delete(id)
		r.flags &^= blobPurging
		x := s.mutExtra(r)
		x.queued = 0
		for i, st := range x.shards {
			if st == shardPurged {
				x.shards[i] = shardMissing
				x.pending++
			}
		}
		x.purged = nil
	}
	s.t.open.Delete(id)
	r.flags |= blobCommitted
	s.eachPending(r, func(idx int, region string) {
		s.addUsage(region, 0, 0, 1)
		s.t.pendingN++
	})
	if r.pendingCount() > 0 {
		s.t.pending.Set(id)
	}
	s.compact(r)
}

// decref drops a reference; the last one queues the blob for purge.
func (s *State) decref(id log.BlobID) {
	r := s.mutBlob(id)
	if r == nil || r.refs <= 0 {
		return
	}
	r.refs--
	if r.refs > 0 {
		return
	}
	s.eachPending(r, func(idx int, region string) {
		s.addUsage(region, 0, 0, -1)
		s.t.pendingN--
	})
	s.t.pending.Delete(id)
	s.enqueuePurge(r)
}

func (s *State) eachPending(r *blobRec, fn func(idx int, region string)) {
	if r.x == nil || r.x.pending == 0 {
		return
	}
	sc := s.t.schemes[r.scheme]
	for i, st := range r.x.shards {
		if pendingState(st) {
			fn(i, r.region(sc, i))
		}
	}
}

func (s *State) enqueuePurge(r *blobRec) {
	s.mutExtra(r).queued = s.now
	r.flags |= blobPurging
	s.t.open.Delete(r.id)
	s.t.purge.Set(r.id)
	s.maybeForget(r)
}

// purgeQueued queues an unreferenced blob. A referenced blob is never purged.
func (s *State) purgeQueued(id log.BlobID) {
	r := s.getBlob(id)
	if r == nil || r.live() || r.flags&blobPurging != 0 {
		return
	}
	s.enqueuePurge(s.mutBlob(id))
}

// shardsPurged marks region done for a queued blob; the blob is forgotten
// once every region that may hold its data is done. Blobs not in the purge
// queue are left alone.
func (s *State) shardsPurged(id log.BlobID, region string) {
	r := s.getBlob(id)
	if r == nil || r.flags&blobPurging == 0 {
		return
	}
	if r.x != nil {
		if _, found := slices.BinarySearch(r.x.purged, region); found {
			return
		}
	}
	r = s.mutBlob(id)
	x := s.mutExtra(r)
	s.materialize(r, x)
	sc := s.t.schemes[r.scheme]
	for i, st := range x.shards {
		if st == shardStored && r.region(sc, i) == region {
			s.addUsage(region, -1, -shardBytes(r.size, sc.layout, int64(i/sc.n)), 0)
			x.shards[i] = shardPurged
		}
	}
	i, _ := slices.BinarySearch(x.purged, region)
	x.purged = slices.Insert(x.purged, i, region)
	s.maybeForget(r)
}

// holders returns the regions that may hold r's data: placement and every
// other region a shard was written to, sorted and distinct.
func (t *tables) holders(r *blobRec) []string {
	sc := t.schemes[r.scheme]
	out := make([]string, 0, len(sc.placement)+2)
	for _, p := range sc.placement {
		if p != "" {
			out = append(out, p)
		}
	}
	if r.x != nil {
		out = append(out, r.x.regions...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// unpurged returns the regions of holders not yet purged.
func (t *tables) unpurged(r *blobRec) []string {
	h := t.holders(r)
	if r.x == nil || len(r.x.purged) == 0 {
		return h
	}
	out := h[:0]
	for _, reg := range h {
		if _, found := slices.BinarySearch(r.x.purged, reg); !found {
			out = append(out, reg)
		}
	}
	return out
}

func (s *State) maybeForget(r *blobRec) {
	if len(s.t.unpurged(r)) > 0 {
		return
	}
	sc := s.t.schemes[r.scheme]
	if r.x != nil && r.x.shards != nil {
		for i, st := range r.x.shards {
			if st == shardStored { // on a region outside holders (malformed events)
				s.addUsage(r.region(sc, i), -1, -shardBytes(r.size, sc.layout, int64(i/sc.n)), 0)
			}
		}
	}
	s.t.blobs.Delete(r)
	s.t.purge.Delete(r.id)
	s.t.open.Delete(r.id)
	s.t.pending.Delete(r.id)
}

// Blob is a stored byte sequence: the data of one PUT or one multipart part.
type Blob struct {
	ID        log.BlobID
	Bucket    string
	Key       string
	Upload    string // set when the blob is a multipart part
	Layout    log.Layout
	Placement []string // shard i of every segment goes to Placement[i]
	Size      int64
	Refs      int  // objects and upload parts referencing the blob
	Committed bool // referenced at least once (its PUT or part committed)
	Purging   bool // in the purge queue
	Segments  int
	Shards    int // shards per segment (K+M)
	Pending   int // shards in a pending state

	rec *blobRec
	sc  *scheme
}

func (t *tables) exportBlob(r *blobRec) Blob {
	sc := t.schemes[r.scheme]
	b := Blob{
		ID: r.id, Bucket: r.bucket, Key: r.key,
		Layout: sc.layout, Placement: slices.Clone(sc.placement),
		Size: r.size, Refs: int(r.refs),
		Committed: r.flags&blobCommitted != 0, Purging: r.flags&blobPurging != 0,
		Segments: int(segmentCount(r.size, sc.layout)), Shards: sc.n,
		Pending: r.pendingCount(),
		rec:     r, sc: sc,
	}
	if r.x != nil {
		b.Upload = r.x.upload
	}
	return b
}

// ShardRegion returns the region shard (seg, shard) is stored on, or for a
// pending shard the region it should be written to: its placement region
// unless a write or repair put it elsewhere. It returns "" when out of range.
func (b Blob) ShardRegion(seg, shard int) string {
	if b.rec == nil || seg < 0 || seg >= b.Segments || shard < 0 || shard >= b.Shards {
		return ""
	}
	return b.rec.region(b.sc, seg*b.Shards+shard)
}

// ShardState returns "stored", "unwritten", "failed", "corrupt", "missing"
// or "purged" for shard (seg, shard), or "" when out of range.
func (b Blob) ShardState(seg, shard int) string {
	if b.rec == nil || seg < 0 || seg >= b.Segments || shard < 0 || shard >= b.Shards {
		return ""
	}
	return shardReasons[b.rec.state(seg*b.Shards+shard)]
}

// Blob returns the blob id, if it is known (started and not yet forgotten).
func (v *View) Blob(id log.BlobID) (Blob, bool) {
	r := v.t.getBlob(id)
	if r == nil {
		return Blob{}, false
	}
	return v.t.exportBlob(r), true
}

// PendingShard is a shard of a referenced blob that is not safely stored.
type PendingShard struct {
	Blob    log.BlobID
	Segment int
	Shard   int
	Region  string // where it should go
	Reason  string // "unwritten", "failed", "corrupt" or "missing"
}

// PendingShards calls fn for every pending shard of every referenced blob,
// in blob id order, until fn returns false. This is the completion and
// repair work list; shards of open (uncommitted) blobs are not included.
func (v *View) PendingShards(fn func(PendingShard) bool) {
	v.t.pending.Scan(func(id log.BlobID) bool {
		r := v.t.getBlob(id)
		if r == nil || r.x == nil {
			return true
		}
		sc := v.t.schemes[r.scheme]
		for i, st := range r.x.shards {
			if !pendingState(st) {
				continue
			}
			if !fn(PendingShard{Blob: id, Segment: i / sc.n, Shard: i % sc.n, Region: r.region(sc, i), Reason: shardReasons[st]}) {
				return false
			}
		}
		return true
	})
}

// OpenBlobs calls fn, in id order, for every blob that was started but is
// neither referenced nor queued for purge: PUTs in flight or abandoned.
func (v *View) OpenBlobs(fn func(Blob) bool) {
	v.t.open.Scan(func(id log.BlobID) bool {
		if r := v.t.getBlob(id); r != nil {
			return fn(v.t.exportBlob(r))
		}
		return true
	})
}

// PurgeItem is a blob in the purge queue.
type PurgeItem struct {
	Blob    Blob
	Regions []string // regions that may hold its data and are not purged yet, sorted
	Queued  int64    // unix nanoseconds of the event that queued it (0: before that was kept)
}

// PurgeQueue calls fn, in blob id order, for every blob queued for purge.
func (v *View) PurgeQueue(fn func(PurgeItem) bool) {
	v.t.purge.Scan(func(id log.BlobID) bool {
		if r := v.t.getBlob(id); r != nil {
			item := PurgeItem{Blob: v.t.exportBlob(r), Regions: v.t.unpurged(r)}
			if r.x != nil {
				item.Queued = r.x.queued
			}
			return fn(item)
		}
		return true
	})
}
