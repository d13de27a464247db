package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/prismd/prismd/backends/faulty"
	fsbackend "github.com/prismd/prismd/backends/fs"
	"github.com/prismd/prismd/engine"
)

// The scrub tests damage the regions' files directly — fs regions, and
// versitygw regions (whose objects are plain files too) — and run
// `prismd scrub` as an operator does: exact counts and exit status 1,
// then a clean second run (0), every object read back with any one region
// down, and an object that lost more shards than the parity makes the
// scrub exit 2 and name it.

// scrubWorld is prismd over three regions whose backend buckets are
// directories of plain files.
type scrubWorld struct {
	t      *testing.T
	dir    string            // prismd's directory: prismd.toml, data/
	proc   func() *proc      // the running prismd
	client func() *s3.Client // a client of it
	roots  []string          // per region, the directory holding its backend buckets
	bodies map[string][]byte
}

// scrubResult is `prismd scrub --json`'s output.
type scrubResult struct {
	engine.ScrubSummary
	Error string `json:"error"`
}

// scrub runs `prismd scrub` against the running server and returns its
// exit status, its summary (with --json) and its output.
func (w *scrubWorld) scrub(args ...string) (int, scrubResult, string) {
	w.t.Helper()
	args = append([]string{"scrub", "--config", filepath.Join(w.dir, "prismd.toml"), "--admin-addr", strings.TrimPrefix(w.proc().Admin, "http://")}, args...)
	code, stdout, stderr := runScrubCmd(w.t, w.dir, args...)
	var res scrubResult
	if slices.Contains(args, "--json") {
		if err := json.Unmarshal([]byte(stdout), &res); err != nil {
			w.t.Fatalf("prismd %s: exit %d, output is not JSON (%v):\n%s\n%s", strings.Join(args, " "), code, err, stdout, stderr)
		}
	}
	return code, res, stdout + stderr
}

// runScrubCmd runs prismd with args in dir.
func runScrubCmd(t *testing.T, dir string, args ...string) (int, string, string) {
	t.Helper()
	return execPrismd(t, 5*time.Minute, dir, nil, args...)
}

// putObjects writes objects obj-00, obj-01, … of the given sizes.
func (w *scrubWorld) putObjects(bucket string, sizes ...int) {
	w.t.Helper()
	ctx := context.Background()
	if _, err := w.client().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
		w.t.Fatal(err)
	}
	for i, size := range sizes {
		key := fmt.Sprintf("obj-%02d", i)
		body := rgRandom(size)
		if _, err := w.client().PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: bytes.NewReader(body)}); err != nil {
			w.t.Fatalf("PUT %s/%s: %v", bucket, key, err)
		}
		w.bodies[bucket+"/"+key] = body
	}
}

// settle waits until prismd has no shard left to write.
func (w *scrubWorld) settle() {
	w.t.Helper()
	waitUntil(w.t, "every shard written", func() bool {
		shards, err := w.proc().metric("prismd_pending_shards")
		return err == nil && shards == 0
	})
}

// shardFile is one shard as a file on a region.
type shardFile struct {
	region int
	path   string
	blob   string // the blob's directory name
}

// shardFiles lists the files of bucket's backend bucket on every region,
// by path.
func (w *scrubWorld) shardFiles(bucket string) []shardFile {
	w.t.Helper()
	var out []shardFile
	for i, root := range w.roots {
		bb := filepath.Join(root, rgBackendBucket(bucket))
		filepath.WalkDir(bb, func(path string, d fs.DirEntry, err error) error {
			if err != nil || strings.HasPrefix(d.Name(), ".") {
				if d != nil && d.IsDir() && path != bb {
					return filepath.SkipDir
				}
				return nil
			}
			if !d.IsDir() {
				rel, _ := filepath.Rel(bb, path)
				blob, _, _ := strings.Cut(filepath.ToSlash(rel), "/")
				out = append(out, shardFile{i, path, blob})
			}
			return nil
		})
	}
	sort.Slice(out, func(a, b int) bool { return out[a].path < out[b].path })
	return out
}

// orphan writes a file no event references into bucket's backend bucket
// on region i, modified age ago.
func (w *scrubWorld) orphan(i int, bucket, key string, age time.Duration) string {
	w.t.Helper()
	path := filepath.Join(w.roots[i], rgBackendBucket(bucket), filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		w.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("left by a crash"), 0o644); err != nil {
		w.t.Fatal(err)
	}
	old := time.Now().Add(-age)
	if err := os.Chtimes(path, old, old); err != nil {
		w.t.Fatal(err)
	}
	return path
}

