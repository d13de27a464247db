package engine

import (
	"crypto/md5"
	"hash"
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
)

var (
	// md5Server runs the lanes; it lives as long as the process.
	md5Server = sync.OnceValue(md5simd.NewServer)
	// largeBodies counts bodies of simdMinSize or more being hashed.
	largeBodies atomic.Int64
)

// etagHash returns the MD5 that hashes a body of size bytes and the
// function to call once its sum is taken.
func etagHash(size int64) (hash.Hash, func()) {
	if size < simdMinSize {
		return md5.New(), func() {}
	}
	if largeBodies.Add(1) < simdMinStreams {
		return md5.New(), func() { largeBodies.Add(-1) }
	}
	h := md5Server().NewHash()
	return h, func() { h.Close(); largeBodies.Add(-1) }
}
