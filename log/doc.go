// Package log is prismd's write-ahead log: the event types, their msgpack
// codec, group commit on top of tidwall/wal, and projection snapshots.
//
// Every change to prismd's state is an Event appended here; projections are
// built by applying the records in index order. The log imports nothing of
// prismd's and never exposes the *wal.Log underneath.
//
// # Use
//
//	l, err := log.Open(dir, log.Options{})
//	if err != nil { ... }
//	defer l.Close()
//	index, payload, err := log.LatestSnapshot(snapDir) // ErrNoSnapshot: start empty
//	state := restore(payload)
//	err = l.Replay(index+1, func(r log.Record) error { state.Apply(r.Index, r.Time, r.Event); return nil })
//	l.SetApply(func(r log.Record) error { return state.Apply(r.Index, r.Time, r.Event) }, state.Publish)
//	last, err := l.Append(ctx, log.ObjectCommitted{...}) // durable and applied on return
//
// # Invariants
//
//   - Indexes are consecutive from 1; the events of one Append get
//     consecutive indexes in one batch.
//   - Append returns only after its batch is written and fsynced (one
//     WriteBatch and one fsync per batch, plus a directory fsync when the
//     batch started a segment file) and after the apply hook has seen every
//     record of the batch, in index order, on the committer goroutine.
//   - Record.Time is stamped once per batch and never decreases along the
//     log, even if the wall clock steps back.
//   - The apply hook may refuse a record (a conditional write that lost a
//     race): the record stays in the log, changes nothing, and its Append
//     returns ErrRejected with the reason.
//   - After a failed write or fsync the log is failed for good: every call
//     returns ErrFailed. Reopening recovers what was durable.
//   - Open cuts a torn tail (a partial or unverifiable end of the last
//     segment, left by a crash during a write; never acknowledged, as
//     acknowledged records were fsynced) only when no valid record follows
//     it. Damage followed by a valid record is ErrCorrupt naming the index:
//     records are never skipped silently. Replay verifies every record,
//     decoding batches on a few goroutines but calling its callback on the
//     caller's goroutine, in index order.
//   - Decode never panics and never trusts a length it has not checked.
//
// # Record format
//
// tidwall/wal stores segments: files named by their first index (20 decimal
// digits), holding frames uvarint(length) ‖ record. A record is
//
//	msgpack array [type uint16, version uint, time int64, payload]
//	crc32c        uint32 little-endian, Castagnoli, of the msgpack bytes
//
// Encode writes the array header 0x94, type as a positive fixint (or 0xcd
// uint16), version as a positive fixint, time as 0xd3 int64 big-endian, and
// the payload as a msgpack map keyed by the struct tags in events.go, with
// sorted map keys and compact integers, so the bytes are deterministic.
// Golden files in testdata/golden pin them per type and version; a schema
// change bumps the type's version and keeps decoding the old one (see
// schema in codec.go).
//
// The events of the PUT, DELETE, multipart-part and purge paths have
// hand-written codecs (codec_fast.go) that write the same bytes as the
// reflective encoder and read its canonical form without reflection; bytes
// they do not recognize go to the reflective decoder, so both accept the
// same records and decode them alike (checked on random values and by
// FuzzDecode). Neither allocates more than the input can hold, whatever a
// length header claims.
//
// # Snapshot format
//
// A snapshot is a projection state serialized by the caller, at a log
// index, streamed: neither writing nor reading one holds it in memory.
// Integers are little-endian:
//
//	magic   "PRSMSNAP"
//	version uint32 (2)
//	index   uint64
//	time    int64: unix nanoseconds of the event at index
//	frames  uvarint(n) ‖ n payload bytes, …, then uvarint(0)
//	sha256  [32]byte of every preceding byte
//
// Version 1 (magic, version 1, index, length uint64, payload, SHA-256) is
// still read. WriteSnapshot stores one as snap-<index, 20 digits>.prsm
// (temporary file, fsync, rename, directory fsync) and keeps the newest
// two, so LoadLatestSnapshot can fall back when the newest fails
// verification; a SnapshotReader yields io.EOF only after the checksum
// matched. The format is self-contained: it is shipped to the regions as
// is (package replica) and verified there.
//
// # Restoring a log
//
// CreateRaw makes a log that starts at any index (the one after a restored
// snapshot) and writes records received from elsewhere with their bytes,
// indexes and times; Options.NotBefore keeps new records' times from going
// back past the restored snapshot's.
package log
