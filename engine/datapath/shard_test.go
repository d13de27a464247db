package datapath

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"slices"
	"testing"

	"github.com/minio/highwayhash"

	"github.com/prismd/prismd/backends"
	"github.com/prismd/prismd/backends/mem"
	plog "github.com/prismd/prismd/log"
)

func TestShardGeometry(t *testing.T) {
	for _, tc := range []struct {
		k, m, bs       int
		size           int64
		stripes        int
		last, shardLen int64
	}{
		{2, 1, 100, 0, 0, 0, HeaderSize},
		{2, 1, 100, 1, 1, 1, HeaderSize + 1 + blockHashSize},
		{2, 1, 100, 200, 1, 100, HeaderSize + 100 + blockHashSize},
		{2, 1, 100, 201, 2, 1, HeaderSize + 100 + 1 + 2*blockHashSize},
		{3, 2, 10, 95, 4, 2, HeaderSize + 3*10 + 2 + 4*blockHashSize},
		{1, 2, 10, 25, 3, 5, HeaderSize + 25 + 3*blockHashSize},
	} {
		g := Geometry{K: tc.k, M: tc.m, BlockSize: tc.bs, Size: tc.size}
		if g.Stripes() != tc.stripes {
			t.Errorf("%+v: %d stripes, want %d", tc, g.Stripes(), tc.stripes)
			continue
		}
		if tc.stripes > 0 && int64(g.BlockLen(tc.stripes-1)) != tc.last {
			t.Errorf("%+v: last block %d, want %d", tc, g.BlockLen(tc.stripes-1), tc.last)
		}
		if g.ShardSize() != tc.shardLen {
			t.Errorf("%+v: shard size %d, want %d", tc, g.ShardSize(), tc.shardLen)
		}
		total := 0
		for j := range g.Stripes() {
			total += g.StripeData(j)
		}
		if int64(total) != tc.size {
			t.Errorf("%+v: stripes carry %d bytes, want %d", tc, total, tc.size)
		}
	}
}

func TestShardHeaderRoundTrip(t *testing.T) {
	for _, hash := range []plog.BlockHash{plog.HashHighway, plog.HashXXH3} {
		h := Header{Blob: plog.BlobID{1, 2, 3}, Segment: 7, Shard: 2, Geo: Geometry{K: 3, M: 2, BlockSize: 1 << 18, Size: 64 << 20, Hash: hash}}
		got, err := DecodeHeader(h.Encode())
		if err != nil || got != h {
			t.Fatalf("round trip: %+v, %v", got, err)
		}
		b := h.Encode()
		b[20] ^= 1
		if _, err := DecodeHeader(b); err == nil {
			t.Fatal("a damaged header decoded")
		}
	}
	// A shard whose blocks have HighwayHash keeps the header of version 1,
	// which every gateway reads; one with XXH3 names it in version 2.
	old := Header{Geo: Geometry{K: 2, M: 1, BlockSize: 4096, Size: 1, Hash: plog.HashHighway}}.Encode()
	xx := Header{Geo: Geometry{K: 2, M: 1, BlockSize: 4096, Size: 1, Hash: plog.HashXXH3}}.Encode()
	if old[4] != 1 || old[40] != 0 || xx[4] != 2 || xx[40] != byte(plog.HashXXH3) {
		t.Fatalf("headers: %x, %x", old[:41], xx[:41])
	}
	// Sealed but wrong: version 2 naming HighwayHash or a hash this build
	// does not know, and padding that is not zero.
	for _, edit := range []func(b []byte){
		func(b []byte) { b[40] = byte(plog.HashHighway) },
		func(b []byte) { b[40] = 7 },
		func(b []byte) { b[50] = 1 },
	} {
		b := slices.Clone(xx)
		edit(b)
		binary.BigEndian.PutUint64(b[56:64], highwayhash.Sum64(b[:56], headerKey))
		if h, err := DecodeHeader(b); !errors.Is(err, ErrCorrupt) {
			t.Errorf("header %x decoded to %+v, %v", b[:56], h, err)
		}
	}
}

func TestBlockHashBindsPlace(t *testing.T) {
	data := []byte("some block data")
	id := plog.BlobID{9}
	for _, h := range []plog.BlockHash{plog.HashHighway, plog.HashXXH3} {
		sum := make([]byte, blockHashSize)
		sealBlock(h, sum, data, id, 1, 2, 3)
		if !verifyBlock(h, data, sum, id, 1, 2, 3) {
			t.Fatalf("hash %d: block does not verify in its place", h)
		}
		for _, place := range [][3]int{{0, 2, 3}, {1, 1, 3}, {1, 2, 4}} {
			if verifyBlock(h, data, sum, id, place[0], place[1], place[2]) {
				t.Fatalf("hash %d: block verifies at the wrong place %v", h, place)
			}
		}
		if verifyBlock(h, data, sum, plog.BlobID{8}, 1, 2, 3) {
			t.Fatalf("hash %d: block verifies for another blob", h)
		}
		if verifyBlock(1-h, data, sum, id, 1, 2, 3) {
			t.Fatalf("hash %d: block verifies with the other hash", h)
		}
		if verifyBlock(h, []byte("some block datb"), sum, id, 1, 2, 3) {
			t.Fatalf("hash %d: a changed block verifies", h)
		}
		if verifyBlock(7, data, sum, id, 1, 2, 3) {
			t.Fatal("a hash this build does not know verifies")
		}
	}
}

