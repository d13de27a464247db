package projections

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/prismd/prismd/log"
	"github.com/tidwall/btree"
)

// tables is every projection. The live State owns one set; each published
// View holds a copy-on-write Copy() of it. Records reachable from a View are
// never modified in place: the apply goroutine clones a record before its
// first change after a Publish (see State.gen).
type tables struct {
	applied  uint64
	time     int64  // unixNano of the last applied event
	timeline uint64 // the log's timeline (log.TimelineStarted); 0 is timeline 1

	buckets   *btree.Map[string, *bucketRec]
	objects   *btree.Map[string, *objRec] // bucket + "\x00" + key: current versions
	versions  *btree.BTreeG[verEntry]     // noncurrent versions and delete markers (versions.go)
	blobs     *btree.BTreeG[*blobRec]     // by id
	pending   *btree.BTreeG[log.BlobID]   // referenced blobs with pending shards
	open      *btree.BTreeG[log.BlobID]   // started, never referenced, not queued
	purge     *btree.BTreeG[log.BlobID]   // purge queue
	uploads   *btree.Map[string, *uploadRec]
	byKey     *btree.BTreeG[*uploadRec] // (bucket, key, created, id)
	parts     *btree.BTreeG[*partRec]   // (upload, number)
	regions   *btree.Map[string, log.Region]
	keys      *btree.Map[string, log.AccessKeyCreated]
	usage     *btree.Map[string, RegionUsage]
	shipped   *btree.Map[string, shipped]
	regionIDs *btree.Map[string, string]          // region → identity marker id
	completed *btree.Map[string, completedUpload] // recently completed uploads, by id
	doneByAge *btree.BTreeG[completedAge]         // the same, oldest first
	objACLs   *btree.Map[string, objACL]          // bucket + "\x00" + key → ACL set on the object
	schemes   []*scheme                           // append-only; a View keeps its own slice header
	ctypes    []string                            // append-only interned content types; ctypes[0] == ""
	pendingN  int64                               // total pending shards of referenced blobs

	adminPassword string                                    // argon2id hash (admin.go)
	adminTokens   *btree.Map[string, log.AdminTokenCreated] // by id
}

type shipped struct{ snapshot, segment uint64 }

var noLocks = btree.Options{NoLocks: true}

func lessBlobID(a, b log.BlobID) bool { return bytes.Compare(a[:], b[:]) < 0 }

func newTables() tables {
	return tables{
		buckets:  btree.NewMap[string, *bucketRec](0),
		objects:  btree.NewMap[string, *objRec](0),
		versions: btree.NewBTreeGOptions(lessVerEntry, noLocks),
		blobs: btree.NewBTreeGOptions(func(a, b *blobRec) bool {
			return lessBlobID(a.id, b.id)
		}, noLocks),
		pending:   btree.NewBTreeGOptions(lessBlobID, noLocks),
		open:      btree.NewBTreeGOptions(lessBlobID, noLocks),
		purge:     btree.NewBTreeGOptions(lessBlobID, noLocks),
		uploads:   btree.NewMap[string, *uploadRec](0),
		byKey:     btree.NewBTreeGOptions(lessUpload, noLocks),
		parts:     btree.NewBTreeGOptions(lessPart, noLocks),
		regions:   btree.NewMap[string, log.Region](0),
		keys:      btree.NewMap[string, log.AccessKeyCreated](0),
		usage:     btree.NewMap[string, RegionUsage](0),
		shipped:   btree.NewMap[string, shipped](0),
		regionIDs: btree.NewMap[string, string](0),
		completed: btree.NewMap[string, completedUpload](0),
		doneByAge: btree.NewBTreeGOptions(lessCompletedAge, noLocks),
		objACLs:   btree.NewMap[string, objACL](0),
		ctypes:    []string{""},

		adminTokens: btree.NewMap[string, log.AdminTokenCreated](0),
	}
}

