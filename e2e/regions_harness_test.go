package e2e

// Harness of the real-regions tests (regions_test.go): versitygw processes
// as S3 regions, `prismd serve` over them, direct listings of every region's
// backend bucket, the expected shard layout, /metrics polling and a delaying
// TCP proxy. Names start with "rg" or "region" so that they do not collide
// with the rest of the package.

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"golang.org/x/time/rate"

	"github.com/prismd/prismd/backends/s3/s3test"
	"github.com/prismd/prismd/engine/datapath"
	plog "github.com/prismd/prismd/log"
)

// rgTopology is one shape of the tests: how many regions, the policy, and
// how many regions an outage takes down (m: the most the policy survives).
type rgTopology struct {
	name    string
	regions int
	mode    string // erasure or hybrid
	k, m    int
	// segSize is the segment size (default rgSegmentSize); placement the
	// policy's placement (default shuffle).
	segSize   int64
	placement string
}

func (tp rgTopology) segmentSize() int64 {
	if tp.segSize == 0 {
		return rgSegmentSize
	}
	return tp.segSize
}

func (tp rgTopology) down() int { return tp.m }

var (
	rgThree       = rgTopology{name: "3regions-erasure-2+1", regions: 3, mode: "erasure", k: 2, m: 1}
	rgThreeHybrid = rgTopology{name: "3regions-hybrid-2+1", regions: 3, mode: "hybrid", k: 2, m: 1}
	rgFive        = rgTopology{name: "5regions-erasure-3+2", regions: 5, mode: "erasure", k: 3, m: 2}
	rgFiveHybrid  = rgTopology{name: "5regions-hybrid-3+2", regions: 5, mode: "hybrid", k: 3, m: 2}
)

// Sizes of the prismd config used by every regions test: segments of 4 MiB
// (so that objects of a few MiB have several segments) and blocks of 256 KiB
// (several stripes a segment); hybrid objects under 256 KiB are replicated.
const (
	rgSegmentSize = 4 << 20
	rgBlockSize   = 256 << 10
	rgThreshold   = 256 << 10
)

// rgCluster is prismd serving over real S3 regions.
type rgCluster struct {
	t       *testing.T
	topo    rgTopology
	servers []*s3test.Server
	proxies []*rgProxy // per region, nil unless slowed
	p       *proc
	c       *s3.Client // strict: no SDK retries, so every server error surfaces
	dir     string     // prismd's directory
	cfg     string     // prismd's config
	env     []string   // prismd's environment besides the root credentials
}

// rgStart starts tp.regions versitygw processes and prismd over them. When
// proxied[i] is true, prismd reaches region i through a delaying proxy
// (delay 0 until the test sets one).
func rgStart(t *testing.T, tp rgTopology, proxied ...int) *rgCluster {
	t.Helper()
	return rgStartWith(t, tp, `purge_delay = "0s"`, nil, proxied...)
}

// rgStartWith is rgStart with extra lines of prismd's config and variables
// of its environment.
func rgStartWith(t *testing.T, tp rgTopology, extraConfig string, env []string, proxied ...int) *rgCluster {
	t.Helper()
	cl := &rgCluster{t: t, topo: tp, proxies: make([]*rgProxy, tp.regions), env: env}
	var regions strings.Builder
	for i := range tp.regions {
		srv := s3test.StartVersity(t, t.TempDir())
		cl.servers = append(cl.servers, srv)
		endpoint := srv.Endpoint()
		if slices.Contains(proxied, i) {
			cl.proxies[i] = rgStartProxy(t, strings.TrimPrefix(endpoint, "http://"))
			endpoint = "http://" + cl.proxies[i].addr
		}
		fmt.Fprintf(&regions, `
[[region]]
name = "r%d"
type = "s3"
endpoint = %q
region = %q
access_key = %q
secret_key = %q
path_style = true
`, i, endpoint, s3test.Region, srv.AccessKey(), srv.SecretKey())
	}
	cfg := fmt.Sprintf(`
data_dir = "data"
log_level = "debug"
%s
segment_size = %d
block_size = %d
[policy]
mode = %q
data_shards = %d
parity_shards = %d
hybrid_threshold = %d
placement = %q
%s`, extraConfig, tp.segmentSize(), rgBlockSize, tp.mode, tp.k, tp.m, rgThreshold, cmp.Or(tp.placement, "shuffle"), regions.String())
	cl.dir, cl.cfg = filepath.Join(t.TempDir(), "prismd"), cfg
	cl.startPrismd()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("prismd log (tail):\n%s", cl.p.log())
		}
	})
	return cl
}

