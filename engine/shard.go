package engine

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"

	"github.com/minio/highwayhash"

	plog "github.com/prismd/prismd/log"
)

// A shard is one backend object holding one shard index of one segment:
//
//	header (64 bytes) | block 0 | hash 0 | block 1 | hash 1 | …
//
// Header: "PRSH" | version u8 | k u8 | m u8 | shard u8 | block size u32 |
// segment u32 | segment data size u64 | blob id [16] | zero padding to 56 |
// HighwayHash-64 of bytes 0..55 (u64). All integers big-endian.
//
// The segment's data is cut into stripes of k×blockSize bytes; stripe j gives
// every shard one block of ceil(len(stripe)/k) bytes (all blocks but the
// last stripe's are blockSize long). Each block is followed by its
// HighwayHash-128, keyed by (blob, segment, shard, stripe) so that a block
// read from the wrong place never verifies.
const (
	shardHeaderSize = 64
	blockHashSize   = 16
	shardVersion    = 1
)

var shardMagic = [4]byte{'P', 'R', 'S', 'H'}

// headerKey is the fixed HighwayHash key for shard headers.
var headerKey = []byte("prismd shard header hash key 32b")

// geometry describes how one segment is cut into stripes and blocks.
type geometry struct {
	k, m      int
	blockSize int
	size      int64 // data bytes in the segment
}

func (g geometry) n() int { return g.k + g.m }

// stripeBytes is the data carried by one full stripe.
func (g geometry) stripeBytes() int64 { return int64(g.k) * int64(g.blockSize) }

// stripes returns how many stripes the segment has (0 for an empty segment).
func (g geometry) stripes() int {
	return int((g.size + g.stripeBytes() - 1) / g.stripeBytes())
}

// stripeData returns the number of data bytes in stripe j.
func (g geometry) stripeData(j int) int {
	start := int64(j) * g.stripeBytes()
	return int(min(g.stripeBytes(), g.size-start))
}

// blockLen returns the length of every shard's block in stripe j.
func (g geometry) blockLen(j int) int {
	d := g.stripeData(j)
	return (d + g.k - 1) / g.k
}

// blockOffset returns the offset of stripe j's block inside a shard object.
func (g geometry) blockOffset(j int) int64 {
	return shardHeaderSize + int64(j)*int64(g.blockSize+blockHashSize)
}

// shardSize returns the total byte size of one shard object.
func (g geometry) shardSize() int64 {
	s := g.stripes()
	if s == 0 {
		return shardHeaderSize
	}
	return g.blockOffset(s-1) + int64(g.blockLen(s-1)+blockHashSize)
}

// segmentGeometry returns the geometry of segment seg of a blob.
func segmentGeometry(l plog.Layout, blobSize int64, seg int) geometry {
	start := int64(seg) * l.SegmentSize
	size := min(l.SegmentSize, blobSize-start)
	if size < 0 {
		size = 0
	}
	return geometry{k: l.K, m: l.M, blockSize: l.BlockSize, size: size}
}

// segmentCount returns the number of segments of a blob (at least one).
func segmentCount(l plog.Layout, size int64) int {
	if size <= 0 {
		return 1
	}
	return int((size + l.SegmentSize - 1) / l.SegmentSize)
}

// shardHeader is the decoded header of a shard object.
type shardHeader struct {
	blob    plog.BlobID
	segment int
	shard   int
	geo     geometry
}

func (h shardHeader) encode() []byte {
	b := make([]byte, shardHeaderSize)
	copy(b[0:4], shardMagic[:])
	b[4] = shardVersion
	b[5] = byte(h.geo.k)
	b[6] = byte(h.geo.m)
	b[7] = byte(h.shard)
	binary.BigEndian.PutUint32(b[8:12], uint32(h.geo.blockSize))
	binary.BigEndian.PutUint32(b[12:16], uint32(h.segment))
	binary.BigEndian.PutUint64(b[16:24], uint64(h.geo.size))
	copy(b[24:40], h.blob[:])
	binary.BigEndian.PutUint64(b[56:64], highwayhash.Sum64(b[:56], headerKey))
	return b
}

func decodeShardHeader(b []byte) (shardHeader, error) {
	if len(b) < shardHeaderSize {
		return shardHeader{}, fmt.Errorf("shard header: %d bytes: %w", len(b), errCorruptShard)
	}
	if [4]byte(b[0:4]) != shardMagic || b[4] != shardVersion {
		return shardHeader{}, fmt.Errorf("shard header: bad magic or version: %w", errCorruptShard)
	}
	if binary.BigEndian.Uint64(b[56:64]) != highwayhash.Sum64(b[:56], headerKey) {
		return shardHeader{}, fmt.Errorf("shard header: checksum mismatch: %w", errCorruptShard)
	}
	var h shardHeader
	h.geo.k, h.geo.m, h.shard = int(b[5]), int(b[6]), int(b[7])
	h.geo.blockSize = int(binary.BigEndian.Uint32(b[8:12]))
	h.segment = int(binary.BigEndian.Uint32(b[12:16]))
	h.geo.size = int64(binary.BigEndian.Uint64(b[16:24]))
	copy(h.blob[:], b[24:40])
	if h.geo.k < 1 || h.geo.blockSize < 1 || h.shard >= h.geo.n() {
		return shardHeader{}, fmt.Errorf("shard header: bad geometry: %w", errCorruptShard)
	}
	return h, nil
}

// blockKey returns the HighwayHash key that binds a block to its place.
func blockKey(blob plog.BlobID, seg, shard, stripe int) [32]byte {
	var k [32]byte
	copy(k[:16], blob[:])
	binary.BigEndian.PutUint32(k[16:20], uint32(seg))
	binary.BigEndian.PutUint32(k[20:24], uint32(shard))
	binary.BigEndian.PutUint32(k[24:28], uint32(stripe))
	copy(k[28:], "PRSB")
	return k
}

// sealBlock writes the hash of data (bound to its place) into dst[:blockHashSize].
func sealBlock(dst, data []byte, blob plog.BlobID, seg, shard, stripe int) {
	key := blockKey(blob, seg, shard, stripe)
	sum := highwayhash.Sum128(data, key[:])
	copy(dst, sum[:])
}

// verifyBlock reports whether sum is the hash of data at its place.
func verifyBlock(data, sum []byte, blob plog.BlobID, seg, shard, stripe int) bool {
	key := blockKey(blob, seg, shard, stripe)
	want := highwayhash.Sum128(data, key[:])
	return string(want[:]) == string(sum)
}

// shardKey is the backend key of one shard: opaque, derived from the blob id.
func shardKey(blob plog.BlobID, seg, shard int) string {
	return fmt.Sprintf("%s/%d/%d", hex.EncodeToString(blob[:]), seg, shard)
}