// copy returns a copy-on-write copy. It must be called by the owner of t
// (it changes the trees' isolation ids).
func (t *tables) copy() tables {
	c := *t
	c.buckets = t.buckets.Copy()
	c.objects = t.objects.Copy()
	c.versions = t.versions.Copy()
	c.blobs = t.blobs.Copy()
	c.pending = t.pending.Copy()
	c.open = t.open.Copy()
	c.purge = t.purge.Copy()
	c.uploads = t.uploads.Copy()
	c.byKey = t.byKey.Copy()
	c.parts = t.parts.Copy()
	c.regions = t.regions.Copy()
	c.keys = t.keys.Copy()
	c.usage = t.usage.Copy()
	c.shipped = t.shipped.Copy()
	c.regionIDs = t.regionIDs.Copy()
	c.completed = t.completed.Copy()
	c.doneByAge = t.doneByAge.Copy()
	c.adminTokens = t.adminTokens.Copy()
	c.objACLs = t.objACLs.Copy()
	c.schemes = t.schemes[:len(t.schemes):len(t.schemes)]
	c.ctypes = t.ctypes[:len(t.ctypes):len(t.ctypes)]
	return c
}

// State is the live projection. It is owned by one goroutine (the log's
// apply goroutine): Apply, Publish, Applied and MarshalSnapshot must not be
// called concurrently with each other. Readers use View.
type State struct {
	t tables

	// gen is the publish generation. A record whose gen equals it was created
	// or cloned since the last Publish, so no View can see it and it may be
	// changed in place; any other record is cloned first.
	gen uint64

	schemeIdx map[string]uint32 // scheme key → index in t.schemes
	ctypeIdx  map[string]uint32 // content type → index in t.ctypes

	probe blobRec // lookup key for the blobs tree, used by the apply goroutine only
	now   int64   // unix nanoseconds of the event being applied
	index uint64  // log index of the event being applied

	view atomic.Pointer[View]
}

// View is an immutable picture of the projections at one applied index. Any
// number of goroutines may query a View while the State keeps applying.
type View struct {
	t tables
}

// New returns an empty State with an empty published View.
func New() *State {
	s := &State{
		t:         newTables(),
		gen:       1,
		schemeIdx: map[string]uint32{},
		ctypeIdx:  map[string]uint32{"": 0},
	}
	s.Publish()
	return s
}

// Applied returns the index of the last applied event.
func (s *State) Applied() uint64 { return s.t.applied }

// Publish makes the current state visible to readers as a new View. It costs
// O(1) tree copies; the following changes copy the B-tree nodes and records
// they touch.
func (s *State) Publish() {
	v := &View{t: s.t.copy()}
	s.gen++
	s.view.Store(v)
}

// View returns the latest published View. Safe for concurrent use.
func (s *State) View() *View { return s.view.Load() }

// Applied returns the index of the last event applied before the View was published.
func (v *View) Applied() uint64 { return v.t.applied }

// AppliedTime returns the unixNano of the last event applied before the View was published.
func (v *View) AppliedTime() int64 { return v.t.time }

// Apply applies the event at index. An index at or below Applied is ignored
// (the event was applied already). An index beyond Applied+1 is a gap and
// panics, unless nothing was applied yet (Applied == 0). Apply does no I/O
// and reads no clock: the result depends only on the state and its arguments.
//
// Apply returns a rejection (ErrNoSuchBucket, ErrNoSuchUpload, … wrapped
// with detail) when the event cannot take effect in the current state: a
// conditional write that lost a race, a part of an upload already gone.
// A refused event changes nothing but the applied index.
func (s *State) Apply(index uint64, unixNano int64, ev log.Event) error {
	if index <= s.t.applied {
		return nil
	}
	if s.t.applied != 0 && index != s.t.applied+1 {
		panic(fmt.Sprintf("projections: gap in applied log: applied %d, got %d", s.t.applied, index))
	}
	s.now = unixNano
	s.index = index
	err := s.apply(ev, unixNano)
	s.t.applied = index
	s.t.time = unixNano
	return err
}

