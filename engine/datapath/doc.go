// Package datapath moves shard bytes between prismd and its regions: the
// shard format, block verification, reading a segment from the fastest k
// shards (hedged, reconstructing what is missing), writing a segment's
// shards, and verifying one shard whole. It records nothing: it reports
// per-shard outcomes — landed, failed, corrupt, missing — to its caller,
// and the engine turns them into events. GET, completion, repair and
// scrub all read and write through it, so they verify and rewrite shards
// the same way.
//
//	seg := datapath.Segment{Blob: id, Index: 0, Geo: geo, Bucket: bb, Shards: regions}
//	r := datapath.Read(ctx, seg, 0, geo.Stripes()-1, nil, func(shard int, err error) {
//		// err wraps ErrCorrupt, backends.ErrNotFound, …: record it
//	})
//	defer r.Close()
//	io.Copy(dst, r.Data())
//
//	w := datapath.NewWriter(ctx, datapath.Blob{ID: id, Bucket: bb, Layout: l, Size: n}, regions, quorum,
//		func(seg, shard int, err error) error { /* landed (err nil) or failed */ return nil })
//	err := w.WriteSegment(ctx, 0, body, nil, nil) // returns once the quorum landed
//	w.Wait()                                      // the other shards
//
//	n, err := datapath.Verify(ctx, region, seg, shard) // deep scrub: every block of one shard
//
// # Shard format
//
// A shard is one backend object, key "<first 2 hex>/<blob hex>.<segment>.
// <shard>", or "<blob hex>/<segment>/<shard>" for blobs whose layout
// predates key layouts (Key, ParseKey; plog.Layout.Keys): a 64-byte header that names its blob, segment, shard
// index and geometry, then one block per stripe, each followed by its
// 128-bit hash bound to (blob, segment, shard, stripe) — a block read from
// another place never verifies. The blob's layout names the hash
// (Geometry.Hash, from plog.Layout.Hash): XXH3-128 for blobs written now,
// HighwayHash-128 for those written before; a hash this build does not
// know fails with ErrUnknownHash, a key layout it does not know with
// ErrUnknownKeys, never as corruption. Geometry gives every size and
// offset (see shard.go). A stripe is k data blocks plus m Reed-Solomon parity
// blocks (k = 1: m+1 identical copies).
//
// # Invariants
//
//   - Every block handed out was verified against its hash; a header is
//     checked whenever a whole shard is read. A mismatch, a short shard
//     (or, for Verify, a long one) is ErrCorrupt.
//   - Memory per segment read or written is bounded by (k+m) × BlockSize ×
//     a small pipeline depth (written erasure-coded: (k+m) × about 1 MiB ×
//     3), whatever the segment's size: buffers are pooled and released
//     stripe by stripe (piece by piece).
//   - An erasure-coded shard goes to its backend Put as a
//     backends.PiecewiseBody whose pieces are page-aligned runs of about
//     1 MiB of the shard, built in place (header, then blocks and hashes),
//     so a backend writing with direct I/O sends them to disk uncopied.
//   - A read asks the k best shards (by their regions' time to first
//     byte and the pace their bodies flow; data shards first unless
//     clearly slower), hedges to a spare shard when one is slow past its
//     region's HedgeAfter or, once its body flows, when at its pace its
//     block would come later than a spare's (progress.go), and replaces a
//     failed or corrupt shard with a spare; a shard that did not
//     contribute to a stripe is dropped for the rest of the read unless
//     needed again. A range inside one stripe reads only the data shards
//     holding it while they are healthy.
//   - A write streams all its shards at once; a shard whose region stalls
//     while the others can still make the quorum is given up (its outcome
//     is a failure, for completion to retry).
//   - Every call's outcome goes back to its Region (Observe, Streamed,
//     Outcome, Wrote), which keeps the health that orders reads; every shard's
//     outcome goes to the caller's callback. Nothing else is recorded.
package datapath
