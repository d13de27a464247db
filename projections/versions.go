package projections

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/prismd/prismd/log"
)

// A version is an objRec with a version word (objRec.ver): the log index
// of the event that wrote it (its sequence), a null-version bit and a
// delete-marker bit. The current version of a key, unless it is a delete
// marker, lives in the objects tree, so that plain listings never see the
// others; every other version and every delete marker lives in the
// versions tree, ordered by (bucket, key, newest first). A key's current
// version is always newer than every entry of the versions tree for it.
const (
	verNull    uint64 = 1 << 63
	verMarker  uint64 = 1 << 62
	verSeqMask uint64 = verMarker - 1
)

// NullVersion is the version id of the null version: the one written while
// a bucket was unversioned or suspended.
const NullVersion = "null"

// verEntry is one entry of the versions tree.
type verEntry struct {
	key string // objectKey(bucket, key)
	seq uint64
	o   *objRec
}

func lessVerEntry(a, b verEntry) bool {
	if a.key != b.key {
		return a.key < b.key
	}
	return a.seq > b.seq
}

func (o *objRec) seq() uint64  { return o.ver & verSeqMask }
func (o *objRec) isNull() bool { return o.ver&verNull != 0 || o.ver == 0 }
func (o *objRec) marker() bool { return o.ver&verMarker != 0 }
func (o *objRec) versionID() string {
	if o.isNull() {
		return NullVersion
	}
	return FormatVersionID(o.seq())
}

// FormatVersionID returns the version id of the version written at log
// index seq: 16 lower-case hex digits.
func FormatVersionID(seq uint64) string {
	const digits = "0123456789abcdef"
	var b [16]byte
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = digits[seq&15]
		seq >>= 4
	}
	return string(b[:])
}

// ParseVersionID returns the sequence of a version id, and whether it is
// the null version. ok is false when id is not a version id prismd gives.
func ParseVersionID(id string) (seq uint64, null, ok bool) {
	if id == NullVersion {
		return 0, true, true
	}
	if len(id) != 16 || strings.ToLower(id) != id {
		return 0, false, false
	}
	seq, err := strconv.ParseUint(id, 16, 64)
	if err != nil || seq == 0 || seq > verSeqMask {
		return 0, false, false
	}
	return seq, false, true
}

// versioning returns the bucket's versioning status: "" (never versioned),
// log.VersioningEnabled or log.VersioningSuspended.
func (t *tables) versioning(bucket string) string {
	if b, ok := t.buckets.Get(bucket); ok {
		return b.versioning
	}
	return ""
}

func (s *State) bucketVersioningSet(e log.BucketVersioningSet) error {
	old, ok := s.t.buckets.Get(e.Bucket)
	if !ok {
		return fmt.Errorf("bucket %q: %w", e.Bucket, ErrNoSuchBucket)
	}
	if e.Status != log.VersioningEnabled && e.Status != log.VersioningSuspended {
		return fmt.Errorf("bucket %q: status %q: %w", e.Bucket, e.Status, ErrBadVersioning)
	}
	if err := checkVersioningLock(old, e.Status); err != nil {
		return err
	}
	r := *old
	r.versioning = e.Status
	s.t.buckets.Set(e.Bucket, &r)
	return nil
}

// timelineShift places the log's timeline above the log index in a
// version's sequence: timeline 1 gives the plain index, so ids written
// before timelines existed stay as they were, and every later timeline's
// ids sort after every id of the timelines before it.
const timelineShift = 40

// versionSeq returns the sequence of the version written at log index
// idx on the current timeline.
func (t *tables) versionSeq(idx uint64) uint64 {
	if t.timeline <= 1 {
		return idx & verSeqMask
	}
	return ((t.timeline-1)<<timelineShift | idx) & verSeqMask
}

// VersionSeq returns the sequence of the version id of a write applied at
// log index idx (see FormatVersionID); idx must be on the view's timeline.
func (v *View) VersionSeq(idx uint64) uint64 { return v.t.versionSeq(idx) }

// Timeline returns the log's timeline (1 until a TimelineStarted).
func (v *View) Timeline() uint64 { return max(v.t.timeline, 1) }

func (s *State) timelineStarted(e log.TimelineStarted) error {
	if e.Timeline <= max(s.t.timeline, 1) || e.Timeline >= 1<<(62-timelineShift) {
		return fmt.Errorf("timeline %d after %d: %w", e.Timeline, max(s.t.timeline, 1), ErrBadTimeline)
	}
	s.t.timeline = e.Timeline
	return nil
}

