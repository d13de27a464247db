package datapath

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/minio/highwayhash"
	"github.com/zeebo/xxh3"

	plog "github.com/prismd/prismd/log"
)

// A shard is one backend object holding one shard index of one segment:
//
//	header (64 bytes) | block 0 | hash 0 | block 1 | hash 1 | …
//
// Header: "PRSH" | version u8 | k u8 | m u8 | shard u8 | block size u32 |
// segment u32 | segment data size u64 | blob id [16] | block hash u8
// (version 2; version 1 has 0 there and means HighwayHash-128) | zero
// padding to 56 | HighwayHash-64 of bytes 0..55 (u64). All integers
// big-endian.
//
// The segment's data is cut into stripes of k×blockSize bytes; stripe j gives
// every shard one block of ceil(len(stripe)/k) bytes (all blocks but the
// last stripe's are blockSize long). Each block is followed by its 128-bit
// hash (Geometry.Hash: XXH3-128 for blobs written now, HighwayHash-128 for
// blobs written before it), bound to (blob, segment, shard, stripe) so that
// a block read from the wrong place never verifies. A blob's layout in the
// log names its hash, so a read of a range, which skips the header, knows it.
const (
	// HeaderSize is the size of a shard's header.
	HeaderSize    = 64
	blockHashSize = 16
	// shardVersion is the header of a shard whose blocks have HashHighway
	// (what every shard had before version 2), shardVersionHash one that
	// names its block hash.
	shardVersion     = 1
	shardVersionHash = 2
)

var shardMagic = [4]byte{'P', 'R', 'S', 'H'}

// headerKey is the fixed HighwayHash key for shard headers.
var headerKey = []byte("prismd shard header hash key 32b")

// Geometry describes how one segment is cut into stripes and blocks.
type Geometry struct {
	K, M      int
	BlockSize int
	Size      int64          // data bytes in the segment
	Hash      plog.BlockHash // the hash after every block
}

// N is the number of shards of the segment.
func (g Geometry) N() int { return g.K + g.M }

// StripeBytes is the data carried by one full stripe.
func (g Geometry) StripeBytes() int64 { return int64(g.K) * int64(g.BlockSize) }

// Stripes returns how many stripes the segment has (0 for an empty segment).
func (g Geometry) Stripes() int {
	return int((g.Size + g.StripeBytes() - 1) / g.StripeBytes())
}

// StripeData returns the number of data bytes in stripe j.
func (g Geometry) StripeData(j int) int {
	start := int64(j) * g.StripeBytes()
	return int(min(g.StripeBytes(), g.Size-start))
}

// BlockLen returns the length of every shard's block in stripe j.
func (g Geometry) BlockLen(j int) int {
	d := g.StripeData(j)
	return (d + g.K - 1) / g.K
}

// blockOffset returns the offset of stripe j's block inside a shard object.
func (g Geometry) blockOffset(j int) int64 {
	return HeaderSize + int64(j)*int64(g.BlockSize+blockHashSize)
}

// blockEnd returns the offset just past stripe j's block and its hash.
func (g Geometry) blockEnd(j int) int64 {
	return g.blockOffset(j) + int64(g.BlockLen(j)+blockHashSize)
}

// readSpan returns where a read of blocks [from, last] begins in a shard
// object and how many bytes it asks for; -1: the whole object. A read of
// every block asks for the whole object, header included: servers answer
// a GET without a Range more cheaply (versitygw sends a whole file with
// sendfile, a range through a user-space copy, at three times the CPU per
// small request), and the header is checked.
func (g Geometry) readSpan(from, last int) (off, length int64) {
	if from == 0 && last == g.Stripes()-1 {
		return 0, -1
	}
	off = g.blockOffset(from)
	return off, g.blockEnd(last) - off
}

// ShardSize returns the total byte size of one shard object.
func (g Geometry) ShardSize() int64 {
	s := g.Stripes()
	if s == 0 {
		return HeaderSize
	}
	return g.blockEnd(s - 1)
}

