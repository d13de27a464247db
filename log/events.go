package log

// This file lists every event type and its payload. Payload structs are
// encoded with msgpack using the field tags below; renaming a tag or changing
// a field's type is a schema change: bump the type's version, keep decoding
// the old one, and add a golden file in testdata.

// Type names an event kind. The numbers are part of the on-disk format.
type Type uint16

// Event types. Never renumber; only append.
const (
	TypeBucketCreated      Type = 1
	TypeBucketPolicySet    Type = 2
	TypeBucketDeleted      Type = 3
	TypeBackendBucketReady Type = 4
	TypeBackendBucketLost  Type = 5
	TypeBucketConfigSet    Type = 6

	TypePutStarted      Type = 10
	TypeShardWritten    Type = 11
	TypeShardFailed     Type = 12
	TypeObjectCommitted Type = 13
	TypeObjectDeleted   Type = 14
	TypeObjectCopied    Type = 15

	TypeUploadCreated   Type = 20
	TypePartCommitted   Type = 21
	TypeUploadCompleted Type = 22
	TypeUploadAborted   Type = 23

	TypePurgeQueued  Type = 30
	TypeShardsPurged Type = 31

	TypeShardCorrupt  Type = 40
	TypeShardMissing  Type = 41
	TypeShardRepaired Type = 42

	TypeRegionAdded      Type = 50
	TypeRegionUpdated    Type = 51
	TypeRegionRemoved    Type = 52
	TypeAccessKeyCreated Type = 53
	TypeAccessKeyRevoked Type = 54
	TypeSnapshotShipped  Type = 55
	TypeSegmentShipped   Type = 56
	TypeRegionIdentified Type = 57
	TypeTimelineStarted  Type = 58

	// The management listener's login (events_admin.go).
	TypeAdminPasswordSet  Type = 100
	TypeAdminTokenCreated Type = 101
	TypeAdminTokenRevoked Type = 102
	// Versioning: 60–69 (events_versioning.go). 70–79: object lock and lifecycle.
	TypeBucketVersioningSet   Type = 60
	TypeObjectVersionDeleted  Type = 61
	TypeObjectExpired         Type = 79 // lifecycle (events_lifecycle.go), from the top of 70–79
	TypeObjectRetentionSet    Type = 62 // object lock: 62–69 (events_lock.go)
	TypeObjectLegalHoldSet    Type = 63
	TypeBucketACLSet          Type = 80
	TypeObjectACLSet          Type = 81
	TypeBucketAccessPolicySet Type = 82
	TypePublicAccessBlockSet  Type = 83
	TypeOwnershipControlsSet  Type = 84
	// Tagging: 85–89 (events_tagging.go).
	TypeObjectTagsSet Type = 85
)

// Event is implemented by every payload struct.
type Event interface {
	// EventType returns the payload's type tag.
	EventType() Type
}

// Policy is how a bucket stores its data.
type Policy struct {
	Mode            string `msgpack:"mode"`      // "replica", "erasure" or "hybrid"
	DataShards      int    `msgpack:"k"`         // k, erasure data shards
	ParityShards    int    `msgpack:"m"`         // m, erasure parity shards; replica copies = m+1
	HybridThreshold int64  `msgpack:"threshold"` // hybrid: objects below this size are replicated
	WriteQuorum     int    `msgpack:"quorum"`    // shards per segment before a PUT is acknowledged; 0 = default (k, or 1 for replica)
	Placement       string `msgpack:"placement"` // "shuffle" or "priority"
}

// Layout is how one blob is cut and coded. K == 1 means replicas: every
// shard holds the whole segment, and there are 1+M copies.
type Layout struct {
	K           int       `msgpack:"k"`
	M           int       `msgpack:"m"`
	BlockSize   int       `msgpack:"bs"`           // bytes of data per shard block
	SegmentSize int64     `msgpack:"seg"`          // bytes of object data per segment
	Hash        BlockHash `msgpack:"bh,omitempty"` // the hash after every block (PutStarted version 2)
	Keys        KeyLayout `msgpack:"kl,omitempty"` // how its shards' backend keys are made (PutStarted version 3)
}

// KeyLayout names how the backend keys of a blob's shards are made (see
// engine/datapath.Key). Blobs written before PutStarted version 3 have none
// recorded: KeysNested.
type KeyLayout int