func (cl *rgCluster) startPrismd() {
	cl.t.Helper()
	cl.p = start(cl.t, cl.dir, cl.cfg, append([]string{"PRISMD_ACCESS_KEY=" + rootKey, "PRISMD_SECRET_KEY=" + rootSecret}, cl.env...))
	cl.c = sdkClient(cl.p, rootKey, rootSecret, func(o *s3.Options) { o.RetryMaxAttempts = 1 })
}

// restartPrismd stops prismd (SIGTERM, exit status 0 required) and starts
// it again on the same data directory and config (on new ports).
func (cl *rgCluster) restartPrismd() {
	cl.t.Helper()
	if err := cl.p.stop(); err != nil {
		cl.t.Fatalf("stop prismd: %v\n%s", err, cl.p.log())
	}
	cl.startPrismd()
}

// regionClient talks to region i directly (not through prismd or a proxy).
func (cl *rgCluster) regionClient(i int) *s3.Client {
	srv := cl.servers[i]
	return s3.New(s3.Options{
		Region:           s3test.Region,
		BaseEndpoint:     aws.String(srv.Endpoint()),
		UsePathStyle:     true,
		Credentials:      credentials.NewStaticCredentialsProvider(srv.AccessKey(), srv.SecretKey(), ""),
		RetryMaxAttempts: 1,
	})
}

// rgBackendBucket is the backend bucket of a client bucket, as
// engine.(*Engine).BackendBucket derives it with the default prefix.
func rgBackendBucket(bucket string) string {
	sum := sha256.Sum256([]byte(bucket))
	return "prismd-" + hex.EncodeToString(sum[:10])
}

// regionKeys lists every key (with its size) of bucket's backend bucket on region i.
func (cl *rgCluster) regionKeys(ctx context.Context, i int, bucket string) (map[string]int64, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	bb := rgBackendBucket(bucket)
	out := map[string]int64{}
	pg := s3.NewListObjectsV2Paginator(cl.regionClient(i), &s3.ListObjectsV2Input{Bucket: &bb})
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list region r%d bucket %s: %w", i, bb, err)
		}
		for _, o := range page.Contents {
			out[*o.Key] = aws.ToInt64(o.Size)
		}
	}
	return out, nil
}

// rgBlob is one blob the test expects on the regions: data of one PUT or
// one multipart part, shared by copies.
type rgBlob struct {
	size int64
	n    int   // shards per segment
	seg  int64 // segment size
}

// blobOf returns the blob a PUT (or part) of size bytes makes under the topology.
func (tp rgTopology) blobOf(size int64) rgBlob {
	if tp.mode == "hybrid" && size < rgThreshold {
		return rgBlob{size: size, n: 1 + tp.m, seg: tp.segmentSize()}
	}
	return rgBlob{size: size, n: tp.k + tp.m, seg: tp.segmentSize()}
}

func (b rgBlob) segments() int { return max(1, int((b.size+b.seg-1)/b.seg)) }

