package projections

import (
	"fmt"

	"github.com/prismd/prismd/log"
)

// Snapshot format (msgpack, one value after another):
//
//	header   [magic, version, applied, time]
//	buckets  array of snapBucket
//	regions  array of log.Region
//	keys     array of log.AccessKeyCreated
//	shipped  array of snapShipped
//	schemes  array of snapScheme
//	blobs    array of snapBlob (scheme is an index into schemes)
//	objects  array of snapObject
//	uploads  array of snapUpload
//	parts    array of snapPart
//	regionIDs array of snapRegionID   (version 2)
//	completed array of snapCompleted  (version 2)
//	versions  array of snapObject     (version 4: noncurrent versions and delete markers)
//	access    array of snapAccess     (version 4)
//	objACLs   array of snapObjACL     (version 4)
//	admin    snapAdmin                (version 4: the admin password hash and API tokens)
//	configs  array of snapBucketConfig (version 5: the buckets' configuration documents)
//	timeline uint                      (version 5: the log's timeline, 0 for 1)
//
// Version 8 added the key layout of a blob's shards (log.Layout.Keys, in
// snapScheme.Layout); older versions load with nested keys, the only ones
// their gateways made, and a gateway that predates it refuses a version 8
// snapshot rather than look for shards under the wrong keys.
// Version 7 added the block hash of a blob's layout (log.Layout.Hash, in
// snapScheme.Layout); older versions load with HighwayHash-128, the only
// one their gateways wrote, and a gateway that predates it refuses a
// version 7 snapshot rather than verify its blocks with the wrong hash.
// Version 6 added the owner of an object its writer owns
// (log.ObjectMeta.Owner) to snapObject.Attrs, which older versions load
// without: their objects belong to their bucket's owner.
// Version 5 added the buckets' configuration documents (lifecycle, CORS,
// tagging, object lock: log.BucketConfigSet); object tags and object lock
// fields live in snapObject.Attrs, which older versions load without.
// Version 4 added a bucket's versioning status (snapBucket.Versioning), a
// version word to every object (snapObject.Ver: see versions.go), the
// versions section, the buckets' access configuration (owner, ACL, policy,
// public access block, object ownership), the ACLs set on objects and the
// admin section (the management listener's password hash and API tokens);
// older snapshots load with unversioned buckets whose objects are null
// versions, buckets that belong to the root key with nothing set, and no
// admin password.
// Version 3 added the time a blob was queued for purge (snapBlob.Queued).
// Older snapshots still load: version 1 without the last two sections,
// versions 1 and 2 with blobs whose queue time is unknown (0: purged
// without waiting).
// Reference counts, the open/pending/purge sets and usage are not stored:
// LoadSnapshot derives them, so they cannot disagree with the records.
// Encoding is deterministic: equal states give equal bytes.
const (
	snapMagic   = "prismd-projections"
	snapVersion = 8

	maxSnapShards           = 1 << 32 // shards per blob a snapshot may describe
	maxSnapShardsPerSegment = 1 << 12
)

type snapHeader struct {
	_msgpack struct{} `msgpack:",as_array"`
	Magic    string
	Version  int
	Applied  uint64
	Time     int64
}

type snapBucket struct {
	_msgpack   struct{} `msgpack:",as_array"`
	Name       string
	Created    int64
	Location   string
	Policy     *log.Policy
	Ready      []string
	Versioning string // version 4
}

// snapBucketV3 is a bucket in snapshot versions 1 to 3: no versioning.
type snapBucketV3 struct {
	_msgpack struct{} `msgpack:",as_array"`
	Name     string
	Created  int64
	Location string
	Policy   *log.Policy
	Ready    []string
}

type snapAccess struct {
	_msgpack  struct{} `msgpack:",as_array"`
	Bucket    string
	Owner     string
	Ownership string
	Grants    []log.Grant
	Policy    string
	Block     *log.PublicAccessBlock
}

type snapBucketConfig struct {
	_msgpack struct{} `msgpack:",as_array"`
	Bucket   string
	Name     string
	Doc      []byte
}

type snapObjACL struct {
	_msgpack struct{} `msgpack:",as_array"`
	Key      string   // bucket + "\x00" + key
	Blob     []byte
	Grants   []log.Grant
}

type snapShipped struct {
	_msgpack struct{} `msgpack:",as_array"`
	Region   string
	Snapshot uint64
	Segment  uint64
}

type snapRegionID struct {
	_msgpack struct{} `msgpack:",as_array"`
	Region   string
	ID       string
}

type snapCompleted struct {
	_msgpack struct{} `msgpack:",as_array"`
	ID       string
	Bucket   string
	Key      string
	ETag     string
	Parts    []byte
	At       int64
	Version  string // version 5
}

// snapCompletedV4 is a completed upload in snapshot versions 2 to 4: no
// version id.
type snapCompletedV4 struct {
	_msgpack struct{} `msgpack:",as_array"`
	ID       string
	Bucket   string
	Key      string
	ETag     string
	Parts    []byte
	At       int64
}