// version returns the version word of a write applied now in bucket.
func (s *State) newVersion(status string) uint64 {
	v := s.t.versionSeq(s.index)
	if status != log.VersioningEnabled {
		v |= verNull
	}
	return v
}

// retire makes the replaced current version old noncurrent: kept in the
// versions tree, unless the bucket is suspended and it is the null version
// (a suspended bucket overwrites the null version).
func (s *State) retire(ok string, old *objRec, status string) {
	if status == log.VersioningSuspended && old.isNull() {
		s.dropRefs(old)
		return
	}
	s.t.versions.Set(verEntry{key: ok, seq: old.seq(), o: old})
}

func (s *State) dropRefs(o *objRec) {
	if o.marker() {
		return
	}
	for _, e := range o.extents() {
		s.decref(e.Blob)
	}
}

// dropNullVersion removes the key's noncurrent null version or null
// delete marker, if any. It walks the key's versions.
func (s *State) dropNullVersion(ok string) {
	var found verEntry
	s.t.versions.Ascend(verEntry{key: ok, seq: math.MaxUint64}, func(e verEntry) bool {
		if e.key != ok {
			return false
		}
		if e.o.isNull() {
			found = e
			return false
		}
		return true
	})
	if found.o != nil {
		s.t.versions.Delete(found)
		s.dropRefs(found.o)
	}
}

// putVersion stores o as the current version of ok in a versioned or
// suspended bucket; o's references are taken already.
func (s *State) putVersion(ok string, o *objRec, status string) {
	old, replaced := s.t.objects.Set(ok, o)
	if replaced {
		s.retire(ok, old, status)
	}
	if status == log.VersioningSuspended {
		s.dropNullVersion(ok)
	}
}

// deleteMarker applies a DELETE without a version id to a versioned or
// suspended bucket: a delete marker becomes the key's latest version.
func (s *State) deleteMarker(ok string, status string) {
	m := &objRec{ver: s.newVersion(status) | verMarker, mtime: s.now}
	if old, had := s.t.objects.Delete(ok); had {
		s.retire(ok, old, status)
	}
	if status == log.VersioningSuspended {
		s.dropNullVersion(ok)
	}
	s.t.versions.Set(verEntry{key: ok, seq: m.seq(), o: m})
}

func (s *State) objectVersionDeleted(e log.ObjectVersionDeleted) error {
	if _, ok := s.t.buckets.Get(e.Bucket); !ok {
		return fmt.Errorf("bucket %q: %w", e.Bucket, ErrNoSuchBucket)
	}
	ok := objectKey(e.Bucket, e.Key)
	ent, found := s.t.findVersion(ok, e.VersionID)
	if !found {
		return nil
	}
	if err := checkRemovable(ent.o, s.now, e.Bypass); err != nil {
		return fmt.Errorf("object %q/%q: %w", e.Bucket, e.Key, err)
	}
	if cur, isCur := s.t.objects.Get(ok); isCur && cur == ent.o {
		s.t.objects.Delete(ok)
	} else {
		s.t.versions.Delete(ent)
	}
	s.dropRefs(ent.o)
	s.promote(ok)
	return nil
}

// updateVersion applies change to the metadata of version id of (bucket,
// key), current or not: how events that change an existing version's tags
// or object lock apply. The version keeps its data, id and place. A delete
// marker or a version that does not exist is ErrNoSuchKey.
func (s *State) updateVersion(bucket, key, id string, change func(m *log.ObjectMeta)) error {
	if _, ok := s.t.buckets.Get(bucket); !ok {
		return fmt.Errorf("bucket %q: %w", bucket, ErrNoSuchBucket)
	}
	ok := objectKey(bucket, key)
	ent, found := s.t.findVersion(ok, id)
	if !found || ent.o.marker() {
		return fmt.Errorf("object %q/%q version %q: %w", bucket, key, id, ErrNoSuchKey)
	}
	m := s.t.exportMeta(ent.o)
	change(&m)
	n := s.newObject(m, ent.o.extents())
	n.ver = ent.o.ver
	if cur, isCur := s.t.objects.Get(ok); isCur && cur == ent.o {
		s.t.objects.Set(ok, n)
	} else {
		s.t.versions.Set(verEntry{key: ok, seq: ent.seq, o: n})
	}
	return nil
}