// FuzzShardHeader: any bytes either decode to a header that re-encodes to
// the same bytes, or fail; never a panic.
func FuzzShardHeader(f *testing.F) {
	h := Header{Blob: plog.BlobID{1}, Segment: 1, Shard: 1, Geo: Geometry{K: 2, M: 1, BlockSize: 4096, Size: 10000}}
	f.Add(h.Encode())
	h.Geo.Hash = plog.HashXXH3
	f.Add(h.Encode())
	f.Add(make([]byte, HeaderSize))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := DecodeHeader(b)
		if err != nil {
			return
		}
		if string(got.Encode()) != string(b[:HeaderSize]) {
			t.Fatalf("decoded header re-encodes differently")
		}
	})
}

func TestKeyRoundTrip(t *testing.T) {
	id := plog.BlobID{0xab, 1, 2, 0xff}
	for _, c := range []struct {
		keys plog.KeyLayout
		want string
	}{
		{plog.KeysNested, "ab0102ff000000000000000000000000/12/3"},
		{plog.KeysFanout, "ab/ab0102ff000000000000000000000000.12.3"},
	} {
		key := Key(c.keys, id, 12, 3)
		if key != c.want {
			t.Fatalf("Key(%d) = %q, want %q", c.keys, key, c.want)
		}
		blob, seg, shard, keys, ok := ParseKey(key)
		if !ok || blob != id || seg != 12 || shard != 3 || keys != c.keys {
			t.Fatalf("ParseKey(%q) = %x %d %d %d %v", key, blob, seg, shard, keys, ok)
		}
		for _, bad := range []string{"", "x", key + "/1", key + ".1", key[:10], "AB" + key[2:], key[:len(key)-1] + "03", key + "x", "probe", "region-id",
			"cd/ab0102ff000000000000000000000000.12.3", "ab/ab0102ff000000000000000000000000/12/3", "ab/ab0102ff000000000000000000000000.12/3",
			"ab0102ff000000000000000000000000.12.3", "ab/ab0102ff000000000000000000000000.-1.3"} {
			if _, _, _, _, ok := ParseKey(bad); ok {
				t.Errorf("ParseKey(%q) accepted", bad)
			}
		}
	}
}

// FuzzParseKey: a key ParseKey accepts is the key Key makes of what it
// parsed, so no two keys name one shard and scrub never keeps a stray.
func FuzzParseKey(f *testing.F) {
	id := plog.BlobID{0xab, 1, 2, 0xff}
	f.Add(Key(plog.KeysNested, id, 0, 2))
	f.Add(Key(plog.KeysFanout, id, 3, 1))
	f.Add("ab/ab.0.1")
	f.Fuzz(func(t *testing.T, key string) {
		blob, seg, shard, keys, ok := ParseKey(key)
		if ok && Key(keys, blob, seg, shard) != key {
			t.Fatalf("ParseKey(%q) = %x %d %d %d, which Key makes %q", key, blob, seg, shard, keys, Key(keys, blob, seg, shard))
		}
	})
}

// TestUnknownBlockHash: a layout naming a block hash this build cannot
// compute (a log from a newer gateway would be refused before; this is a
// damaged one) writes nothing and reads nothing, and no shard of it is
// ever called corrupt: a scrub must not "repair" good shards.
func TestUnknownBlockHash(t *testing.T) {
	testUnknownLayout(t, func(s *Segment, l *plog.Layout) { s.Geo.Hash, l.Hash = 7, 7 }, ErrUnknownHash)
}

// TestUnknownKeyLayout: the same for a key layout this build cannot make:
// its shards are never looked for, or written, under keys of another.
func TestUnknownKeyLayout(t *testing.T) {
	testUnknownLayout(t, func(s *Segment, l *plog.Layout) { s.Keys, l.Keys = 9, 9 }, ErrUnknownKeys)
}

func testUnknownLayout(t *testing.T, unknown func(*Segment, *plog.Layout), want error) {
	ctx := context.Background()
	seg, _ := hedgeSegment(t, func(b backends.Backend) backends.Backend { return b })
	layout := plog.Layout{K: 2, M: 1, BlockSize: 4096, SegmentSize: 1 << 20}
	unknown(&seg, &layout)

	var failures []error
	r := Read(ctx, seg, 0, seg.Geo.Stripes()-1, nil, func(_ int, err error) { failures = append(failures, err) })
	_, err := r.Stripe()
	r.Close()
	if !errors.Is(err, ErrTooFewShards) || len(failures) < seg.Geo.M+1 {
		t.Fatalf("read: %v, %d shards failed; want ErrTooFewShards, at least %d", err, len(failures), seg.Geo.M+1)
	}
	for _, err := range failures {
		if !errors.Is(err, want) || errors.Is(err, ErrCorrupt) {
			t.Errorf("shard failure %v: want %v, not ErrCorrupt", err, want)
		}
	}
	if _, err := Verify(ctx, seg.Shards[0], seg, 0); !errors.Is(err, want) || errors.Is(err, ErrCorrupt) {
		t.Errorf("Verify: %v, want %v", err, want)
	}

	m := mem.New()
	if err := m.CreateBucket(ctx, "bk"); err != nil {
		t.Fatal(err)
	}
	regions := []Region{testRegion{name: "a", b: m}, testRegion{name: "b", b: m}, testRegion{name: "c", b: m}}
	blob := Blob{ID: plog.BlobID{9}, Bucket: "bk", Layout: layout, Size: 10_000}
	w := NewWriter(ctx, blob, regions, 2, nil)
	err = w.WriteSegment(ctx, 0, bytes.NewReader(make([]byte, blob.Size)), nil, nil)
	w.Wait()
	if !errors.Is(err, want) {
		t.Errorf("write: %v, want %v", err, want)
	}
	written := 0
	if err := m.List(ctx, "bk", "", func(backends.ObjectInfo) bool { written++; return true }); err != nil || written != 0 {
		t.Errorf("write of an unknown layout stored %d shards (%v)", written, err)
	}
}