func flipByte(t *testing.T, path string, off int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0x5a
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

// damageAndScrub stores three buckets of objects, damages them on the
// regions and checks what `prismd scrub --deep` finds and does, then that
// a second scrub finds everything clean.
//
//   - damaged: three shards of three objects get a flipped byte (corrupt),
//     two shards of two others are deleted (missing); three old files no
//     event references (orphans, one named like a shard) and a young one.
//   - wiped: region 2 loses the whole backend bucket (its shards missing).
//   - victim: one object, left alone here (see lose).
func damageAndScrub(w *scrubWorld) {
	t := w.t
	w.putObjects("damaged", 1_500_000, 1_500_000, 1_500_000, 1_500_000, 1_500_000, 9_000_000, 100_000, 100_000, 100_000)
	w.putObjects("wiped", 1_500_000, 1_500_000, 1_500_000, 1_500_000, 100_000, 100_000)
	w.putObjects("victim", 1_500_000)
	w.settle()
	shards := 0
	for _, b := range []string{"damaged", "wiped", "victim"} {
		shards += len(w.shardFiles(b))
	}
	// 5×3 + 9_000_000 in 3 segments × 3 + 3×2 (copies) + 4×3 + 2×2 + 3
	if shards != 15+9+6+12+4+3 {
		t.Fatalf("%d shard files on the regions before any damage, want 49", shards)
	}
	var blobs []string
	byBlob := map[string][]shardFile{}
	for _, f := range w.shardFiles("damaged") {
		if byBlob[f.blob] == nil {
			blobs = append(blobs, f.blob)
		}
		byBlob[f.blob] = append(byBlob[f.blob], f)
	}
	for _, b := range blobs[:3] {
		flipByte(t, byBlob[b][0].path, 80) // inside the first block
	}
	for _, b := range blobs[3:5] {
		if err := os.Remove(byBlob[b][0].path); err != nil {
			t.Fatal(err)
		}
	}
	wiped := 0
	for _, f := range w.shardFiles("wiped") {
		if f.region == 2 {
			wiped++
		}
	}
	if err := os.RemoveAll(filepath.Join(w.roots[2], rgBackendBucket("wiped"))); err != nil {
		t.Fatal(err)
	}
	old := []string{
		w.orphan(0, "damaged", "orphan-old-1", 72*time.Hour),
		w.orphan(1, "damaged", "orphan-old-2", 72*time.Hour),
		w.orphan(2, "damaged", "00000000000000000000000000000000/0/0", 72*time.Hour),
	}
	young := w.orphan(0, "damaged", "orphan-young", 0)

	code, res, out := w.scrub("--deep", "--json")
	want := engine.ScrubSummary{Deep: true, Objects: 16, ShardsChecked: 49, Missing: int64(2 + wiped), Corrupt: 3, Repaired: int64(5 + wiped),
		OrphansFound: 3, OrphansPurged: 3}
	if code != 1 || !sameCounts(res.ScrubSummary, want) || !res.Complete || res.Error != "" {
		t.Fatalf("first scrub: exit %d, %+v\nwant exit 1, %+v\n%s", code, res, want, out)
	}
	t.Logf("first scrub: %d missing (%d with the wiped bucket), %d corrupt, %d repaired, %d orphans purged, %d bytes read in %.2fs",
		res.Missing, wiped, res.Corrupt, res.Repaired, res.OrphansPurged, res.BytesRead, res.ElapsedSeconds)
	for _, p := range old {
		if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("old orphan %s left: %v", p, err)
		}
	}
	if _, err := os.Stat(young); err != nil {
		t.Errorf("the young orphan was deleted: %v", err)
	}
	refilled := 0
	for _, f := range w.shardFiles("wiped") {
		if f.region == 2 {
			refilled++
		}
	}
	if refilled != wiped {
		t.Errorf("the wiped bucket holds %d shards again on region 2, want %d", refilled, wiped)
	}
	code, res, out = w.scrub("--deep", "--json")
	if code != 0 || !sameCounts(res.ScrubSummary, engine.ScrubSummary{Deep: true, Objects: 16, ShardsChecked: 49}) || res.BytesRead == 0 {
		t.Fatalf("second scrub: exit %d, %+v, want exit 0, all clean\n%s", code, res, out)
	}
}

