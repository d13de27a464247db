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
//     start-up when the process died.
//   - Data is deleted only by the purge worker, for blobs no object or upload
//     references any more (delete, overwrite, abort, unused parts, a copy's
//     last reference gone).
//
// # Data layout
//
// An object is a list of extents; each extent is a blob (one PUT or one
// multipart part). A blob is cut into segments (default 64 MiB); a segment
// is stored as k+m shards on distinct regions (k = 1 means 1+m full
// copies). Shard i of every segment of a blob goes to Placement[i] unless a
// repair moved it. A shard is one backend object, key
// "<blob hex>/<segment>/<shard>" in the backend bucket of its client bucket
// ("<prefix>-<hash of the bucket name>"): backend keys never reveal client
// keys. Its format is described in shard.go.
//
// # Background work
//
// Unless Config.NoBackground is set, one goroutine runs completion, purge,
// backend-bucket creation, region probes and local snapshots whenever events
// are appended, and at least every few seconds, backing off while regions
// are down. Tests step the same work with RunCompletion and RunPurge.
package engine