// checkLayout lists bucket's backend bucket on every region and compares it
// with the blobs the test expects: exactly these blobs (no more, no fewer),
// every segment with shards 0..n-1 each stored exactly once, on distinct
// regions, all of one size; and no key that is not a shard in the key
// layout of blobs written now (fanout). It returns a
// description of every difference, or nil.
func (cl *rgCluster) checkLayout(ctx context.Context, bucket string, want []rgBlob) error {
	type shardLoc struct {
		region int
		size   int64
	}
	type segKey struct {
		blob string
		seg  int
	}
	segs := map[segKey]map[int][]shardLoc{}
	var problems []string
	for i := range cl.servers {
		keys, err := cl.regionKeys(ctx, i, bucket)
		if err != nil {
			return err
		}
		for k, size := range keys {
			blob, seg, sh, layout, ok := datapath.ParseKey(k)
			if !ok || layout != plog.KeysFanout {
				problems = append(problems, fmt.Sprintf("r%d: unexpected key %q", i, k))
				continue
			}
			sk := segKey{hex.EncodeToString(blob[:]), seg}
			if segs[sk] == nil {
				segs[sk] = map[int][]shardLoc{}
			}
			segs[sk][sh] = append(segs[sk][sh], shardLoc{i, size})
		}
	}
	// Group by blob: segment count and shards per segment.
	type blobShape struct{ segments, n int }
	blobs := map[string]map[int]map[int][]shardLoc{}
	for sk, shards := range segs {
		if blobs[sk.blob] == nil {
			blobs[sk.blob] = map[int]map[int][]shardLoc{}
		}
		blobs[sk.blob][sk.seg] = shards
	}
	var have []blobShape
	for id, bsegs := range blobs {
		n := 0
		for seg, shards := range bsegs {
			for sh := range shards {
				n = max(n, sh+1)
			}
			_ = seg
		}
		for seg := range len(bsegs) {
			shards, ok := bsegs[seg]
			if !ok {
				problems = append(problems, fmt.Sprintf("blob %s: segment %d missing everywhere (segments present: %d)", id[:8], seg, len(bsegs)))
				continue
			}
			regionsUsed := map[int]bool{}
			var size int64 = -1
			for sh := range n {
				locs := shards[sh]
				switch len(locs) {
				case 0:
					problems = append(problems, fmt.Sprintf("blob %s seg %d: shard %d on no region", id[:8], seg, sh))
					continue
				case 1:
				default:
					problems = append(problems, fmt.Sprintf("blob %s seg %d: shard %d on %d regions %v", id[:8], seg, sh, len(locs), locs))
				}
				for _, l := range locs {
					if regionsUsed[l.region] {
						problems = append(problems, fmt.Sprintf("blob %s seg %d: two shards on region r%d", id[:8], seg, l.region))
					}
					regionsUsed[l.region] = true
					if size >= 0 && l.size != size {
						problems = append(problems, fmt.Sprintf("blob %s seg %d: shard %d on r%d has %d bytes, another shard %d", id[:8], seg, sh, l.region, l.size, size))
					}
					size = l.size
				}
			}
		}
		have = append(have, blobShape{len(bsegs), n})
	}
	var wantShapes []blobShape
	for _, b := range want {
		wantShapes = append(wantShapes, blobShape{b.segments(), b.n})
	}
	byShape := func(a, b blobShape) int {
		if a.segments != b.segments {
			return a.segments - b.segments
		}
		return a.n - b.n
	}
	slices.SortFunc(have, byShape)
	slices.SortFunc(wantShapes, byShape)
	if !slices.Equal(have, wantShapes) {
		problems = append(problems, fmt.Sprintf("blobs (segments, shards) on the regions: %v, want %v", have, wantShapes))
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		if len(problems) > 20 {
			problems = append(problems[:20], fmt.Sprintf("… and %d more", len(problems)-20))
		}
		return errors.New(strings.Join(problems, "\n"))
	}
	return nil
}

// regionShardCounts returns how many shards each region holds for bucket (for logs).
func (cl *rgCluster) regionShardCounts(ctx context.Context, bucket string) []int {
	var out []int
	for i := range cl.servers {
		keys, err := cl.regionKeys(ctx, i, bucket)
		if err != nil {
			out = append(out, -1)
			continue
		}
		out = append(out, len(keys))
	}
	return out
}

