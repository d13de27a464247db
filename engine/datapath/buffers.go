package datapath

import (
	"fmt"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/klauspost/reedsolomon"

	"github.com/prismd/prismd/backends"
)

// pipelineDepth is how many stripes a shard writer or reader may hold ahead
// of the encoder or decoder. Memory per request is about
// (k+m) × blockSize × (pipelineDepth + 2); a writer of pieces holds
// pipelineDepth stripes' worth of them, but at least one piece.
const pipelineDepth = 4

// stripeBuf holds the n blocks of one stripe. It goes back to its pool when
// every shard writer has released it.
//
// A plain buffer holds each block beside its hash (blocks, sums). A piece
// buffer (regions) holds, for each shard, a page-aligned region that
// starts with the shard's bytes not yet sent (its header, or the tail of
// the buffer before) followed by the blocks and hashes of pieceStripes
// stripes: its page-aligned prefix goes to the shard writer as one piece
// a backend writing with direct I/O takes without a copy
// (backends.PiecewiseBody).
type stripeBuf struct {
	mem     []byte
	blocks  [][]byte // plain: n slices of mem, blockSize each
	sums    [][]byte // plain: n hashes, blockHashSize each
	regions [][]byte // pieces: n page-aligned slices of mem, regionSize each
	refs    atomic.Int32
	pool    *sync.Pool
}

func (s *stripeBuf) release() {
	if s.refs.Add(-1) == 0 {
		s.pool.Put(s)
	}
}

// pieceBytes is about how much of a shard one piece carries: direct I/O
// costs less CPU in fewer, larger writes.
const pieceBytes = 1 << 20

// pieceStripes returns how many stripes of geo one piece buffer holds.
func pieceStripes(geo Geometry) int {
	return max(1, min(geo.Stripes(), pieceBytes/(geo.BlockSize+blockHashSize)))
}

// regionSize is the size of a piece buffer's region for stripes of geo:
// room for a tail of less than a page, then pieceStripes blocks and their
// hashes.
func regionSize(geo Geometry) int {
	n := backends.PieceAlign + pieceStripes(geo)*(geo.BlockSize+blockHashSize)
	return (n + backends.PieceAlign - 1) &^ (backends.PieceAlign - 1)
}

// stripePools hands out plain stripe buffers by (n, blockSize) and piece
// buffers by (n, regionSize).
type stripePools struct {
	mu    sync.Mutex
	pools map[[3]int]*sync.Pool
}

// get returns a plain stripe buffer.
func (p *stripePools) get(n, blockSize int) *stripeBuf {
	return p.pool(n, blockSize, false).Get().(*stripeBuf)
}

// getPieces returns a piece buffer for stripes of geo.
func (p *stripePools) getPieces(geo Geometry) *stripeBuf {
	return p.pool(geo.N(), regionSize(geo), true).Get().(*stripeBuf)
}

// pool returns the pool of plain buffers of n blocks of size bytes, or of
// piece buffers of n regions of size bytes.
func (p *stripePools) pool(n, size int, pieces bool) *sync.Pool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pools == nil {
		p.pools = map[[3]int]*sync.Pool{}
	}
	key := [3]int{n, size, 0}
	if pieces {
		key[2] = 1
	}
	pool := p.pools[key]
	if pool != nil {
		return pool
	}
	pool = &sync.Pool{}
	pool.New = func() any {
		if pieces {
			return newPieceBuf(n, size, pool)
		}
		return newPlainBuf(n, size, pool)
	}
	p.pools[key] = pool
	return pool
}

func newPlainBuf(n, blockSize int, pool *sync.Pool) *stripeBuf {
	s := &stripeBuf{mem: make([]byte, n*(blockSize+blockHashSize)), pool: pool}
	for i := range n {
		off := i * (blockSize + blockHashSize)
		s.blocks = append(s.blocks, s.mem[off:off+blockSize])
		s.sums = append(s.sums, s.mem[off+blockSize:off+blockSize+blockHashSize])
	}
	return s
}

func newPieceBuf(n, size int, pool *sync.Pool) *stripeBuf {
	mem := make([]byte, n*size+backends.PieceAlign)
	skip := (backends.PieceAlign - int(uintptr(unsafe.Pointer(&mem[0]))%backends.PieceAlign)) % backends.PieceAlign
	s := &stripeBuf{mem: mem, pool: pool}
	for i := range n {
		off := skip + i*size
		s.regions = append(s.regions, mem[off:off+size:off+size])
	}
	return s
}

var stripes stripePools

// readBufs pools block buffers for reads by power-of-two size class, so a
// 4 KiB object does not take (and clear) a 256 KiB buffer.
var readBufs [40]sync.Pool

func sizeClass(n int) int {
	c := 12 // 4 KiB at least
	for 1<<c < n {
		c++
	}
	return c
}

func getReadBuf(n int) []byte {
	c := sizeClass(n)
	if b, ok := readBufs[c].Get().(*[]byte); ok {
		return (*b)[:n]
	}
	return make([]byte, n, 1<<c)
}

func putReadBuf(b []byte) {
	b = b[:cap(b)]
	c := sizeClass(len(b))
	if 1<<c == len(b) {
		readBufs[c].Put(&b)
	}
}

// coders caches one Reed-Solomon coder per (k, m); coders are safe for concurrent use.
var coders sync.Map

func coder(k, m int) (reedsolomon.Encoder, error) {
	key := [2]int{k, m}
	if c, ok := coders.Load(key); ok {
		return c.(reedsolomon.Encoder), nil
	}
	c, err := reedsolomon.New(k, m)
	if err != nil {
		return nil, fmt.Errorf("reed-solomon %d+%d: %w", k, m, err)
	}
	coders.Store(key, c)
	return c, nil
}
