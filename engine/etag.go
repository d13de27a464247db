package engine

import (
	"crypto/md5"
	"hash"
	"runtime"
	"sync"
	"sync/atomic"

	md5simd "github.com/minio/md5-simd"
)

// MD5 for the ETag is the costliest per-byte work of a PUT: crypto/md5 runs
// near 1 ns a byte, the block hash and Reed-Solomon far less — half of the
// gateway's CPU during 8 MiB PUTs. When several large bodies are hashed at
// once, a multi-buffer MD5 (minio/md5-simd: one stream per AVX2/AVX-512
// lane) costs less CPU per byte; alone it costs more than crypto/md5 (its
// lanes run mostly empty, and it copies the input once). So a body takes a
// lane only when others are being hashed beside it.
//
// Measured on this project's 2-CPU machine: 8 parallel 8 MiB PUTs on
// discarding regions (BenchmarkPutParallel) +16% throughput; through
// `prismd serve` on three versitygw regions, 16 instead of 19.5 ms of
// gateway CPU per 8 MiB PUT at concurrency 8.
//
// md5-simd's hashes are never closed, only reset and reused (lanePool):
// its server (v1.1.2) never forgets a closed hash — it removes a closed
// client by the uid of the zero block its closed channel yields, 0, which
// no client has — so each hashing round would poll every hash ever closed,
// and wait for them to fill lanes. Hashing four 1 MiB bodies at once took
// 4 ms after 2,000 closed hashes and 41 ms after 12,000: a gateway's large
// PUTs got slower, and cost more CPU, with every large PUT it had served.
const (
	// simdMinSize is the smallest body hashed in a lane.
	simdMinSize = 1 << 20
	// simdMinStreams is how many large bodies (this one included) must be
	// in flight for a new one to take a lane.
	simdMinStreams = 3
	// simdLanes is the streams one server hashes at once with AVX-512
	// (md5simd.Lanes, which only amd64 builds define), and the most hashes
	// a lanePool keeps.
	simdLanes = 16
)

var (
	// md5Servers run the lanes, each on one goroutine (a core hashes
	// about 2.7 GB/s in 16 lanes): one per 4 CPUs, so that hashing never
	// caps a large machine, filled in turn (bodies 1-16 in flight go to
	// the first, 17-32 to the second, …) so that their lanes are full.
	// They live as long as the process.
	md5Servers = sync.OnceValue(func() []*lanePool {
		ps := make([]*lanePool, max(1, runtime.GOMAXPROCS(0)/4))
		for i := range ps {
			ps[i] = &lanePool{srv: md5simd.NewServer()}
		}
		return ps
	})
	// largeBodies counts bodies of simdMinSize or more being hashed.
	largeBodies atomic.Int64
)

// lanePool hands out the hashes of one md5-simd server: at most simdLanes
// of them ever exist, each reset when its body is done and handed to the
// next, so the server only ever knows hashes that are in use or ready.
type lanePool struct {
	srv md5simd.Server

	mu   sync.Mutex
	idle []md5simd.Hasher // reset, waiting for a body
	made int              // hashes created on srv, never more than simdLanes
}

// get returns a ready hash, or nil when all simdLanes are in use.
func (p *lanePool) get() md5simd.Hasher {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := len(p.idle); n > 0 {
		h := p.idle[n-1]
		p.idle = p.idle[:n-1]
		return h
	}
	if p.made == simdLanes {
		return nil
	}
	p.made++
	return p.srv.NewHash()
}

// put resets h, whose body is done (nothing writes to it any more), and
// keeps it for the next body.
func (p *lanePool) put(h md5simd.Hasher) {
	h.Reset()
	p.mu.Lock()
	p.idle = append(p.idle, h)
	p.mu.Unlock()
}

// etagHash returns the MD5 that hashes a body of size bytes and the
// function to call once its sum is taken and nothing writes to it.
func etagHash(size int64) (hash.Hash, func()) {
	if size < simdMinSize {
		return md5.New(), func() {}
	}
	n := largeBodies.Add(1)
	done := func() { largeBodies.Add(-1) }
	if n < simdMinStreams {
		return md5.New(), done
	}
	ps := md5Servers()
	p := ps[laneServer(n, len(ps))]
	h := p.get()
	if h == nil {
		// Every lane of that server is taken: a body more would only
		// wait for rounds.
		return md5.New(), done
	}
	return h, func() { p.put(h); done() }
}

// laneServer returns which of servers hashes the n-th large body in
// flight: the first takes bodies 1-16, the second 17-32, …, the last the
// rest, so that each server's lanes fill before the next is used.
func laneServer(n int64, servers int) int {
	return min(int(n-1)/simdLanes, servers-1)
}