// metric reads one unlabelled gauge from prismd's /metrics.
func (cl *rgCluster) metric(name string) (float64, error) { return cl.p.metric(name) }

// metric reads one unlabelled gauge from the process's /metrics.
func (p *proc) metric(name string) (float64, error) {
	resp, err := http.Get(p.Admin + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 && f[0] == name {
			return strconv.ParseFloat(f[1], 64)
		}
	}
	return 0, fmt.Errorf("/metrics has no %s", name)
}

// waitSettled polls until prismd reports no pending shard writes and no
// pending purges, and then until check passes; it fails the test after
// bound. Polls stop as soon as both hold.
func (cl *rgCluster) waitSettled(what string, bound time.Duration, check func() error) {
	cl.t.Helper()
	start := time.Now()
	deadline := start.Add(bound)
	var last error
	for {
		last = func() error {
			shards, err := cl.metric("prismd_pending_shards")
			if err != nil {
				return err
			}
			purges, err := cl.metric("prismd_pending_purges")
			if err != nil {
				return err
			}
			if shards != 0 || purges != 0 {
				return fmt.Errorf("prismd_pending_shards %v, prismd_pending_purges %v", shards, purges)
			}
			if check != nil {
				return check()
			}
			return nil
		}()
		if last == nil {
			cl.t.Logf("%s: settled after %v", what, time.Since(start).Round(100*time.Millisecond))
			return
		}
		if time.Now().After(deadline) {
			cl.t.Fatalf("%s: not settled within %v:\n%v", what, bound, last)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// putObj PUTs body at key and fails the test on any error.
func (cl *rgCluster) putObj(ctx context.Context, bucket, key string, body []byte) error {
	_, err := cl.c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: bytes.NewReader(body)})
	if err != nil {
		return fmt.Errorf("PUT %s (%d bytes): %w", key, len(body), err)
	}
	return nil
}

// getCheck GETs key (whole, or the range [off, off+n) when n > 0) and
// compares it with want.
func (cl *rgCluster) getCheck(ctx context.Context, bucket, key string, want []byte, off, n int64) error {
	in := &s3.GetObjectInput{Bucket: &bucket, Key: &key}
	exp := want
	if n > 0 {
		in.Range = aws.String(fmt.Sprintf("bytes=%d-%d", off, off+n-1))
		exp = want[off : off+n]
	}
	out, err := cl.c.GetObject(ctx, in)
	if err != nil {
		return fmt.Errorf("GET %s %s: %w", key, aws.ToString(in.Range), err)
	}
	defer out.Body.Close()
	got, err := io.ReadAll(out.Body)
	if err != nil {
		return fmt.Errorf("GET %s %s: reading body after %d bytes: %w", key, aws.ToString(in.Range), len(got), err)
	}
	if !bytes.Equal(got, exp) {
		return fmt.Errorf("GET %s %s: %d bytes, sha256 %s, want %d bytes, sha256 %s", key, aws.ToString(in.Range), len(got), sha256Bytes(got)[:12], len(exp), sha256Bytes(exp)[:12])
	}
	return nil
}

// createBucket creates a client bucket through prismd.
func (cl *rgCluster) createBucket(ctx context.Context, prefix string) string {
	cl.t.Helper()
	b := uniqueBucket(prefix)
	if _, err := cl.c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &b}); err != nil {
		cl.t.Fatalf("CreateBucket %s: %v", b, err)
	}
	return b
}

// deleteKeys deletes keys through prismd with one DeleteObjects call.
func (cl *rgCluster) deleteKeys(ctx context.Context, bucket string, keys []string) error {
	var ids []types.ObjectIdentifier
	for _, k := range keys {
		ids = append(ids, types.ObjectIdentifier{Key: aws.String(k)})
	}
	out, err := cl.c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: &bucket, Delete: &types.Delete{Objects: ids}})
	if err != nil {
		return err
	}
	if len(out.Errors) > 0 {
		return fmt.Errorf("DeleteObjects: %d errors, first %s: %s", len(out.Errors), aws.ToString(out.Errors[0].Key), aws.ToString(out.Errors[0].Message))
	}
	return nil
}