// sameCounts compares the counts of two summaries (not times, names or flags).
func sameCounts(a, b engine.ScrubSummary) bool {
	return a.Objects == b.Objects && a.ShardsChecked == b.ShardsChecked && a.Missing == b.Missing && a.Corrupt == b.Corrupt &&
		a.Repaired == b.Repaired && a.Unrepairable == b.Unrepairable && a.OrphansFound == b.OrphansFound &&
		a.OrphansPurged == b.OrphansPurged && a.Failed == b.Failed
}

// lose deletes two of the three shards of the victim's only object: the
// scrub cannot rebuild it, exits 2 and names it, in text and in JSON.
func lose(w *scrubWorld) {
	t := w.t
	files := w.shardFiles("victim")
	if len(files) != 3 {
		t.Fatalf("victim has %d shard files, want 3", len(files))
	}
	for _, f := range files[:2] {
		if err := os.Remove(f.path); err != nil {
			t.Fatal(err)
		}
	}
	code, _, out := w.scrub()
	if code != 2 || !strings.Contains(out, "unrepairable:    1") || !strings.Contains(out, "\n  victim/obj-00\n") {
		t.Fatalf("scrub of an object with two of three shards lost: exit %d\n%s", code, out)
	}
	code, res, out := w.scrub("--json")
	if code != 2 || res.Unrepairable != 1 || len(res.UnrepairableObjects) != 1 || res.UnrepairableObjects[0] != (engine.ObjectName{Bucket: "victim", Key: "obj-00"}) {
		t.Fatalf("scrub --json of the lost object: exit %d %+v\n%s", code, res, out)
	}
}

// TestScrubFSRegions runs the scrub scenario over three fs regions, then:
// a scrub interrupted by SIGINT continues from its checkpoint; --offline is
// refused while the server runs and works once it stopped; every object
// reads back with any one region down; a lost object makes the scrub exit 2.
func TestScrubFSRegions(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := `
data_dir = "data"
segment_size = "4MiB"
block_size = "256KiB"
[policy]
mode = "hybrid"
data_shards = 2
parity_shards = 1
hybrid_threshold = "256KiB"
`
	env := []string{"PRISMD_ACCESS_KEY=" + rootKey, "PRISMD_SECRET_KEY=" + rootSecret}
	p := start(t, dir, cfg, env)
	var c *s3.Client
	connect := func() { c = sdkClient(p, rootKey, rootSecret, func(o *s3.Options) { o.RetryMaxAttempts = 1 }) }
	connect()
	regions := filepath.Join(dir, "data", "regions")
	w := &scrubWorld{t: t, dir: dir, proc: func() *proc { return p }, client: func() *s3.Client { return c }, bodies: map[string][]byte{},
		roots: []string{filepath.Join(regions, "a"), filepath.Join(regions, "b"), filepath.Join(regions, "c")}}
	damageAndScrub(w)

	// Cut off by SIGINT (slowed to 1 MiB/s so that it is under way), a
	// scrub says so, exits 2 and keeps its checkpoint; the next continues.
	checkpoint := filepath.Join(dir, "data", "scrub.json")
	cmd := exec.Command(prismdBin, "scrub", "--config", filepath.Join(dir, "prismd.toml"), "--admin-addr", strings.TrimPrefix(p.Admin, "http://"), "--deep", "--rate", "1")
	cmd.Dir, cmd.Env = dir, cleanEnv()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "a checkpoint written", func() bool { _, err := os.Stat(checkpoint); return err == nil })
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(stderr.String(), "interrupted") {
		t.Fatalf("interrupted scrub: %v\n%s", err, stderr.String())
	}
	if _, err := os.Stat(checkpoint); err != nil {
		t.Fatalf("no checkpoint after the interruption: %v", err)
	}
	code, res, out := w.scrub("--deep", "--json")
	if code != 0 || !res.Resumed || !res.Complete || !sameCounts(res.ScrubSummary, engine.ScrubSummary{Objects: 16, ShardsChecked: 49}) {
		t.Fatalf("scrub after the interruption: exit %d %+v\n%s", code, res, out)
	}

	// --offline needs the data directory to itself.
	code, _, errOut := runScrubCmd(t, dir, "scrub", "--offline", "--config", filepath.Join(dir, "prismd.toml"))
	if code != 2 || !strings.Contains(errOut, "a prismd serve runs on it") {
		t.Fatalf("scrub --offline beside the server: exit %d\n%s", code, errOut)
	}
	if err := p.stop(); err != nil {
		t.Fatal(err)
	}
	code, stdout, errOut := runScrubCmd(t, dir, "scrub", "--offline", "--deep", "--json", "--config", filepath.Join(dir, "prismd.toml"))
	if code != 0 || !strings.Contains(stdout, `"shards_checked":49`) {
		t.Fatalf("scrub --offline: exit %d\n%s%s", code, stdout, errOut)
	}
	readWithOneRegionDown(t, filepath.Join(dir, "data"), w.roots, w.bodies)

	p = start(t, dir, cfg, env)
	connect()
	lose(w)
}

