package engine

import (
	"testing"

	plog "github.com/prismd/prismd/log"
)

func TestShardGeometry(t *testing.T) {
	for _, tc := range []struct {
		k, m, bs       int
		size           int64
		stripes        int
		last, shardLen int64
	}{
		{2, 1, 100, 0, 0, 0, shardHeaderSize},
		{2, 1, 100, 1, 1, 1, shardHeaderSize + 1 + blockHashSize},
		{2, 1, 100, 200, 1, 100, shardHeaderSize + 100 + blockHashSize},
		{2, 1, 100, 201, 2, 1, shardHeaderSize + 100 + 1 + 2*blockHashSize},
		{3, 2, 10, 95, 4, 2, shardHeaderSize + 3*10 + 2 + 4*blockHashSize},
		{1, 2, 10, 25, 3, 5, shardHeaderSize + 25 + 3*blockHashSize},
	} {
		g := geometry{k: tc.k, m: tc.m, blockSize: tc.bs, size: tc.size}
		if g.stripes() != tc.stripes {
			t.Errorf("%+v: %d stripes, want %d", tc, g.stripes(), tc.stripes)
			continue
		}
		if tc.stripes > 0 && int64(g.blockLen(tc.stripes-1)) != tc.last {
			t.Errorf("%+v: last block %d, want %d", tc, g.blockLen(tc.stripes-1), tc.last)
		}
		if g.shardSize() != tc.shardLen {
			t.Errorf("%+v: shard size %d, want %d", tc, g.shardSize(), tc.shardLen)
		}
		total := 0
		for j := range g.stripes() {
			total += g.stripeData(j)
		}
		if int64(total) != tc.size {
			t.Errorf("%+v: stripes carry %d bytes, want %d", tc, total, tc.size)
		}
	}
}

func TestShardHeaderRoundTrip(t *testing.T) {
	h := shardHeader{blob: plog.BlobID{1, 2, 3}, segment: 7, shard: 2, geo: geometry{k: 3, m: 2, blockSize: 1 << 18, size: 64 << 20}}
	got, err := decodeShardHeader(h.encode())
	if err != nil || got != h {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	b := h.encode()
	b[20] ^= 1
	if _, err := decodeShardHeader(b); err == nil {
		t.Fatal("a damaged header decoded")
	}
}

func TestBlockHashBindsPlace(t *testing.T) {
	data := []byte("some block data")
	sum := make([]byte, blockHashSize)
	id := plog.BlobID{9}
	sealBlock(sum, data, id, 1, 2, 3)
	if !verifyBlock(data, sum, id, 1, 2, 3) {
		t.Fatal("block does not verify in its place")
	}
	for _, place := range [][3]int{{0, 2, 3}, {1, 1, 3}, {1, 2, 4}} {
		if verifyBlock(data, sum, id, place[0], place[1], place[2]) {
			t.Fatalf("block verifies at the wrong place %v", place)
		}
	}
	if verifyBlock(data, sum, plog.BlobID{8}, 1, 2, 3) {
		t.Fatal("block verifies for another blob")
	}
}

// FuzzShardHeader: any bytes either decode to a header that re-encodes to
// the same bytes, or fail; never a panic.
func FuzzShardHeader(f *testing.F) {
	h := shardHeader{blob: plog.BlobID{1}, segment: 1, shard: 1, geo: geometry{k: 2, m: 1, blockSize: 4096, size: 10000}}
	f.Add(h.encode())
	f.Add(make([]byte, shardHeaderSize))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := decodeShardHeader(b)
		if err != nil {
			return
		}
		if string(got.encode()) != string(b[:shardHeaderSize]) {
			t.Fatalf("decoded header re-encodes differently")
		}
	})
}