// SegmentGeometry returns the geometry of segment seg of a blob.
func SegmentGeometry(l plog.Layout, blobSize int64, seg int) Geometry {
	start := int64(seg) * l.SegmentSize
	size := min(l.SegmentSize, blobSize-start)
	if size < 0 {
		size = 0
	}
	return Geometry{K: l.K, M: l.M, BlockSize: l.BlockSize, Size: size, Hash: l.Hash}
}

// SegmentCount returns the number of segments of a blob (at least one).
func SegmentCount(l plog.Layout, size int64) int {
	if size <= 0 {
		return 1
	}
	return int((size + l.SegmentSize - 1) / l.SegmentSize)
}

// Header is the decoded header of a shard object.
type Header struct {
	Blob    plog.BlobID
	Segment int
	Shard   int
	Geo     Geometry
}

// Encode returns the header's HeaderSize bytes.
func (h Header) Encode() []byte {
	b := make([]byte, HeaderSize)
	copy(b[0:4], shardMagic[:])
	b[4] = shardVersion
	if h.Geo.Hash != plog.HashHighway {
		b[4] = shardVersionHash
		b[40] = byte(h.Geo.Hash)
	}
	b[5] = byte(h.Geo.K)
	b[6] = byte(h.Geo.M)
	b[7] = byte(h.Shard)
	binary.BigEndian.PutUint32(b[8:12], uint32(h.Geo.BlockSize))
	binary.BigEndian.PutUint32(b[12:16], uint32(h.Segment))
	binary.BigEndian.PutUint64(b[16:24], uint64(h.Geo.Size))
	copy(b[24:40], h.Blob[:])
	binary.BigEndian.PutUint64(b[56:64], highwayhash.Sum64(b[:56], headerKey))
	return b
}

