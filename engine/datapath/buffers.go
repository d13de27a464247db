package datapath

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/klauspost/reedsolomon"
)

// pipelineDepth is how many stripes a shard writer or reader may hold ahead
// of the encoder or decoder. Memory per request is about
// (k+m) × blockSize × (pipelineDepth + 2).
const pipelineDepth = 4

// stripeBuf holds the n blocks of one stripe. It goes back to its pool when
// every shard writer has released it.
type stripeBuf struct {
	mem    []byte
	blocks [][]byte // n slices of mem, blockSize each
	sums   [][]byte // n hashes, blockHashSize each
	refs   atomic.Int32
	pool   *sync.Pool
}

func (s *stripeBuf) release() {
	if s.refs.Add(-1) == 0 {
		s.pool.Put(s)
	}
}

// stripePools hands out stripe buffers by (n, blockSize).
type stripePools struct {
	mu    sync.Mutex
	pools map[[2]int]*sync.Pool
}

func (p *stripePools) get(n, blockSize int) *stripeBuf {
	p.mu.Lock()
	if p.pools == nil {
		p.pools = map[[2]int]*sync.Pool{}
	}
	key := [2]int{n, blockSize}
	pool := p.pools[key]
	if pool == nil {
		pool = &sync.Pool{}
		pool.New = func() any {
			s := &stripeBuf{mem: make([]byte, n*(blockSize+blockHashSize)), pool: pool}
			for i := range n {
				off := i * (blockSize + blockHashSize)
				s.blocks = append(s.blocks, s.mem[off:off+blockSize])
				s.sums = append(s.sums, s.mem[off+blockSize:off+blockSize+blockHashSize])
			}
			return s
		}
		p.pools[key] = pool
	}
	p.mu.Unlock()
	return pool.Get().(*stripeBuf)
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