const (
	// KeysNested is "<blob hex>/<segment>/<shard>": two directories of
	// their own for every shard on a filesystem-backed region.
	KeysNested KeyLayout = 0
	// KeysFanout is "<first 2 hex of the blob>/<blob hex>.<segment>.<shard>":
	// 256 directories made once and shared by every shard, none of them
	// holding everything.
	KeysFanout KeyLayout = 1
)

// Known reports whether this build can make keys of layout k.
func (k KeyLayout) Known() bool { return k == KeysNested || k == KeysFanout }

// BlockHash names the hash that follows every block of a blob's shards.
// Blobs written before PutStarted version 2 have none recorded: HashHighway.
type BlockHash int

const (
	// HashHighway is HighwayHash-128 keyed by the block's place.
	HashHighway BlockHash = 0
	// HashXXH3 is XXH3-128 seeded by the block's place: five times faster
	// here, and as good at what the hash is for (a block changed, or read
	// from another place, never verifies; the key of HashHighway was never
	// secret either).
	HashXXH3 BlockHash = 1
)

// Known reports whether this build can compute h.
func (h BlockHash) Known() bool { return h == HashHighway || h == HashXXH3 }

// BlobID names an immutable stored byte sequence (the data of one PUT or one
// multipart part). Backend keys derive from it, never from client keys.
type BlobID [16]byte

// Extent is one blob as referenced by an object, in order.
type Extent struct {
	Blob BlobID `msgpack:"blob"`
	Size int64  `msgpack:"size"`
}

// ObjectMeta is what a committed object carries besides its data.
type ObjectMeta struct {
	Size        int64               `msgpack:"size"`
	ETag        string              `msgpack:"etag"`  // quoted-free hex, "-N" suffix for multipart
	ModTime     int64               `msgpack:"mtime"` // unix nanoseconds
	ContentType string              `msgpack:"ctype,omitempty"`
	Headers     map[string]string   `msgpack:"hdr,omitempty"`   // Cache-Control, Content-Disposition, Content-Encoding, Content-Language, Expires
	UserMeta    map[string]string   `msgpack:"meta,omitempty"`  // x-amz-meta-* without the prefix, lower-case names
	Checksums   map[string]string   `msgpack:"sums,omitempty"`  // "CRC32" → base64, …
	PartSizes   []int64             `msgpack:"parts,omitempty"` // multipart: size of each part, in order
	PartSums    []map[string]string `msgpack:"partsums,omitempty"`
	// Tags are the object's tags (x-amz-tagging). ObjectCommitted and
	// ObjectCopied version 3, UploadCreated version 2 and UploadCompleted
	// version 3 added them and the lock fields.
	Tags map[string]string `msgpack:"tags,omitempty"`
	// LockMode ("GOVERNANCE" or "COMPLIANCE") and LockUntil (unix
	// nanoseconds) are the version's object lock retention, LegalHold its
	// legal hold.
	LockMode  string `msgpack:"lockmode,omitempty"`
	LockUntil int64  `msgpack:"lockuntil,omitempty"`
	LegalHold bool   `msgpack:"hold,omitempty"`
	// Owner is the access key of the writer when it owns the version (a
	// bucket whose ownership is ObjectWriter, or BucketOwnerPreferred and
	// no bucket-owner-full-control ACL); "" means the bucket's owner.
	// ObjectCommitted and ObjectCopied version 4, UploadCreated version 3
	// and UploadCompleted version 4 added it.
	Owner string `msgpack:"owner,omitempty"`
}

// BucketCreated makes a bucket. Policy is nil when the bucket follows the
// global default. Owner is the access key that created it; "" (every
// bucket of a version 1 event) means the root key. Ownership and Grants
// are the bucket's object ownership setting and ACL from the start
// (version 2). ObjectLock (version 3) creates the bucket with versioning
// enabled and object lock on (ObjectLockEnabledDoc), in one event.
type BucketCreated struct {
	Bucket    string  `msgpack:"bucket"`
	Location  string  `msgpack:"loc,omitempty"`
	Created   int64   `msgpack:"created"` // unix nanoseconds
	Policy    *Policy `msgpack:"policy,omitempty"`
	Owner     string  `msgpack:"owner,omitempty"`
	Ownership string  `msgpack:"ownership,omitempty"`
	Grants    []Grant `msgpack:"grants,omitempty"`
	// ObjectLock: version 3.
	ObjectLock bool `msgpack:"lock,omitempty"`
}