type snapScheme struct {
	_msgpack  struct{} `msgpack:",as_array"`
	Layout    log.Layout
	Placement []string
}

type snapBlob struct {
	_msgpack struct{} `msgpack:",as_array"`
	ID       []byte
	Bucket   string
	Key      string
	Upload   string
	Size     int64
	Scheme   uint32
	Flags    uint8
	Shards   []byte  // nil: all stored
	OverIdx  []int64 // shard indexes stored outside placement…
	OverReg  []string
	Regions  []string
	Purged   []string
	Queued   int64 // version 3
}

// snapBlobV2 is a blob in snapshot versions 1 and 2: no queue time.
type snapBlobV2 struct {
	_msgpack struct{} `msgpack:",as_array"`
	ID       []byte
	Bucket   string
	Key      string
	Upload   string
	Size     int64
	Scheme   uint32
	Flags    uint8
	Shards   []byte
	OverIdx  []int64
	OverReg  []string
	Regions  []string
	Purged   []string
}

func (b snapBlobV2) upgrade() snapBlob {
	return snapBlob{ID: b.ID, Bucket: b.Bucket, Key: b.Key, Upload: b.Upload, Size: b.Size, Scheme: b.Scheme, Flags: b.Flags,
		Shards: b.Shards, OverIdx: b.OverIdx, OverReg: b.OverReg, Regions: b.Regions, Purged: b.Purged}
}

type snapExtent struct {
	_msgpack struct{} `msgpack:",as_array"`
	Blob     []byte
	Size     int64
}

type snapObject struct {
	_msgpack  struct{} `msgpack:",as_array"`
	Key       string   // bucket + "\x00" + key
	Blob      []byte
	Size      int64
	MTime     int64
	MD5       []byte
	Parts     int32
	CType     string
	Attrs     string
	Multi     bool
	Extents   []snapExtent
	PartSizes []int64
	PartSums  []map[string]string
	Ver       uint64 // version 4
}

// snapObjectV3 is an object in snapshot versions 1 to 3: no version word.
type snapObjectV3 struct {
	_msgpack  struct{} `msgpack:",as_array"`
	Key       string
	Blob      []byte
	Size      int64
	MTime     int64
	MD5       []byte
	Parts     int32
	CType     string
	Attrs     string
	Multi     bool
	Extents   []snapExtent
	PartSizes []int64
	PartSums  []map[string]string
}

func (o snapObjectV3) upgrade() snapObject {
	return snapObject{Key: o.Key, Blob: o.Blob, Size: o.Size, MTime: o.MTime, MD5: o.MD5, Parts: o.Parts, CType: o.CType,
		Attrs: o.Attrs, Multi: o.Multi, Extents: o.Extents, PartSizes: o.PartSizes, PartSums: o.PartSums, Ver: verNull}
}

type snapUpload struct {
	_msgpack struct{} `msgpack:",as_array"`
	ID       string
	Bucket   string
	Key      string
	Created  int64
	Meta     log.ObjectMeta
	Grants   []log.Grant // version 5
}

// snapUploadV4 is an upload in snapshot versions 1 to 4: no grants.
type snapUploadV4 struct {
	_msgpack struct{} `msgpack:",as_array"`
	ID       string
	Bucket   string
	Key      string
	Created  int64
	Meta     log.ObjectMeta
}

type snapPart struct {
	_msgpack struct{} `msgpack:",as_array"`
	Upload   string
	Number   int
	Blob     []byte
	Size     int64
	ETag     string
	MTime    int64
	Sums     map[string]string
}

func blobID(b []byte) (log.BlobID, error) {
	var id log.BlobID
	if len(b) != len(id) {
		return id, fmt.Errorf("%w: blob id of %d bytes", ErrBadSnapshot, len(b))
	}
	copy(id[:], b)
	return id, nil
}

func (b snapBucketV3) upgrade() snapBucket {
	return snapBucket{Name: b.Name, Created: b.Created, Location: b.Location, Policy: b.Policy, Ready: b.Ready}
}

func (u snapUploadV4) upgrade() snapUpload {
	return snapUpload{ID: u.ID, Bucket: u.Bucket, Key: u.Key, Created: u.Created, Meta: u.Meta}
}

func (c snapCompletedV4) upgrade() snapCompleted {
	return snapCompleted{ID: c.ID, Bucket: c.Bucket, Key: c.Key, ETag: c.ETag, Parts: c.Parts, At: c.At}
}

// eachFunc reads one section: item gives the value each entry decodes
// into, fn takes it.
type eachFunc = func(name string, item func() any, fn func() error) error

// eachItem reads a section of New entries; old says the snapshot predates
// New's layout, so they are decoded as Old and upgraded.
func eachItem[Old interface{ upgrade() New }, New any](each eachFunc, name string, old bool, fn func(*New) error) error {
	var o Old
	var n New
	return each(name, func() any {
		if old {
			o = *new(Old)
			return &o
		}
		n = *new(New)
		return &n
	}, func() error {
		if old {
			n = o.upgrade()
		}
		return fn(&n)
	})
}
