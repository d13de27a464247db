// Package engine is the only writer of prismd's state. It turns S3-level
// commands into events, runs the data path (erasure coding, fan-out,
// quorum, hedged reads) and the workers that follow the log (completion,
// purge, snapshots).
//
//	e, err := engine.Open(engine.Config{DataDir: "data", Regions: regions})
//	info, err := e.PutObject(ctx, engine.PutInput{Bucket: "b", Key: "k", Size: n, Body: r})
//	obj, err := e.GetObject(ctx, "b", "k", engine.GetOptions{})
//	defer obj.Close()
//
// # Invariants
//
//   - Nothing changes state except applying an event: validate, build the
//     event, append it (durable, group-committed), the log applies it to the
//     projections, then answer. Every query reads a projections.View.
//   - Every write commits through one function (commit) and takes no lock:
//     what must hold at the moment of the write (the bucket exists, an
//     If-Match / If-None-Match precondition, the upload and the exact part
//     blobs a completion names) travels in the event and is checked when it
//     is applied. A refused event comes back from the log as a rejection,
//     turned into the domain error (ErrNoSuchBucket, ErrPreconditionFailed,
//     ErrNoSuchUpload, ErrInvalidPart, …). No lock is held across an fsync
//     or a network call.
//   - Checksums (checksums.go): an object carries the one S3 additional
//     checksum its writer computed (the S3 layer gives every PUT and part a
//     CRC64NVME when the client named none). A multipart object gets the
//     checksum its upload was created with (UploadCreated's
//     Meta.Checksums, algorithm → type), else the full-object
//     DefaultChecksum, computed at completion from the parts' checksums:
//     COMPOSITE is the digest of the part digests plus "-N", FULL_OBJECT
//     the parts' CRCs combined; a part without it leaves the object without
//     a checksum.
//   - Readers pin the blobs they stream (GET, copy sources): the purge
//     worker skips pinned blobs and claims a blob before deleting it, so an
//     object overwritten or deleted during a GET keeps its bytes until the
//     GET ends, and a copy never references data being deleted.
//   - A PUT is acknowledged only after every segment has its write quorum of
//     shards (default k for erasure, 1 for replicas, never below k) and its
//     ObjectCommitted event is durable. The other shards land in the
//     background (ShardWritten or ShardFailed each); completion writes any
//     that never landed.
//   - Memory per request is bounded by (k+m) × BlockSize × a small pipeline
//     depth, whatever the object size: bodies stream stripe by stripe.
//   - Every block read is verified against its hash, which is keyed by its
//     place (blob, segment, shard, stripe). A mismatch or a missing shard is
//     logged (ShardCorrupt / ShardMissing), the read goes on from other
//     shards, and completion rewrites the shard.
//   - A PUT that never commits (error, client gone, crash) leaves only a
//     PutStarted; its blob is queued for purge — at once, or at the next
//     start-up when the process died. The PutStarted is appended while the
//     body is encoded and written, and every shard stream's end is held
//     back until it is durable, so that no shard can appear on a region
//     before the log knows its blob (datapath.Writer.EndAfter).
//   - Data is deleted only by the purge worker, for blobs no object version
//     or upload references any more (delete, overwrite, abort, unused
//     parts, a copy's last reference gone).
//   - Versions (versions.go): SetBucketVersioning appends
//     BucketVersioningSet; in a versioned bucket a write keeps the version
//     it replaces (its data stays referenced) and DeleteObjectVersion with
//     no id appends ObjectDeleted, which the projections turn into a delete
//     marker. A version's id comes from the log index of the event that
//     wrote it and the log's timeline (View.VersionSeq,
//     projections.FormatVersionID), so the answer is known once the
//     append returns; Open appends TimelineStarted when prismd replay put
//     the gateway on a new timeline, so ids never repeat across a replay
//     --until. Only ObjectVersionDeleted (a DELETE naming the
//     version) or a suspended bucket's write over the null version drops a
//     version's data. GET, HEAD and copies pin the version they read.
//   - Object lock (lock.go): a bucket has lock when it holds the
//     ConfigObjectLock document (CreateBucketInput.ObjectLock sets it with
//     versioning in the one BucketCreated; SetObjectLockConfiguration
//     later, on a versioned bucket). New versions get the lock their
//     writer asks for, else the default retention; retention and legal
//     hold change by ObjectRetentionSet and ObjectLegalHoldSet. The
//     projections refuse, under the log's order, removing a locked
//     version (ObjectVersionDeleted, whoever appends it: a client,
//     lifecycle), shortening or removing a retention in force (GOVERNANCE
//     only with Bypass), and suspending versioning or removing lock of a
//     lock bucket: the engine's checks before appending only answer
//     early. A locked version's data stays referenced, so purge never
//     takes it; region removal and drain rebuild or move its shards.
//   - Tags (tagging.go) are part of a version's metadata: PutInput.Tags,
//     CreateUploadInput.Tags (kept by the upload, applied at completion)
//     and CopyInput (the source's unless ReplaceTags) set them with the
//     write; SetObjectTags resolves the version (the latest for "") and
//     appends ObjectTagsSet naming it, which the projections apply to that
//     version alone, or refuse when it is gone or a delete marker. Bucket
//     tags are the bucket configuration document ConfigTagging.
//   - Lifecycle (lifecycle.go): RunLifecycle carries out each bucket's
//     lifecycle configuration (package lifecycle decides) at every start
//     and once per Config.LifecycleDay, reading versions and uploads a
//     page at a time. Each action is an event a client could have caused:
//     ObjectExpired (ObjectDeleted that the projections refuse unless the
//     key's current version is still the one judged, so a key written
//     again meanwhile is not expired), ObjectVersionDeleted (noncurrent
//     versions, expired delete markers), UploadAborted. An action refused
//     (the key changed, an object lock) is logged and skipped.
//
// # Data layout
//
// An object is a list of extents; each extent is a blob (one PUT or one
// multipart part). A blob is cut into segments (default 64 MiB); a segment
// is stored as k+m shards on distinct regions (k = 1 means 1+m full
// copies). Shard i of every segment of a blob goes to Placement[i] unless a
// repair moved it. A shard is one backend object, key
// "<first 2 hex>/<blob hex>.<segment>.<shard>" (blobs written before
// PutStarted version 3: "<blob hex>/<segment>/<shard>", as their layout
// records) in the backend bucket of its client bucket ("<prefix>-<hash of
// the bucket name>"): backend keys never reveal client keys. The data path (package datapath: the shard format, verification,
// hedged segment reads, segment writes) reports per-shard outcomes; the
// engine turns them into events (ShardWritten, ShardFailed, ShardCorrupt,
// ShardMissing, ShardRepaired). GET, completion and scrub share it.
//
// # Regions
//
// A region's health has two parts. The breaker counts failures to reach it
// (reads, probes, writes that get no answer) and stops sending requests
// after three in a row until a probe succeeds. Writes it refuses (a full
// disk, a quota) back its writes off instead (1 s doubling to 5 min, ended
// by a successful write): placement avoids it, completion leaves it alone,
// and reads, deletes and purge go on, so that purge can free its space.
// Health reports "ok", "down", "write-failing" or "checking".
//
// Each region keeps an identity marker (a random id, recorded in the log by
// RegionIdentified) in the system bucket "<prefix>-system". The background
// worker reads it every 30 s; a marker gone or different (the region was
// wiped or re-pointed), or NoSuchBucket from a backend bucket the log says
// is ready, makes it look for every backend bucket the region should hold.
// Each one gone is recorded with BackendBucketLost, which makes its shards
// missing; the bucket is created again and completion writes the shards
// from the other regions. A region re-pointed through AddRegion (another
// path, endpoint or bucket) is a new, empty region the same way; a removed
// region's shards count as missing when RegionRemoved is applied and are
// rebuilt elsewhere.
//
// # Shipping the log
//
// With Config.Shipping, the engine runs one replica.Shipper per region:
// every ship interval it puts the log's new records, and every new local
// snapshot, into the region's system bucket, sealed with the master key
// (see package replica). Open takes every reachable region's lease first
// and fails with ErrLeaseHeld when another live gateway holds one. The log
// is truncated only below the newest snapshot every region holds
// (truncate). Snapshots are taken every SnapshotEvery events — or as many
// as the state holds records, when that is more — and every
// SnapshotInterval; they stream from a copy-on-write view. Shipping (how
// far each region is) shows in Shipping. A gateway's id and timeline live
// in <DataDir>/gateway.json (LoadIdentity; prismd replay writes it with
// WriteIdentity). Inspect describes a data directory without opening it
// for writing. Data queued for purge waits PurgeDelay, so that a
// point-in-time restore within it finds its bytes.
//
// # Background work
//
// Unless Config.NoBackground is set, one goroutine runs region probes and
// identity checks, backend-bucket creation, purge, completion and local
// snapshots, in that order, whenever events are appended and at least every
// few seconds, backing off while regions are down. Tests step the same work
// with CheckRegions, RunPurge and RunCompletion. A failed repair write
// appends nothing (the shard stays pending): a region that stays full
// does not grow the log.
//
// # Scrub
//
// Scrub checks what nobody reads (scrub.go): quick mode compares one
// listing per region and backend bucket with the projections (a shard
// absent or of the wrong size is missing; a backend bucket gone is lost);
// deep mode also reads every stored shard through datapath.Verify (a
// block that does not verify is corrupt). It records what it finds
// (ShardMissing, ShardCorrupt, BackendBucketLost), rewrites every segment
// with a pending shard through completion's path (ShardRepaired), names
// the objects with a segment of fewer than k good shards, and deletes
// backend objects no blob names once they are older than a grace period —
// on a complete listing only. Its position and counts are kept in a
// checkpoint file, so that a scrub cut off continues. A background
// scrubber runs quick passes every Config.ScrubInterval and deep ones
// every Config.DeepScrubInterval at a tenth of the time (it sleeps nine
// times as long as each piece of work took), and pauses while a scrub
// started by Scrub runs; ScrubStatus reports it.
package engine