// rgSizes are object sizes on both sides of the hybrid threshold and of a
// segment (4 MiB).
var rgSizes = []int{3_000, 100_000, 300_000, 1_200_000, 5_000_000}

func rgRandom(n int) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	for i := 0; i+8 <= n; i += 8 {
		v := r.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	for i := n &^ 7; i < n; i++ {
		b[i] = byte(r.Uint32())
	}
	return b
}

// rgPercentiles returns p50 and p99 of ds.
func rgPercentiles(ds []time.Duration) (p50, p99 time.Duration) {
	if len(ds) == 0 {
		return 0, 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	at := func(q float64) time.Duration { return s[min(len(s)-1, int(q*float64(len(s))))] }
	return at(0.50), at(0.99)
}

// rgProxy is a TCP proxy on loopback that forwards to an upstream S3 server
// and, when a delay is set, waits that long before forwarding every chunk
// (at most 16 KiB) the upstream answers: the first byte of every response
// is late, and large responses crawl. It counts the bytes it forwarded in
// each direction.
type rgProxy struct {
	addr, upstream string
	ln             net.Listener
	delay          atomic.Int64 // nanoseconds
	rate           atomic.Int64 // bytes a second upstream→client, per connection; 0: unlimited
	down, up       atomic.Int64 // bytes upstream→client, client→upstream
	wg             sync.WaitGroup
	mu             sync.Mutex
	conns          map[net.Conn]bool
	closed         bool
}

func rgStartProxy(t *testing.T, upstream string) *rgProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &rgProxy{addr: ln.Addr().String(), upstream: upstream, ln: ln, conns: map[net.Conn]bool{}}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(p.close)
	return p
}

func (p *rgProxy) setDelay(d time.Duration) { p.delay.Store(int64(d)) }

// setRate limits every connection's answers to bytesPerSec (0: no limit),
// with a burst of one 16 KiB chunk: an answer starts at once and then
// trickles.
func (p *rgProxy) setRate(bytesPerSec int64) { p.rate.Store(bytesPerSec) }

func (p *rgProxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		c.Close()
		return false
	}
	p.conns[c] = true
	return true
}

func (p *rgProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		if !p.track(c) {
			return
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			defer c.Close()
			u, err := net.DialTimeout("tcp", p.upstream, 5*time.Second)
			if err != nil {
				return
			}
			if !p.track(u) {
				return
			}
			defer u.Close()
			done := make(chan struct{})
			go func() {
				defer close(done)
				// Count as bytes flow: connections are kept alive, so the
				// copy may last as long as the test.
				io.Copy(countingWriter{u, &p.up}, c)
				if tc, ok := u.(*net.TCPConn); ok {
					tc.CloseWrite()
				}
			}()
			buf := make([]byte, 16<<10)
			// Burst of one chunk: an answer starts at once, then flows at
			// the rate.
			pace := rate.NewLimiter(rate.Inf, len(buf))
			for {
				n, err := u.Read(buf)
				if n > 0 {
					if d := time.Duration(p.delay.Load()); d > 0 {
						time.Sleep(d)
					}
					if r := p.rate.Load(); r > 0 {
						pace.SetLimit(rate.Limit(r))
						if pace.WaitN(context.Background(), n) != nil {
							break
						}
					} else {
						pace.SetLimit(rate.Inf)
					}
					if _, werr := c.Write(buf[:n]); werr != nil {
						break
					}
					p.down.Add(int64(n))
				}
				if err != nil {
					break
				}
			}
			c.Close()
			u.Close()
			<-done
		}()
	}
}

func (p *rgProxy) close() {
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.ln.Close()
	p.wg.Wait()
}

// countingWriter adds what it writes to n.
type countingWriter struct {
	w io.Writer
	n *atomic.Int64
}

func (c countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n.Add(int64(n))
	return n, err
}
