// Package replica ships prismd's write-ahead log to the system area of
// every storage region and plans its restore from them: the file format of
// disaster recovery.
//
// The pieces, each in its own file:
//
//   - Store (store.go): a region's system area, named files and nothing
//     more. MemStore keeps them in memory for tests; BackendStore keeps
//     them as keys of a backend bucket (SystemBucket, "prismd-system").
//     Every Store passes the one conformance suite in replica/storetest.
//
//   - Names (names.go): where each file lives; ParseName reads them back.
//
//   - Sealing (seal.go, sealedfile.go): every shipped file but the lease
//     is encrypted and authenticated with the master key, in chunks, so
//     that no file is ever held whole in memory.
//
//   - Segments (segment.go): a run of log records as the log stores them.
//
//   - Origins (origin.go): where a timeline forked from its parent.
//
//   - The lease (lease.go): one gateway writes to a system area.
//
//   - The planner (plan.go): which files rebuild a gateway, for the newest
//     state, a log index or a point in time. It does no I/O.
//
//   - The shipper (shipper.go): one per region, following the gateway's
//     log: a pass (Step) puts the records the region lacks, snapshots,
//     consolidates small files and expires what retention no longer needs.
//
//   - The restore (restore.go): lists every region, plans, downloads in
//     parallel with retries and falls back across regions and to older
//     snapshots, verifying everything, into a fresh data directory.
//
// The package imports log and backends, never engine: the engine runs one
// Shipper per region (and turns their status into health and truncation
// decisions), cmd runs the Restore.
//
// # Ship
//
//	s := replica.NewBackendStore(region, replica.SystemBucket, "")
//	lease, err := replica.Acquire(ctx, s, gatewayID, instance, ttl, time.Now()) // then Renew every ttl/3
//	size := int64(replica.SegmentOverhead)
//	err = l.ReadRaw(first, last, func(_ uint64, d []byte) error { size += replica.SegmentRecordSize(len(d)); return nil })
//	name := replica.SegmentName(gatewayID, timeline, first, last, timeOfLast)
//	err = replica.PutSealed(ctx, s, name, masterKey, size, func(w io.Writer) error {
//		sw := replica.NewSegmentWriter(w, first, last)
//		if err := l.ReadRaw(first, last, sw.Add); err != nil {
//			return err
//		}
//		return sw.Close()
//	})
//
// # Restore
//
//	listings := map[string][]replica.FileInfo{} // region → s.List(ctx, replica.GatewaysPrefix)
//	cat, err := replica.NewCatalog(listings, gatewayID) // "" = the newest gateway
//	origins := map[uint64]replica.Origin{}          // GetOrigin for each cat.OriginFiles()
//	plan, err := cat.Plan(replica.Target{Time: until}, origins, exclude)
//	rc, err := replica.GetSealed(ctx, s, plan.Snapshot.Name, masterKey) // try plan.Snapshot.Regions in turn
//	// log.DecodeSnapshot(rc), then for each step of plan.Segments:
//	first, last, err := replica.ReadSegment(rc, func(index uint64, data []byte) error { ... })
//
// A file that reads ErrCorrupt from every region holding it goes into
// exclude, and the restore starts again from a fresh directory with a new
// plan. ErrWrongKey from every file means the master key is not the one
// the files were sealed with: stop and say so (excluding would not help).
// Errors of the region itself (network, outage) are neither: retry, or
// leave the region out of the listings.
//
// # Timelines
//
// A gateway's files belong to a timeline, numbered from 1. Restoring a
// gateway to an earlier point makes a new timeline (Plan.NextTimeline,
// one more than any listed) whose origin file names its parent timeline,
// the last index restored (fork_index) and the moment the restored gateway
// started (fork_time). The records the parent wrote after fork_index are
// its abandoned future: they never count for the new timeline or its
// descendants, and the same log index may hold different records on two
// timelines. A plan restores the newest timeline, or for a Time target the
// timeline that was live then (the newest whose fork_time is at or before
// it); it uses the files of that timeline and of its ancestors up to the
// index where each was forked from.
//
// What a shipper does, for the plans to hold:
//
//   - A new gateway ships to timeline 1. A restored one ships to
//     Plan.NextTimeline and keeps that number in its data directory; on
//     every region it puts the timeline's origin (parent Plan.Timeline,
//     fork_index the last index applied, fork_time the moment it starts)
//     before any other file of the timeline, then a snapshot at fork_index.
//   - It puts a consolidated segment before it deletes the files the
//     consolidated one replaces, and deletes a snapshot or segment only
//     when a newer snapshot and the chain after it are on the region.
//
// # Layout of a system area
//
// All names are relative to the store's root (the bucket and prefix of a
// BackendStore), '/'-separated, and pass CheckName:
//
//	lease                                                    the lease (plain JSON)
//	gateways/<gw>/t<timeline>/origin                         origin of the timeline (2 or more)
//	gateways/<gw>/t<timeline>/snap/<index>-<time>.snap       snapshot at log index <index>
//	gateways/<gw>/t<timeline>/log/<first>-<last>-<time>.seg  records <first> to <last>
//
// <gw> is the gateway id: 8 to 64 bytes of [a-z0-9-] (CheckGateway).
// <timeline> is a decimal number of 1 or more without leading zeros.
// <index>, <first>, <last> and <time> are exactly 20 decimal digits (zero
// padded, no sign): log indexes (1 or more, first <= last) and the time of
// the event at <index> or <last> in nanoseconds since 1970-01-01 UTC (at
// most 9223372036854775807). Segments may overlap: a consolidated file
// has the first index of the small files it replaces and a larger last.
// A name always holds the same bytes: a file is put once and deleted,
// never replaced by other content (the lease excepted). No name is a
// directory of another, so a directory-backed region (backends/fs) holds
// every name.
//
// # Sealed file format
//
// Snapshots, segments and origins are sealed. Integers are little-endian
// unless said otherwise. A sealed file is a 62-byte header and chunks:
//
//	offset size  field
//	0      8     magic "PRSMSHIP"
//	8      1     format version: 1
//	9      1     kind: 1 snapshot, 2 segment, 3 origin (the kind its name says)
//	10     32    salt: random, new for every file
//	42     4     chunk size C, uint32: 65536 when written; readers accept 1 to 1048576
//	46     16    key check: the first 16 bytes of HMAC-SHA256(master key, "prismd key check" ‖ salt)
//	62     ...   chunks 0, 1, …, n
//
// The master key is 32 bytes. The file key is HKDF-SHA256 with the
// master key as secret, the salt as salt and "prismd shipped file v1" as
// info, 32 bytes long. The plaintext of P bytes is cut into n+1 chunks,
// n = floor(P / C): chunks 0 to n-1 hold C bytes each, chunk n (the final
// chunk) holds the remaining P - n·C bytes, from 0 to C-1. Chunk i is
// stored as the AES-256-GCM sealing of its plaintext under the file key:
// ciphertext (as long as the plaintext) ‖ 16-byte tag, with
//
//	nonce (12 bytes)  = i as 11 bytes big-endian ‖ final flag (1 on chunk n, 0 before)
//	additional data   = the 62 header bytes
//
// So a stored chunk of C+16 bytes is never the final one, and a shorter
// one (16 to C+15 bytes) always is. A file of P plaintext bytes is
// exactly 62 + P + 16·(floor(P/C)+1) bytes (SealedSize, with C = 65536).
// A reader checks the key check first (ErrWrongKey if it differs), then
// authenticates each chunk before yielding a byte of it. A chunk that does
// not authenticate, a file ending after a full chunk (no final chunk),
// chunks missing, reordered, from another file or followed by extra bytes
// all fail authentication or framing: ErrCorrupt. A damaged salt or key
// check reads as ErrWrongKey; another region's copy tells the two apart.
//
// # Snapshot plaintext
//
// The plaintext of a snapshot file is a local snapshot file of the log
// package, byte for byte (magic "PRSMSNAP", version, index, time, payload
// frames, SHA-256: see the log package), whose index is the one in the
// file's name. A restore verifies it through log.NewSnapshotReader as it
// writes it.
//
// # Segment plaintext
//
//	offset size  field
//	0      8     magic "PRSMSEG1"
//	8      8     first index, uint64
//	16     8     last index, uint64 (1 <= first <= last)
//	24     ...   for each index from first to last, in order:
//	               uvarint length L (minimal encoding, 1 <= L <= 64 MiB)
//	               L bytes: the record as the log stores it (a msgpack
//	               envelope ‖ CRC-32C, what log.(*Log).ReadRaw hands out
//	               and log.Decode verifies)
//	end-32 32    SHA-256 of every preceding byte of the payload
//
// Nothing follows the SHA-256. Its size is SegmentOverhead (56) plus
// SegmentRecordSize(L) for each record. The first and last index are
// those of the file's name, whose time is the time of the last record.
//
// # Origin plaintext
//
// A JSON object of these fields, in this order, as encoding/json writes
// it (at most 4 KiB; readers refuse unknown fields and trailing bytes):
//
//	{"gateway":"gw-0001a","timeline":3,"parent":1,"fork_index":1234,"fork_time":"2025-03-04T05:06:07.000000891Z"}
//
// timeline >= 2, 1 <= parent < timeline, fork_index >= 0, fork_time in
// RFC 3339 with up to nanoseconds (written in UTC). The gateway and
// timeline are those of the file's name.
//
// # Lease
//
// The file "lease" is plain JSON, not sealed, so an operator reads it
// without the master key:
//
//	{"gateway":"gateway-a","instance":"host-1:4242","acquired":"2025-01-02T03:04:05Z",
//	 "renewed":"2025-01-02T03:04:06Z","expires":"2025-01-02T03:04:35Z","sha256":"…"}
//
// (on one line as written), where sha256 is the lowercase hex SHA-256 of
// the JSON of the five other fields as encoding/json writes them, in this
// order and without whitespace: {"gateway":…,"instance":…,"acquired":…,
// "renewed":…,"expires":…}. A reader recomputes it over the fields it
// decoded. The instance is 1 to 256 bytes; acquired <= renewed < expires.
// A lease is live until expires; the clocks of gateways that share
// regions must agree to much better than the lease's time to live.
//
// A Store has no conditional write, so Acquire writes and reads back:
// a gateway that starts acquiring after another's write always fails, but
// two whose read, write and read-back interleave exactly (the second
// writes after the first has read its lease back) may both succeed until
// the first one's next Renew, which fails. A shipper that renews right
// before it deletes files keeps deletions out of that window.
package replica
