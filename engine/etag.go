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
const (
	// simdMinSize is the smallest body hashed in a lane.
	simdMinSize = 1 << 20
	// simdMinStreams is how many large bodies (this one included) must be
	// in flight for a new one to take a lane.
	simdMinStreams = 3
	// simdLanes is the streams one server hashes at once with AVX-512
	// (md5simd.Lanes, which only amd64 builds define).
	simdLanes = 16
)

var (
	// md5Servers run the lanes, each on one goroutine (a core hashes
	// about 2.7 GB/s in 16 lanes): one per 4 CPUs, so that hashing never
	// caps a large machine, filled in turn (bodies 1-16 in flight go to
	// the first, 17-32 to the second, …) so that their lanes are full.
	// They live as long as the process.
	md5Servers = sync.OnceValue(func() []md5simd.Server {
		ss := make([]md5simd.Server, max(1, runtime.GOMAXPROCS(0)/4))
		for i := range ss {
			ss[i] = md5simd.NewServer()
		}
		return ss
	})
	// largeBodies counts bodies of simdMinSize or more being hashed.
	largeBodies atomic.Int64
)

// etagHash returns the MD5 that hashes a body of size bytes and the
// function to call once its sum is taken.
func etagHash(size int64) (hash.Hash, func()) {
	if size < simdMinSize {
		return md5.New(), func() {}
	}
	n := largeBodies.Add(1)
	if n < simdMinStreams {
		return md5.New(), func() { largeBodies.Add(-1) }
	}
	ss := md5Servers()
	h := ss[laneServer(n, len(ss))].NewHash()
	return h, func() { h.Close(); largeBodies.Add(-1) }
}

// laneServer returns which of servers hashes the n-th large body in
// flight: the first takes bodies 1-16, the second 17-32, …, the last the
// rest, so that each server's lanes fill before the next is used.
func laneServer(n int64, servers int) int {
	return min(int(n-1)/simdLanes, servers-1)
}