type BucketPolicySet struct {
	Bucket string `msgpack:"bucket"`
	Policy Policy `msgpack:"policy"`
}

type BucketDeleted struct {
	Bucket string `msgpack:"bucket"`
}

// BackendBucketReady records that a region now holds the backend bucket (or prefix) of a client bucket.
type BackendBucketReady struct {
	Bucket string `msgpack:"bucket"`
	Region string `msgpack:"region"`
}

// BackendBucketLost records that a region no longer holds the backend
// bucket of a client bucket (the region was wiped or re-pointed): every
// shard of the bucket's blobs stored there is missing, and the backend
// bucket must be created again.
type BackendBucketLost struct {
	Bucket string `msgpack:"bucket"`
	Region string `msgpack:"region"`
}

// Precondition is what a conditional write expects of the object it
// replaces. It is checked when the event is applied, so that the check and
// the write are one step: a commit whose precondition fails changes nothing
// and is reported to its writer as rejected.
type Precondition struct {
	// IfMatch: an object must exist, and unless IfMatch is "*" its ETag
	// must be in the (comma-separated, possibly quoted) list.
	IfMatch string `msgpack:"ifmatch,omitempty"`
	// IfNoneMatch: "*" means no object may exist; a list of ETags means
	// the current object's ETag must not be in it.
	IfNoneMatch string `msgpack:"ifnonematch,omitempty"`
}

// PutStarted opens a blob: shard i of every segment goes to Placement[i].
// Upload is set when the blob is a multipart part.
type PutStarted struct {
	Blob      BlobID   `msgpack:"blob"`
	Bucket    string   `msgpack:"bucket"`
	Key       string   `msgpack:"key"`
	Upload    string   `msgpack:"upload,omitempty"`
	Layout    Layout   `msgpack:"layout"`
	Placement []string `msgpack:"placement"`
	Size      int64    `msgpack:"size"`
}

// ShardWritten records that a shard landed on a region.
type ShardWritten struct {
	Blob    BlobID `msgpack:"blob"`
	Segment int    `msgpack:"seg"`
	Shard   int    `msgpack:"shard"`
	Region  string `msgpack:"region"`
}

// ShardFailed records that writing a shard failed; completion retries it.
type ShardFailed struct {
	Blob    BlobID `msgpack:"blob"`
	Segment int    `msgpack:"seg"`
	Shard   int    `msgpack:"shard"`
	Region  string `msgpack:"region"`
	Error   string `msgpack:"err"`
}

// ObjectCommitted makes Key in Bucket point at Blob's data. Any object it
// replaces loses its reference. It is refused when the bucket does not
// exist or Cond does not hold. Version 2 added Cond, version 3 the tags
// and lock fields of Meta.
type ObjectCommitted struct {
	Bucket string        `msgpack:"bucket"`
	Key    string        `msgpack:"key"`
	Blob   BlobID        `msgpack:"blob"`
	Meta   ObjectMeta    `msgpack:"meta"`
	Cond   *Precondition `msgpack:"cond,omitempty"`
}

type ObjectDeleted struct {
	Bucket string `msgpack:"bucket"`
	Key    string `msgpack:"key"`
}

// ObjectCopied makes Key in Bucket reference the same extents as the
// source (metadata-only copy). It is refused when the bucket does not
// exist, an extent's blob is no longer known, or Cond does not hold.
// Version 2 added Cond, version 3 the tags and lock fields of Meta.
type ObjectCopied struct {
	Bucket    string        `msgpack:"bucket"`
	Key       string        `msgpack:"key"`
	SrcBucket string        `msgpack:"sbucket"`
	SrcKey    string        `msgpack:"skey"`
	Extents   []Extent      `msgpack:"extents"`
	Meta      ObjectMeta    `msgpack:"meta"`
	Cond      *Precondition `msgpack:"cond,omitempty"`
}

// UploadCreated starts a multipart upload. Meta holds the content type,
// headers and user metadata to apply at completion; its Checksums, when
// set, holds the one checksum the completed object is to get, as algorithm
// → type ("CRC32" → "COMPOSITE" or "FULL_OBJECT"), not a digest.
// Version 2 added the tags and lock fields of Meta, and Grants: the ACL
// the completed object gets (x-amz-acl / x-amz-grant-* on
// CreateMultipartUpload), set with the completion itself.
type UploadCreated struct {
	Upload  string     `msgpack:"upload"`
	Bucket  string     `msgpack:"bucket"`
	Key     string     `msgpack:"key"`
	Created int64      `msgpack:"created"`
	Meta    ObjectMeta `msgpack:"meta"`
	Grants  []Grant    `msgpack:"grants,omitempty"`
}