func (s *State) apply(ev log.Event, unixNano int64) error {
	// Events are values; a pointer to one (a caller's choice, never the
	// log's decoder) is applied as the value it points to.
	if v := reflect.ValueOf(ev); v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil
		}
		ev, _ = v.Elem().Interface().(log.Event)
	}
	switch e := ev.(type) {
	case log.BucketCreated:
		return s.bucketCreated(e)
	case log.BucketConfigSet:
		return s.bucketConfigSet(e)
	case log.BucketPolicySet:
		return s.bucketPolicySet(e)
	case log.BucketDeleted:
		return s.bucketDeleted(e)
	case log.BackendBucketReady:
		s.backendBucketReady(e)
	case log.BackendBucketLost:
		s.backendBucketLost(e)

	case log.PutStarted:
		s.putStarted(e)
	case log.ShardWritten:
		s.shardStored(e.Blob, e.Segment, e.Shard, e.Region)
	case log.ShardFailed:
		s.shardFailed(e.Blob, e.Segment, e.Shard, e.Region)
	case log.ObjectCommitted:
		return s.objectCommitted(e)
	case log.ObjectDeleted:
		return s.objectDeleted(e)
	case log.ObjectCopied:
		return s.objectCopied(e)

	case log.UploadCreated:
		return s.uploadCreated(e)
	case log.PartCommitted:
		return s.partCommitted(e)
	case log.UploadCompleted:
		return s.uploadCompleted(e, unixNano)
	case log.UploadAborted:
		return s.uploadAborted(e)

	case log.PurgeQueued:
		s.purgeQueued(e.Blob)
	case log.ShardsPurged:
		s.shardsPurged(e.Blob, e.Region)

	case log.ShardCorrupt:
		s.shardLost(e.Blob, e.Segment, e.Shard, e.Region, shardCorrupt)
	case log.ShardMissing:
		s.shardLost(e.Blob, e.Segment, e.Shard, e.Region, shardMissing)
	case log.ShardRepaired:
		s.shardStored(e.Blob, e.Segment, e.Shard, e.Region)

	case log.RegionAdded:
		s.setRegion(e.Region)
	case log.RegionUpdated:
		s.setRegion(e.Region)
	case log.RegionRemoved:
		s.regionRemoved(e.Name)
	case log.TimelineStarted:
		return s.timelineStarted(e)
	case log.RegionIdentified:
		s.t.regionIDs.Set(e.Region, e.ID)
	case log.AccessKeyCreated:
		s.accessKeyCreated(e)
	case log.AccessKeyRevoked:
		s.t.keys.Delete(e.AccessKey)
	case log.SnapshotShipped:
		s.snapshotShipped(e)
	case log.SegmentShipped:
		s.segmentShipped(e)
	case log.AdminPasswordSet:
		s.t.adminPassword = e.Hash
	case log.AdminTokenCreated:
		s.t.adminTokens.Set(e.ID, cloneAdminToken(e))
	case log.AdminTokenRevoked:
		s.t.adminTokens.Delete(e.ID)
	case log.BucketVersioningSet:
		return s.bucketVersioningSet(e)
	case log.ObjectVersionDeleted:
		return s.objectVersionDeleted(e)
	case log.ObjectExpired:
		return s.objectExpired(e)
	case log.ObjectRetentionSet:
		return s.objectRetentionSet(e)
	case log.ObjectLegalHoldSet:
		return s.objectLegalHoldSet(e)

	case log.BucketACLSet:
		return s.setAccess(e.Bucket, func(a *Access) { a.Grants = slices.Clone(e.Grants) })
	case log.ObjectACLSet:
		return s.objectACLSet(e)
	case log.BucketAccessPolicySet:
		return s.setAccess(e.Bucket, func(a *Access) { a.Policy = e.Policy })
	case log.PublicAccessBlockSet:
		return s.setAccess(e.Bucket, func(a *Access) { a.Block = clonePAB(e.Block) })
	case log.OwnershipControlsSet:
		return s.setAccess(e.Bucket, func(a *Access) { a.Ownership = e.Ownership })
	case log.ObjectTagsSet:
		return s.objectTagsSet(e)
	}
	// Unknown event types (from a newer writer) change nothing.
	return nil
}

// Counts returns the number of buckets, objects, blobs, pending shards of
// referenced blobs, and blobs in the purge queue.
func (v *View) Counts() (buckets, objects, blobs, pending, purge int) {
	return v.t.buckets.Len(), v.t.objects.Len(), v.t.blobs.Len(), int(v.t.pendingN), v.t.purge.Len()
}

// StoredBytes returns the total size of every object, walking them all:
// for reports, not for requests.
func (v *View) StoredBytes() int64 {
	var n int64
	v.t.objects.Scan(func(_ string, o *objRec) bool {
		n += o.size
		return true
	})
	return n
}

// objectKey is the objects tree key: bucket names never contain NUL, so the
// tree orders by (bucket, key).
func objectKey(bucket, key string) string {
	var b strings.Builder
	b.Grow(len(bucket) + 1 + len(key))
	b.WriteString(bucket)
	b.WriteByte(0)
	b.WriteString(key)
	return b.String()
}