// readWithOneRegionDown opens the data directory in this process, each
// region down in turn, and reads every object back.
func readWithOneRegionDown(t *testing.T, dataDir string, roots []string, bodies map[string][]byte) {
	t.Helper()
	ctx := context.Background()
	var regions []engine.Region
	var wrapped []*faulty.Backend
	for i, root := range roots {
		b, err := fsbackend.New(root)
		if err != nil {
			t.Fatal(err)
		}
		f := faulty.Wrap(b)
		wrapped = append(wrapped, f)
		regions = append(regions, engine.Region{Name: "local-" + string(rune('a'+i)), Backend: f})
	}
	e, err := engine.Open(engine.Config{DataDir: dataDir, Regions: regions, NoBackground: true, SnapshotEvery: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	for i, f := range wrapped {
		f.SetDown(true)
		for name, want := range bodies {
			bucket, key, _ := strings.Cut(name, "/")
			r, err := e.GetObject(ctx, bucket, key, engine.GetOptions{})
			if err != nil {
				t.Fatalf("GET %s with region %d down: %v", name, i, err)
			}
			got, err := io.ReadAll(r)
			r.Close()
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("GET %s with region %d down: %d bytes, %v", name, i, len(got), err)
			}
		}
		f.SetDown(false)
		waitUntil(t, "the region healthy again", func() bool {
			e.ProbeRegions(ctx)
			return !slices.ContainsFunc(e.Health(), func(h engine.RegionHealth) bool { return !h.Healthy })
		})
	}
}

// TestScrubVersityRegions runs the scrub scenario over three versitygw
// regions, then reads every object with each region's server stopped in
// turn, and checks a lost object makes the scrub exit 2.
func TestScrubVersityRegions(t *testing.T) {
	t.Parallel()
	cl := rgStart(t, rgThreeHybrid)
	w := &scrubWorld{t: t, dir: cl.dir, proc: func() *proc { return cl.p }, client: func() *s3.Client { return cl.c }, bodies: map[string][]byte{}}
	for _, srv := range cl.servers {
		w.roots = append(w.roots, srv.DataDir())
	}
	damageAndScrub(w)
	ctx := context.Background()
	for i, srv := range cl.servers {
		srv.Stop()
		for name, want := range w.bodies {
			bucket, key, _ := strings.Cut(name, "/")
			if err := cl.getCheck(ctx, bucket, key, want, 0, 0); err != nil {
				t.Fatalf("region r%d stopped: %v", i, err)
			}
		}
		srv.Start()
		waitHealthy(t, cl.p, cl.c)
	}
	lose(w)
}

// waitHealthy waits until /health shows every region healthy, writing a
// small object now and then so that prismd's background pass (which
// probes regions) runs at once.
func waitHealthy(t *testing.T, p *proc, c *s3.Client) {
	t.Helper()
	ctx := context.Background()
	scratch := uniqueBucket("poke")
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &scratch}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "every region healthy", func() bool {
		c.PutObject(ctx, &s3.PutObjectInput{Bucket: &scratch, Key: aws.String("poke"), Body: strings.NewReader("x")})
		resp, err := http.Get(p.Admin + "/health")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var h struct {
			Regions []struct{ Healthy bool }
		}
		if json.NewDecoder(resp.Body).Decode(&h) != nil || len(h.Regions) == 0 {
			return false
		}
		return !slices.ContainsFunc(h.Regions, func(r struct{ Healthy bool }) bool { return !r.Healthy })
	})
}