// PartCommitted stores part Number of Upload as Blob. A part committed again replaces the earlier blob.
type PartCommitted struct {
	Upload    string            `msgpack:"upload"`
	Number    int               `msgpack:"n"`
	Blob      BlobID            `msgpack:"blob"`
	Size      int64             `msgpack:"size"`
	ETag      string            `msgpack:"etag"`
	Modified  int64             `msgpack:"mtime"`
	Checksums map[string]string `msgpack:"sums,omitempty"`
}

// UploadCompleted turns the listed parts, in order, into the object. Parts
// not listed are purged. Every listed part names the blob it completes: the
// event is refused when the upload is gone (aborted, completed, its bucket
// deleted), when a listed part is not (or no longer) that blob, or when Cond
// does not hold. Version 2 made Parts carry blob, size and ETag (version 1
// listed part numbers only: its parts decode with a zero Blob, resolved by
// number) and added Cond.
type UploadCompleted struct {
	Upload string          `msgpack:"upload"`
	Bucket string          `msgpack:"bucket"`
	Key    string          `msgpack:"key"`
	Parts  []CompletedPart `msgpack:"parts"`
	Meta   ObjectMeta      `msgpack:"meta"`
	Cond   *Precondition   `msgpack:"cond,omitempty"`
}

// CompletedPart is one part as CompleteMultipartUpload found it.
type CompletedPart struct {
	Number int    `msgpack:"n"`
	Blob   BlobID `msgpack:"blob"`
	Size   int64  `msgpack:"size"`
	ETag   string `msgpack:"etag"`
}

// uploadCompletedV1 is version 1 of UploadCompleted: part numbers only.
type uploadCompletedV1 struct {
	Upload string     `msgpack:"upload"`
	Bucket string     `msgpack:"bucket"`
	Key    string     `msgpack:"key"`
	Parts  []int      `msgpack:"parts"`
	Meta   ObjectMeta `msgpack:"meta"`
}

type UploadAborted struct {
	Upload string `msgpack:"upload"`
}

// PurgeQueued queues a blob's backend data for deletion (a PUT that never committed).
type PurgeQueued struct {
	Blob   BlobID `msgpack:"blob"`
	Reason string `msgpack:"reason,omitempty"`
}

// ShardsPurged records that every shard of Blob on Region is gone.
type ShardsPurged struct {
	Blob   BlobID `msgpack:"blob"`
	Region string `msgpack:"region"`
}

// ShardCorrupt records a shard whose bytes failed verification; it is pending again until repaired.
type ShardCorrupt struct {
	Blob    BlobID `msgpack:"blob"`
	Segment int    `msgpack:"seg"`
	Shard   int    `msgpack:"shard"`
	Region  string `msgpack:"region"`
	Detail  string `msgpack:"detail,omitempty"`
}

// ShardMissing records a shard that its region no longer has.
type ShardMissing struct {
	Blob    BlobID `msgpack:"blob"`
	Segment int    `msgpack:"seg"`
	Shard   int    `msgpack:"shard"`
	Region  string `msgpack:"region"`
}

// ShardRepaired records that a corrupt or missing shard was rewritten (possibly to another region).
type ShardRepaired struct {
	Blob    BlobID `msgpack:"blob"`
	Segment int    `msgpack:"seg"`
	Shard   int    `msgpack:"shard"`
	Region  string `msgpack:"region"`
}

// Region is a backend region as configured. Secrets are sealed, never in clear.
type Region struct {
	Name          string `msgpack:"name"`
	Type          string `msgpack:"type"` // "fs", "s3", "mem"
	Path          string `msgpack:"path,omitempty"`
	Endpoint      string `msgpack:"endpoint,omitempty"`
	SigningRegion string `msgpack:"sregion,omitempty"`
	AccessKey     string `msgpack:"akey,omitempty"`
	SealedSecret  []byte `msgpack:"secret,omitempty"`
	PathStyle     bool   `msgpack:"pathstyle,omitempty"`
	Bucket        string `msgpack:"bucket,omitempty"` // prefix mode: the one bucket to use
	Insecure      bool   `msgpack:"insecure,omitempty"`
}