// promote makes the newest remaining version of ok current when the key
// has no current version and that version is not a delete marker.
func (s *State) promote(ok string) {
	if _, has := s.t.objects.Get(ok); has {
		return
	}
	first, found := s.t.firstVersion(ok)
	if !found || first.o.marker() {
		return
	}
	s.t.versions.Delete(first)
	s.t.objects.Set(ok, first.o)
}

func (t *tables) firstVersion(ok string) (verEntry, bool) {
	var first verEntry
	found := false
	t.versions.Ascend(verEntry{key: ok, seq: math.MaxUint64}, func(e verEntry) bool {
		first, found = e, e.key == ok
		return false
	})
	return first, found
}

// findVersion returns the version of ok with the given id, current or not.
func (t *tables) findVersion(ok, id string) (verEntry, bool) {
	seq, null, valid := ParseVersionID(id)
	if !valid {
		return verEntry{}, false
	}
	if cur, has := t.objects.Get(ok); has && (null && cur.isNull() || !null && !cur.isNull() && cur.seq() == seq) {
		return verEntry{key: ok, seq: cur.seq(), o: cur}, true
	}
	if !null {
		e, found := t.versions.Get(verEntry{key: ok, seq: seq})
		if !found || e.o.isNull() {
			return verEntry{}, false
		}
		return e, true
	}
	var found verEntry
	t.versions.Ascend(verEntry{key: ok, seq: math.MaxUint64}, func(e verEntry) bool {
		if e.key != ok {
			return false
		}
		if e.o.isNull() {
			found = e
			return false
		}
		return true
	})
	return found, found.o != nil
}

// Version is one version of a key, or a delete marker (no data).
type Version struct {
	Object
	VersionID    string
	IsLatest     bool
	DeleteMarker bool
}

// Versioning returns the bucket's versioning status: "" (never set),
// log.VersioningEnabled or log.VersioningSuspended.
func (v *View) Versioning(bucket string) string { return v.t.versioning(bucket) }

// ObjectVersion returns the version of (bucket, key) with the given id, a
// delete marker included. found is false when there is none, or id is not
// a version id (see ParseVersionID).
func (v *View) ObjectVersion(bucket, key, id string) (Version, bool) {
	ok := objectKey(bucket, key)
	e, found := v.t.findVersion(ok, id)
	if !found {
		return Version{}, false
	}
	return v.t.exportVersion(bucket, key, e, v.t.latestSeq(ok)), true
}

// Latest returns the latest version of (bucket, key): the current object
// or, when the key's latest version is a delete marker, that marker.
func (v *View) Latest(bucket, key string) (Version, bool) {
	ok := objectKey(bucket, key)
	if cur, has := v.t.objects.Get(ok); has {
		return v.t.exportVersion(bucket, key, verEntry{key: ok, seq: cur.seq(), o: cur}, cur.seq()), true
	}
	first, found := v.t.firstVersion(ok)
	if !found {
		return Version{}, false
	}
	return v.t.exportVersion(bucket, key, first, first.seq), true
}

// latestSeq returns the sequence of ok's latest version (0 if none).
func (t *tables) latestSeq(ok string) uint64 {
	if cur, has := t.objects.Get(ok); has {
		return cur.seq()
	}
	if first, found := t.firstVersion(ok); found {
		return first.seq
	}
	return 0
}

func (t *tables) exportVersion(bucket, key string, e verEntry, latest uint64) Version {
	ver := Version{VersionID: e.o.versionID(), IsLatest: e.seq == latest, DeleteMarker: e.o.marker()}
	if ver.DeleteMarker {
		ver.Object = Object{Bucket: bucket, Key: key, Meta: log.ObjectMeta{ModTime: e.o.mtime}}
	} else {
		ver.Object = t.exportObject(bucket, key, e.o)
	}
	return ver
}

// VersionCount returns the number of noncurrent versions and delete markers.
func (v *View) VersionCount() int { return v.t.versions.Len() }

// hasVersions reports whether the bucket holds a noncurrent version or a
// delete marker. It costs one seek.
func (t *tables) hasVersions(bucket string) bool {
	base := bucket + "\x00"
	has := false
	t.versions.Ascend(verEntry{key: base, seq: math.MaxUint64}, func(e verEntry) bool {
		has = strings.HasPrefix(e.key, base)
		return false
	})
	return has
}
