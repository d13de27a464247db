// Package projections holds the in-memory B-tree views that prismd builds by
// applying its log: buckets, objects, blobs, multipart uploads, the shards
// still to write or repair, the purge queue, regions, access keys and
// per-region usage. Every lookup and listing the gateway answers comes from
// here.
//
//	s := projections.New()
//	for each record (index, time, event) of the log, in order:
//		s.Apply(index, time, event)
//	s.Publish()             // after each batch
//	v := s.View()           // any goroutine, any time
//	obj, ok := v.Object("photos", "2024/cat.jpg")
//	page := v.List("photos", projections.ListQuery{Prefix: "2024/", Delimiter: "/"})
//
// # Contract
//
// Purity. Apply does no I/O and reads no clock and no randomness: ids, times
// and ETags travel inside the events. The state after a sequence of events
// depends on nothing else, so replaying a log (or a snapshot plus the log
// after it) rebuilds exactly the same state.
//
// Idempotence by log index. Apply(index, …) with index <= Applied() is a
// no-op. An index beyond Applied()+1 means an event was skipped: Apply
// panics, like etcd's applyEntries. The one exception is a fresh State
// (Applied() == 0), which accepts any first index. LoadSnapshot sets Applied
// to the snapshot's index, so the next event must be the one after it.
//
// Ownership. A State belongs to one goroutine (the log's apply goroutine).
// Publish makes a View: an immutable copy-on-write Copy() of every tree,
// O(1) to make; changes after it copy the tree nodes and the records they
// touch (a record is cloned on its first change after a Publish, so Views
// never see a record change). Any number of goroutines may query any View.
//
// Events the projections do not understand, and shard events naming things
// that do not exist (a shard of an unknown blob), change nothing, so that a
// log written by a newer or buggy writer still replays.
//
// # Rejections
//
// A write's consequences are decided when its event is applied, from the
// event alone, so that the engine holds no lock across the log's fsync:
// Apply refuses (returns a rejection, changing nothing) a BucketCreated of
// an existing bucket (ErrBucketExists), a BucketDeleted of a missing or
// non-empty bucket (ErrNoSuchBucket, ErrBucketNotEmpty), a commit, copy,
// upload or policy in a missing bucket (ErrNoSuchBucket), a commit or copy
// naming a blob no longer known (ErrBlobGone), a conditional write whose
// Precondition fails (ErrPreconditionFailed, or ErrNoSuchKey for If-Match
// on an absent key), a part, completion or abort of an upload that is gone
// (ErrNoSuchUpload), and a completion whose parts are not (or no longer) the
// blobs it names (ErrPartMismatch). The log keeps refused events; replaying
// them refuses them again. The log's Append returns the rejection to the
// writer, which answers its client with it: of a completion and an abort
// racing, of a part uploaded again and a completion listing the earlier
// one, exactly one wins.
//
// A completed upload is remembered (id, key, ETag and a digest of its
// parts) for an hour of log time, at most 100,000 of them, pruned as later
// completions are applied: a CompleteMultipartUpload retried after it
// succeeded gets the same answer (CompletedUpload).
//
// # Regions
//
// RegionRemoved, a RegionUpdated that moves a region (another type, path,
// endpoint or bucket), and BackendBucketLost (one backend bucket of one
// region, found gone) mean the region no longer holds what it held: its
// stored shards become missing (completion rebuilds them, elsewhere for a
// removed region), blobs queued for purge count as purged there, and the
// backend buckets are no longer ready there. RegionIdentified records the
// identity marker the engine keeps in each region's system area.
//
// # Blobs and references
//
// A blob is an immutable stored byte sequence: the data of one PUT or one
// multipart part, opened by PutStarted with a layout (K data + M parity
// shards per segment; K == 1 means 1+M replicas) and a placement (shard i of
// every segment goes to region Placement[i]). A blob has
// max(1, ceil(Size/SegmentSize)) segments of K+M shards.
//
// Objects and upload parts hold references on blobs (Blob.Refs):
//
//   - ObjectCommitted references its blob; ObjectCopied the given extents;
//     UploadCompleted the listed parts' blobs, in order.
//   - PartCommitted references its blob; committing a part number again
//     drops the earlier blob's reference.
//   - An object replaced or deleted drops its references; so does an upload
//     completed (its parts' own references; listed parts stay referenced by
//     the object), aborted, or deleted with its bucket.
//
// New references are taken before old ones are dropped, so rewriting an
// object with the blob it already has never purges it. References to blobs
// the projections do not know (already forgotten) are not counted.
//
// A blob is in exactly one of these states:
//
//   - open: started, never referenced, not queued (a PUT in flight, or one
//     abandoned by a crash): OpenBlobs.
//   - referenced: Refs > 0. Its pending shards are the completion and repair
//     work list: PendingShards.
//   - queued for purge: its last reference was dropped, or PurgeQueued named
//     it while open (PurgeQueued of a referenced blob is ignored): PurgeQueue.
//     ShardsPurged{blob, region} marks a region done; when every region that
//     may hold its data (placement plus regions named by ShardWritten and
//     ShardRepaired) is done, the blob is forgotten. A ShardWritten that lands
//     on an already purged region makes that region due again. A blob
//     referenced again while queued leaves the queue, and its shards on
//     purged regions become "missing".
//
// # Shards
//
// Every shard of a started blob is pending ("unwritten"). ShardWritten and
// ShardRepaired store it, on the region the event names (which may differ
// from placement after a repair; ShardRegion tells where it is). ShardFailed
// keeps it pending ("failed"). ShardCorrupt and ShardMissing make a stored
// shard pending again ("corrupt", "missing"); reports naming a region the
// shard is not on are stale and ignored.
//
// Usage counts, per region, the shards stored and their approximate bytes
// (segment data / K, rounded up; the whole segment for replicas), and the
// pending shards of referenced blobs assigned to it.
//
// # Queries
//
// Object lookups cost one B-tree search. List seeks to max(Prefix, After)
// and, with a delimiter, seeks past each common-prefix group rather than
// walking it, so a page costs O(page × log n) whatever the bucket holds.
// ListUploads does the same over uploads ordered by (key, created, id).
//
// # Memory
//
// Objects live in one tree keyed by bucket + "\x00" + key (bucket names never
// hold NUL), which orders by (bucket, key), lets one Copy() cover every
// bucket, and lets a blob's key share the object key's bytes. An object
// record is 88 bytes (with its version word) when it has one extent and an MD5 ETag: the ETag is held
// as 16 bytes, the content type as an index into an interned table, and
// headers, user metadata and checksums as one encoded string (empty when
// absent). A blob record is 96 bytes once all its shards are written; its
// layout and placement are an index into a table of distinct schemes.
// BenchmarkBytesPerObject measures the total.
//
// # Versions
//
// A bucket is unversioned until BucketVersioningSet makes it Enabled or
// Suspended; it never goes back. Every object record carries a version
// word: the log index of the event that wrote it, with the log's timeline
// above bit 40 from timeline 2 on (log.TimelineStarted) — its sequence,
// from which the version id is made: 16 hex digits, FormatVersionID — and whether it is
// the null version or a delete marker. In an unversioned bucket every
// object is the null version and nothing else changes. In an Enabled
// bucket ObjectCommitted, ObjectCopied and UploadCompleted add a version
// and ObjectDeleted adds a delete marker; the replaced version keeps its
// data (its references). In a Suspended bucket they write the null version,
// replacing (and dropping the data of) the previous null version wherever
// it is. ObjectVersionDeleted removes one version or marker for good and
// drops its data; when it was the latest, the newest remaining version
// becomes current (unless it is a marker). A version that does not exist
// changes nothing. ObjectExpired (a lifecycle expiry) is ObjectDeleted
// refused unless the key's current version still has the version id and
// write time it names.
// ObjectTagsSet replaces the tags of one version (current or not, by its
// id) and nothing else; it is refused (ErrNoSuchKey) when the version does
// not exist or is a delete marker.
//
// The current version of a key, unless it is a delete marker, stays in the
// objects tree, so lookups and List never see the others; noncurrent
// versions and every delete marker live in a second tree ordered by
// (bucket, key, sequence descending). ListVersions merges the two: a few
// seeks per key and one step per version, so a page costs O(page × log n)
// whatever the number of versions per key. A bucket holding only
// noncurrent versions or markers is not empty.
//
// # Object lock
//
// A bucket has object lock when it holds a log.ConfigObjectLock document
// (BucketConfigSet, refused unless versioning is Enabled; or BucketCreated
// with ObjectLock, which also enables versioning). It keeps it: removing
// the document or suspending versioning is refused (ErrInvalidBucketState).
// A version's retention (LockMode, LockUntil) and legal hold live in its
// attributes. It is locked while it has a legal hold or LockUntil is after
// the applied event's time. ObjectVersionDeleted of a locked version is
// refused (ErrObjectLocked) unless its retention is GOVERNANCE, it has no
// legal hold and the event has Bypass; ObjectRetentionSet may extend a
// retention in force (or make GOVERNANCE COMPLIANCE), shorten or remove a
// GOVERNANCE one only with Bypass, a COMPLIANCE one never. A new version,
// upload or retention with lock settings in a bucket without lock is
// refused (ErrNoObjectLock). Because the projections decide, two writers
// racing are ordered by the log and the second is checked against the
// first; replay and snapshots rebuild the same locks.
//
// # Snapshots
//
// MarshalSnapshot (snapshot_write.go) encodes the records and the applied
// index as a stream of msgpack values (the format and its versions are in
// snapshot.go, version 8; every older version still loads); encoding is
// deterministic. Reference counts, the open, pending and purge sets and
// usage are derived again by LoadSnapshot (snapshot_load.go), which returns
// an error wrapping ErrBadSnapshot (never panics) on input that is not a
// consistent snapshot.
package projections