type RegionAdded struct {
	Region Region `msgpack:"region"`
}

type RegionUpdated struct {
	Region Region `msgpack:"region"`
}

type RegionRemoved struct {
	Name string `msgpack:"name"`
}

// AccessKeyCreated adds a client key. Buckets lists the buckets the key may
// use whoever owns them (and the only ones it may use); empty: its own and
// those an ACL or policy grants it. BypassGovernance (version 2) lets the
// key send x-amz-bypass-governance-retention.
type AccessKeyCreated struct {
	AccessKey    string   `msgpack:"akey"`
	SealedSecret []byte   `msgpack:"secret"`
	Buckets      []string `msgpack:"buckets,omitempty"`
	ReadOnly     bool     `msgpack:"ro,omitempty"`
	Root         bool     `msgpack:"root,omitempty"`
	// BypassGovernance: version 2.
	BypassGovernance bool `msgpack:"bypass,omitempty"`
}

type AccessKeyRevoked struct {
	AccessKey string `msgpack:"akey"`
}

// SnapshotShipped records that the snapshot at Index reached Region.
type SnapshotShipped struct {
	Index  uint64 `msgpack:"index"`
	Region string `msgpack:"region"`
}

// SegmentShipped records that the log records in [First, Last] reached Region.
type SegmentShipped struct {
	First  uint64 `msgpack:"first"`
	Last   uint64 `msgpack:"last"`
	Region string `msgpack:"region"`
}

// TimelineStarted is the first event a gateway restored by prismd replay
// writes (when it opens on a timeline newer than its log's): from here on
// the log continues timeline Timeline (2 and up; a log without this event
// is timeline 1). Version ids carry the timeline, so a version written
// after a replay --until never reuses the id of one written on the
// abandoned history after the restored point. It is refused unless
// Timeline is above the current one.
type TimelineStarted struct {
	Timeline uint64 `msgpack:"timeline"`
}

func (TimelineStarted) EventType() Type { return TypeTimelineStarted }

// RegionIdentified records the identity marker the gateway wrote into a
// region's system area. A region whose marker later differs (or is gone)
// was wiped or re-pointed, and is checked for lost backend buckets.
type RegionIdentified struct {
	Region string `msgpack:"region"`
	ID     string `msgpack:"id"`
}

func (BucketCreated) EventType() Type      { return TypeBucketCreated }
func (BucketPolicySet) EventType() Type    { return TypeBucketPolicySet }
func (BucketDeleted) EventType() Type      { return TypeBucketDeleted }
func (BackendBucketReady) EventType() Type { return TypeBackendBucketReady }
func (BackendBucketLost) EventType() Type  { return TypeBackendBucketLost }
func (PutStarted) EventType() Type         { return TypePutStarted }
func (ShardWritten) EventType() Type       { return TypeShardWritten }
func (ShardFailed) EventType() Type        { return TypeShardFailed }
func (ObjectCommitted) EventType() Type    { return TypeObjectCommitted }
func (ObjectDeleted) EventType() Type      { return TypeObjectDeleted }
func (ObjectCopied) EventType() Type       { return TypeObjectCopied }
func (UploadCreated) EventType() Type      { return TypeUploadCreated }
func (PartCommitted) EventType() Type      { return TypePartCommitted }
func (UploadCompleted) EventType() Type    { return TypeUploadCompleted }
func (UploadAborted) EventType() Type      { return TypeUploadAborted }
func (PurgeQueued) EventType() Type        { return TypePurgeQueued }
func (ShardsPurged) EventType() Type       { return TypeShardsPurged }
func (ShardCorrupt) EventType() Type       { return TypeShardCorrupt }
func (ShardMissing) EventType() Type       { return TypeShardMissing }
func (ShardRepaired) EventType() Type      { return TypeShardRepaired }
func (RegionAdded) EventType() Type        { return TypeRegionAdded }
func (RegionUpdated) EventType() Type      { return TypeRegionUpdated }
func (RegionRemoved) EventType() Type      { return TypeRegionRemoved }
func (AccessKeyCreated) EventType() Type   { return TypeAccessKeyCreated }
func (AccessKeyRevoked) EventType() Type   { return TypeAccessKeyRevoked }
func (SnapshotShipped) EventType() Type    { return TypeSnapshotShipped }
func (SegmentShipped) EventType() Type     { return TypeSegmentShipped }
func (RegionIdentified) EventType() Type   { return TypeRegionIdentified }