// DecodeHeader decodes a shard header; an error wraps ErrCorrupt.
func DecodeHeader(b []byte) (Header, error) {
	if len(b) < HeaderSize {
		return Header{}, fmt.Errorf("shard header: %d bytes: %w", len(b), ErrCorrupt)
	}
	if [4]byte(b[0:4]) != shardMagic || (b[4] != shardVersion && b[4] != shardVersionHash) {
		return Header{}, fmt.Errorf("shard header: bad magic or version: %w", ErrCorrupt)
	}
	if binary.BigEndian.Uint64(b[56:64]) != highwayhash.Sum64(b[:56], headerKey) {
		return Header{}, fmt.Errorf("shard header: checksum mismatch: %w", ErrCorrupt)
	}
	var h Header
	h.Geo.K, h.Geo.M, h.Shard = int(b[5]), int(b[6]), int(b[7])
	h.Geo.BlockSize = int(binary.BigEndian.Uint32(b[8:12]))
	h.Segment = int(binary.BigEndian.Uint32(b[12:16]))
	h.Geo.Size = int64(binary.BigEndian.Uint64(b[16:24]))
	copy(h.Blob[:], b[24:40])
	pad := b[40:56]
	if b[4] == shardVersionHash {
		h.Geo.Hash = plog.BlockHash(b[40])
		if h.Geo.Hash == plog.HashHighway || !h.Geo.Hash.Known() {
			return Header{}, fmt.Errorf("shard header: block hash %d: %w", b[40], ErrCorrupt)
		}
		pad = b[41:56]
	}
	if slices.ContainsFunc(pad, func(c byte) bool { return c != 0 }) {
		return Header{}, fmt.Errorf("shard header: padding is not zero: %w", ErrCorrupt)
	}
	if h.Geo.K < 1 || h.Geo.BlockSize < 1 || h.Shard >= h.Geo.N() {
		return Header{}, fmt.Errorf("shard header: bad geometry: %w", ErrCorrupt)
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

// knownLayout returns an error wrapping ErrUnknownHash or ErrUnknownKeys
// when this build cannot compute block hash h or make keys of layout k:
// a segment of it is neither read nor written.
func knownLayout(h plog.BlockHash, k plog.KeyLayout, blob plog.BlobID, seg int) error {
	if !h.Known() {
		return fmt.Errorf("segment %d of blob %x: block hash %d: %w", seg, blob, h, ErrUnknownHash)
	}
	if !k.Known() {
		return fmt.Errorf("segment %d of blob %x: key layout %d: %w", seg, blob, k, ErrUnknownKeys)
	}
	return nil
}

// blockSum returns hash h of data bound to its place.
func blockSum(h plog.BlockHash, data []byte, blob plog.BlobID, seg, shard, stripe int) [blockHashSize]byte {
	key := blockKey(blob, seg, shard, stripe)
	if h == plog.HashXXH3 {
		return xxh3.Hash128Seed(data, xxh3.Hash(key[:])).Bytes()
	}
	return highwayhash.Sum128(data, key[:])
}

// sealBlock writes hash h of data (bound to its place) into dst[:blockHashSize].
func sealBlock(h plog.BlockHash, dst, data []byte, blob plog.BlobID, seg, shard, stripe int) {
	sum := blockSum(h, data, blob, seg, shard, stripe)
	copy(dst, sum[:])
}

// verifyBlock reports whether sum is hash h of data at its place; never
// for a hash this build does not know.
func verifyBlock(h plog.BlockHash, data, sum []byte, blob plog.BlobID, seg, shard, stripe int) bool {
	if !h.Known() {
		return false
	}
	want := blockSum(h, data, blob, seg, shard, stripe)
	return string(want[:]) == string(sum)
}

// Key is the backend key of one shard, derived from the blob id in the
// blob's key layout (plog.Layout.Keys): "<blob hex>/<segment>/<shard>"
// (KeysNested) or "<first 2 hex>/<blob hex>.<segment>.<shard>"
// (KeysFanout). A layout this build does not know gives nested keys;
// knownLayout refuses it first where it matters.
func Key(keys plog.KeyLayout, blob plog.BlobID, seg, shard int) string {
	id := hex.EncodeToString(blob[:])
	if keys == plog.KeysFanout {
		return id[:2] + "/" + id + "." + strconv.Itoa(seg) + "." + strconv.Itoa(shard)
	}
	return id + "/" + strconv.Itoa(seg) + "/" + strconv.Itoa(shard)
}

// ParseKey is the inverse of Key: the shard a key names and the layout it
// is in; ok is false for a key Key cannot return.
func ParseKey(key string) (blob plog.BlobID, seg, shard int, keys plog.KeyLayout, ok bool) {
	id, rest, found := strings.Cut(key, "/")
	sep := "/"
	if found && len(id) == 2 {
		// Fanout: "<2 hex>/<blob hex>.<seg>.<shard>".
		var prefix string
		prefix, id = id, rest
		if id, rest, found = strings.Cut(id, "."); !found || !strings.HasPrefix(id, prefix) {
			return blob, 0, 0, 0, false
		}
		sep, keys = ".", plog.KeysFanout
	}
	if !found || len(id) != 2*len(blob) {
		return blob, 0, 0, 0, false
	}
	if _, err := hex.Decode(blob[:], []byte(id)); err != nil || strings.ToLower(id) != id {
		return blob, 0, 0, 0, false
	}
	s1, s2, found := strings.Cut(rest, sep)
	if !found {
		return blob, 0, 0, 0, false
	}
	var err1, err2 error
	seg, err1 = strconv.Atoi(s1)
	shard, err2 = strconv.Atoi(s2)
	if err1 != nil || err2 != nil || seg < 0 || shard < 0 || strconv.Itoa(seg) != s1 || strconv.Itoa(shard) != s2 {
		return blob, 0, 0, 0, false
	}
	return blob, seg, shard, keys, true
}
