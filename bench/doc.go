// Package bench measures what prismd costs its users: S3 workloads against
// any endpoint, run in the same process against a baseline (the same
// workload sent straight to one backend region), so that every figure that
// matters is a ratio measured in one run.
//
// It is a library — a Config and Run functions, no globals; `prismd bench`
// binds flags to it and `make bench` runs Standard.
//
//	cfg := bench.Config{
//		Target:   bench.Endpoint{Name: "prismd", URL: "http://127.0.0.1:8443", AccessKey: ak, SecretKey: sk, Bucket: "b"},
//		Baseline: &bench.Endpoint{Name: "direct", URL: "http://127.0.0.1:9001", AccessKey: ak2, SecretKey: sk2, Bucket: "b"},
//		Workload: bench.Workload{Op: bench.OpGet, Size: 8 << 20, Concurrency: 8, Duration: 6 * time.Second},
//	}
//	c, err := bench.Compare(ctx, cfg) // 4 rounds of 2 s each side: prismd, direct, direct, prismd, …
//	bench.WriteComparisons(os.Stdout, c)
//
// Workloads: PUT (new keys), GET (of objects Prepare wrote, untimed),
// mixed (GET with probability GetRatio, else PUT) and LIST (ListObjectsV2
// pages); fixed or random object sizes; Concurrency workers, each with one
// request in flight; the run stops at Duration or after Ops operations.
//
// Invariants:
//   - Every run is bounded: Duration ≤ MaxDuration, Ops ≤ MaxOps, and every
//     operation by Workload.OpTimeout.
//   - The client is never the bottleneck it can avoid being: no retries (a
//     failure is counted, never hidden), UNSIGNED-PAYLOAD instead of hashing
//     bodies, no automatic checksums, no Expect: 100-continue, one
//     connection per worker kept alive. The HTTP client is the SDK's
//     BuildableClient, so AWS_CA_BUNDLE in the environment does not break it.
//   - A Result with any failed operation, or with none completed, is not
//     Valid; tables print it as INVALID with sample errors, and a
//     Comparison with an invalid side is invalid.
//   - Latency percentiles are nearest-rank over every successful operation
//     (p50 ≤ p90 ≤ p99 ≤ max); throughput is bytes over the time the
//     workload ran, summed over rounds.
//   - CPU time is measured around the timed part of every run only
//     (after Prepare): the client's (getrusage) and that of each
//     Endpoint.Processes entry (utime + stime of /proc/PID/stat), summed
//     over rounds like operations. Off Linux, or when a process cannot be
//     read in some round, Result.CPU is nil — never an error.
//   - Standard stops every process it started, by PID (SIGTERM, then
//     SIGKILL after a grace period; on Linux children also die with the
//     bench process), and removes its temporary directory.
//
// Standard is issue 5's set: three versitygw regions and `prismd serve` over
// them (policy erasure 2+1, then hybrid), 8 MiB × 8 and 4 KiB × 32 GET and
// PUT against direct, the same workloads through a plain relay in front of
// one region (NewRelay, run as `prismd bench relay`: the floor of any
// gateway that passes bytes through one process on the same machine) against
// direct, a fresh gateway's peak RSS (VmHWM) after 1 MiB and
// after 256 MiB objects, the CPU each process (client, gateway, regions)
// spent per operation, a CPU profile of the workload with the lowest
// ratio (from the gateway's /debug/pprof/profile), and the engine-internal
// Go benchmarks (StandardGoBenchmarks). WriteMarkdown turns the Report into
// BENCHMARKS.md; the Report is also JSON.
//
// Issue 15 adds two parts. "minio": prismd over three fs regions against
// MinIO (MinIOPackage) over three drive directories with EC:1, both 2+1,
// the standard workloads and MixedWorkload (70 % GET, 20 % PUT, 10 %
// DELETE, 1 KiB–16 MiB), with each server's CPU per operation; the profile
// is then taken of the workload furthest from prismd ≥ 1.25 × MinIO.
// "wan": the versitygw regions behind Shapers (TCP relays adding a one-way
// delay and, for the starved variant, a per-connection bandwidth limit),
// prismd against region-2 talked to directly, the ideal of a 2+1 gateway.
// Issue 13 adds "authz": a non-root key's 4 KiB GETs to a bucket with a
// policy against its GETs to a bucket without one, on one gateway over fs
// regions (goal ≥ 0.97).
// "aging": one fs gateway serves 10,000 PUTs of 1 MiB (among GETs, and
// as many DELETEs, which keep its disk use flat), then its 8 MiB PUTs
// are compared with those of a fresh one (goal ≥ 0.9): every other part
// measures a gateway minutes old, and a process that slows down with what
// it served shows only here.
// StandardConfig.Only runs some parts alone; NoMinIO skips MinIO.
package bench
