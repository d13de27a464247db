package e2e

// End-to-end tests of shipping the log to the regions and `prismd replay`:
// a gateway's data directory is lost (kill -9, rm -rf) and rebuilt from the
// regions, over real versitygw regions.

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// rpMasterKey is kept outside the data directory (in the environment), as
// the README tells operators to: the disaster takes the directory, not it.
var rpMasterKey = hex.EncodeToString(bytes.Repeat([]byte{0x5a}, 32))

// rpStart starts three versitygw regions (hybrid 2+1: small objects as
// copies, larger ones erasure-coded) and prismd shipping its log every
// 200 ms, with a snapshot every 40 events.
func rpStart(t *testing.T, purgeDelay string) *rgCluster {
	t.Helper()
	extra := fmt.Sprintf("purge_delay = %q\nship_interval = \"200ms\"\nsnapshot_every = 40", purgeDelay)
	return rgStartWith(t, rgThreeHybrid, extra, []string{"PRISMD_MASTER_KEY=" + rpMasterKey})
}

// rpHealth is the part of /health the replay tests read.
type rpHealth struct {
	Shipping []struct {
		Region    string `json:"region"`
		Shipped   uint64 `json:"shipped_index"`
		LagEvents uint64 `json:"lag_events"`
		Error     string `json:"error"`
	} `json:"shipping"`
}

func (cl *rgCluster) health() (rpHealth, error) {
	var h rpHealth
	resp, err := http.Get(cl.p.Admin + "/health")
	if err != nil {
		return h, err
	}
	defer resp.Body.Close()
	return h, json.NewDecoder(resp.Body).Decode(&h)
}

// waitShipped waits until every region in want (indexes; all when none)
// holds the whole log.
func (cl *rgCluster) waitShipped(want ...int) {
	cl.t.Helper()
	if len(want) == 0 {
		for i := range cl.servers {
			want = append(want, i)
		}
	}
	waitUntil(cl.t, "the log shipped to every region", func() bool {
		h, err := cl.health()
		if err != nil {
			return false
		}
		for _, i := range want {
			name := fmt.Sprintf("r%d", i)
			ok := false
			for _, s := range h.Shipping {
				ok = ok || s.Region == name && s.LagEvents == 0 && s.Shipped > 0
			}
			if !ok {
				return false
			}
		}
		return true
	})
}

// crash kills prismd with SIGKILL and removes its data directory: the
// disaster replay is for.
func (cl *rgCluster) crash() {
	cl.t.Helper()
	cl.p.kill()
	if err := os.RemoveAll(filepath.Join(cl.dir, "data")); err != nil {
		cl.t.Fatal(err)
	}
}

// replay runs `prismd replay` with args on the cluster's config and returns
// its exit status and output.
func (cl *rgCluster) replay(args ...string) (int, string) {
	cl.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, prismdBin, append([]string{"replay", "--config", filepath.Join(cl.dir, "prismd.toml")}, args...)...)
	cmd.Dir = cl.dir
	cmd.Env = append(cleanEnv(), cl.env...)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, string(out)
	case errors.As(err, &ee):
		return ee.ExitCode(), string(out)
	}
	cl.t.Fatalf("prismd replay: %v\n%s", err, out)
	return -1, ""
}

// mustReplay runs replay --json and returns its result.
func (cl *rgCluster) mustReplay(args ...string) replayJSON {
	cl.t.Helper()
	code, out := cl.replay(append(args, "--json")...)
	if code != 0 {
		cl.t.Fatalf("prismd replay %v: exit %d\n%s", args, code, out)
	}
	var r replayJSON
	if err := json.Unmarshal([]byte(out[strings.LastIndex(strings.TrimSpace(out), "\n")+1:]), &r); err != nil {
		cl.t.Fatalf("replay output: %v\n%s", err, out)
	}
	return r
}

type replayJSON struct {
	Gateway  string `json:"gateway"`
	Timeline uint64 `json:"timeline"`
	Source   string `json:"source_region"`
	Snapshot uint64 `json:"snapshot_index"`
	Last     uint64 `json:"last_index"`
	Buckets  int    `json:"buckets"`
	Objects  int    `json:"objects"`
	Bytes    int64  `json:"bytes"`
}

// rpWorld is what a test wrote: every object that must read back, keyed by
// bucket/key, and the ones deleted.
type rpWorld struct {
	buckets [2]string
	want    map[string][]byte
	deleted []string
}

// rpWrite writes single PUTs (copies and erasure-coded), a multipart
// object, metadata copies and overwrites, and deletes some, into two
// buckets.
func rpWrite(t *testing.T, cl *rgCluster, prefix string) *rpWorld {
	t.Helper()
	ctx := context.Background()
	w := &rpWorld{want: map[string][]byte{}}
	b1, b2 := cl.createBucket(ctx, prefix+"-a"), cl.createBucket(ctx, prefix+"-b")
	w.buckets = [2]string{b1, b2}
	put := func(b, k string, body []byte) {
		t.Helper()
		if err := cl.putObj(ctx, b, k, body); err != nil {
			t.Fatal(err)
		}
		w.want[b+"/"+k] = body
	}
	for i := range 6 {
		put(b1, fmt.Sprintf("small/%d", i), rgRandom(20<<10+i))  // replicated
		put(b2, fmt.Sprintf("large/%d", i), rgRandom(600<<10+i)) // erasure-coded
	}
	// Multipart: two parts of 5 MiB and a last small one.
	mp := prefix + "-mp"
	up, err := cl.c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &b1, Key: &mp})
	if err != nil {
		t.Fatal(err)
	}
	var parts []types.CompletedPart
	var whole []byte
	for n := int32(1); n <= 3; n++ {
		size := 5 << 20
		if n == 3 {
			size = 100 << 10
		}
		body := rgRandom(size)
		out, err := cl.c.UploadPart(ctx, &s3.UploadPartInput{Bucket: &b1, Key: &mp, UploadId: up.UploadId, PartNumber: aws.Int32(n), Body: bytes.NewReader(body)})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(n), ETag: out.ETag})
		whole = append(whole, body...)
	}
	if _, err := cl.c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &b1, Key: &mp, UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}}); err != nil {
		t.Fatal(err)
	}
	w.want[b1+"/"+mp] = whole
	// Copies, an overwrite, deletes.
	for _, c := range [][2]string{{b1 + "/small/0", b2 + "/copy-small"}, {b2 + "/large/0", b1 + "/copy-large"}} {
		src := c[0]
		db, dk, _ := strings.Cut(c[1], "/")
		if _, err := cl.c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &db, Key: &dk, CopySource: &src}); err != nil {
			t.Fatal(err)
		}
		w.want[c[1]] = w.want[src]
	}
	put(b2, "large/1", rgRandom(700<<10))
	for _, k := range []string{b1 + "/small/5", b2 + "/large/5"} {
		b, key, _ := strings.Cut(k, "/")
		if err := cl.deleteKeys(ctx, b, []string{key}); err != nil {
			t.Fatal(err)
		}
		delete(w.want, k)
		w.deleted = append(w.deleted, k)
	}
	return w
}

// check reads every object back byte for byte, checks the deleted ones
// are gone and that each bucket's listing is exactly what was written.
func (w *rpWorld) check(t *testing.T, cl *rgCluster) {
	t.Helper()
	ctx := context.Background()
	buckets := map[string][]string{}
	for k, body := range w.want {
		b, key, _ := strings.Cut(k, "/")
		buckets[b] = append(buckets[b], key)
		if err := cl.getCheck(ctx, b, key, body, 0, 0); err != nil {
			t.Fatalf("%s: %v", k, err)
		}
	}
	for _, k := range w.deleted {
		b, key, _ := strings.Cut(k, "/")
		if _, err := cl.c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b, Key: &key}); err == nil {
			t.Fatalf("%s was deleted and is back", k)
		}
	}
	for b, keys := range buckets {
		var listed []string
		pg := s3.NewListObjectsV2Paginator(cl.c, &s3.ListObjectsV2Input{Bucket: aws.String(b), MaxKeys: aws.Int32(3)})
		for pg.HasMorePages() {
			page, err := pg.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range page.Contents {
				listed = append(listed, *o.Key)
			}
		}
		slices.Sort(keys)
		if !slices.Equal(listed, keys) {
			t.Fatalf("bucket %s lists %v, want %v", b, listed, keys)
		}
	}
}

// TestReplay: a gateway's data directory is lost after its writes were
// shipped; replay rebuilds it from the regions and every acknowledged
// object is back, byte for byte, deleted ones are not, listings match —
// also with a region down during the replay, with the newest snapshot
// damaged on the region read first, and from a region that was down while
// the objects were written and is the only one left.
func TestReplay(t *testing.T) {
	t.Run("all regions", func(t *testing.T) {
		t.Parallel()
		cl := rpStart(t, "0s")
		w := rpWrite(t, cl, "rp-all")
		cl.waitShipped()
		cl.crash()
		r := cl.mustReplay()
		if r.Objects != len(w.want) || r.Buckets != 2 || r.Timeline != 2 {
			t.Fatalf("replay restored %+v, want %d objects in 2 buckets on timeline 2", r, len(w.want))
		}
		cl.startPrismd()
		w.check(t, cl)
		// The restored gateway goes on: it writes, ships, and a second
		// disaster is recovered too.
		w2 := rpWrite(t, cl, "rp-again")
		cl.waitShipped()
		cl.crash()
		cl.mustReplay()
		cl.startPrismd()
		w.check(t, cl)
		w2.check(t, cl)
	})
	t.Run("a region down during the replay", func(t *testing.T) {
		t.Parallel()
		cl := rpStart(t, "0s")
		w := rpWrite(t, cl, "rp-down")
		cl.waitShipped()
		cl.crash()
		cl.servers[1].Stop()
		r := cl.mustReplay()
		if r.Source == "r1" || r.Objects != len(w.want) {
			t.Fatalf("replay %+v with r1 down", r)
		}
		cl.servers[1].Start()
		cl.startPrismd()
		w.check(t, cl)
	})
	t.Run("newest snapshot damaged on the first region", func(t *testing.T) {
		t.Parallel()
		cl := rpStart(t, "0s")
		w := rpWrite(t, cl, "rp-rot")
		cl.waitShipped()
		cl.crash()
		snaps, _ := filepath.Glob(filepath.Join(cl.servers[0].DataDir(), "prismd-system", "gateways", "*", "t1", "snap", "*.snap"))
		if len(snaps) == 0 {
			t.Fatal("no snapshot was shipped to r0")
		}
		slices.Sort(snaps)
		newest := snaps[len(snaps)-1]
		data, err := os.ReadFile(newest)
		if err != nil {
			t.Fatal(err)
		}
		for i := 100; i < len(data); i += 997 {
			data[i] ^= 0xff
		}
		if err := os.WriteFile(newest, data, 0o644); err != nil {
			t.Fatal(err)
		}
		r := cl.mustReplay("--from", "r0")
		if r.Objects != len(w.want) {
			t.Fatalf("replay %+v", r)
		}
		cl.startPrismd()
		w.check(t, cl)
	})
	t.Run("only the region that was down", func(t *testing.T) {
		t.Parallel()
		cl := rpStart(t, "0s")
		cl.servers[2].Stop()
		w := rpWrite(t, cl, "rp-late")
		cl.servers[2].Start()
		cl.waitShipped(2) // r2 catches up when it returns
		cl.crash()
		cl.servers[0].Stop()
		cl.servers[1].Stop()
		r := cl.mustReplay()
		if r.Source != "r2" || r.Objects != len(w.want) {
			t.Fatalf("replay from r2 alone: %+v", r)
		}
		cl.servers[0].Start()
		cl.servers[1].Start()
		cl.startPrismd()
		w.check(t, cl)
	})
}

// TestReplayPointInTime: a prefix is deleted by mistake; replay --until a
// moment before the delete brings every object of the prefix back,
// readable (purge_delay kept their data).
func TestReplayPointInTime(t *testing.T) {
	t.Parallel()
	cl := rpStart(t, "1h")
	ctx := context.Background()
	w := rpWrite(t, cl, "rp-pit")
	cl.waitShipped()
	before := time.Now().UTC()
	waitUntil(t, "a moment passed", func() bool { return time.Now().After(before.Add(10 * time.Millisecond)) })
	var doomed []string
	for k := range w.want {
		if b, key, _ := strings.Cut(k, "/"); b == w.buckets[0] && strings.HasPrefix(key, "small/") {
			doomed = append(doomed, key)
		}
	}
	if err := cl.deleteKeys(ctx, w.buckets[0], doomed); err != nil {
		t.Fatal(err)
	}
	cl.waitShipped()
	cl.crash()
	if code, out := cl.replay("--until", before.Add(-24*365*time.Hour).Format(time.RFC3339Nano)); code == 0 || !strings.Contains(out, "older") {
		t.Fatalf("--until before the oldest restorable point: exit %d\n%s", code, out)
	}
	if code, out := cl.replay("--until", before.Format(time.RFC3339Nano), "--dry-run"); code != 0 || !strings.Contains(out, "plan:") {
		t.Fatalf("dry run: exit %d\n%s", code, out)
	}
	r := cl.mustReplay("--until", before.Format(time.RFC3339Nano))
	if r.Objects != len(w.want) {
		t.Fatalf("replay --until: %+v, want %d objects", r, len(w.want))
	}
	cl.startPrismd()
	w.check(t, cl)
	// A non-empty data directory is refused without --force.
	cl.p.stop()
	if code, out := cl.replay(); code != 2 || !strings.Contains(out, "--force") {
		t.Fatalf("replay into a used data directory: exit %d\n%s", code, out)
	}
}

// TestReplayAfterKillsDuringShipping: prismd is killed with SIGKILL again
// and again while it writes and ships; the chain on the regions is never
// broken: a replay at the end restores everything that was acknowledged.
func TestReplayAfterKillsDuringShipping(t *testing.T) {
	t.Parallel()
	cl := rpStart(t, "0s")
	ctx := context.Background()
	b := cl.createBucket(ctx, "rp-kill")
	var mu sync.Mutex
	acked := map[string][]byte{}
	for round := range 5 {
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for w := range 3 {
			wg.Go(func() {
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					key := fmt.Sprintf("r%d-w%d-%d", round, w, i)
					body := rgRandom(1000 + rand.IntN(300<<10))
					if cl.putObj(ctx, b, key, body) == nil {
						mu.Lock()
						acked[key] = body
						mu.Unlock()
					}
				}
			})
		}
		n := len(acked)
		waitUntil(t, "some writes acknowledged", func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(acked) >= n+10
		})
		cl.p.kill() // mid-shipping: the log keeps growing and shipping every 200 ms
		close(stop)
		wg.Wait()
		cl.startPrismd()
	}
	cl.waitShipped()
	cl.crash()
	r := cl.mustReplay()
	if r.Objects < len(acked) { // a PUT may commit and lose its answer to the kill
		t.Fatalf("replay restored %d objects, %d were acknowledged", r.Objects, len(acked))
	}
	cl.startPrismd()
	for key, body := range acked {
		if err := cl.getCheck(ctx, b, key, body, 0, 0); err != nil {
			t.Fatalf("%s: %v", key, err)
		}
	}
}

// TestReplayUntilNewVersionIDs: a version written after the point a
// replay --until restores is gone with the abandoned history; a version
// written after the replay never gets its id (the log index alone would
// repeat), sorts after every version that survived, and the lost id
// answers NoSuchVersion instead of another version's data.
func TestReplayUntilNewVersionIDs(t *testing.T) {
	t.Parallel()
	cl := rpStart(t, "1h")
	ctx := context.Background()
	b := cl.createBucket(ctx, "rp-vid")
	if _, err := cl.c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: &b,
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	put := func(body string) string {
		t.Helper()
		out, err := cl.c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("k"), Body: strings.NewReader(body)})
		if err != nil || aws.ToString(out.VersionId) == "" {
			t.Fatalf("PUT %q: %v %v", body, out, err)
		}
		return aws.ToString(out.VersionId)
	}
	kept := put("kept")
	cl.waitShipped()
	before := time.Now().UTC()
	waitUntil(t, "a moment passed", func() bool { return time.Now().After(before.Add(10 * time.Millisecond)) })
	lost := put("lost")
	cl.waitShipped()
	cl.crash()
	cl.mustReplay("--until", before.Format(time.RFC3339Nano))
	cl.startPrismd()
	fresh := put("fresh")
	if fresh == lost || fresh <= kept {
		t.Fatalf("version ids: kept %s, lost %s, written after the replay %s", kept, lost, fresh)
	}
	_, err := cl.c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("k"), VersionId: &lost})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "NoSuchVersion" {
		t.Fatalf("GET of the version the replay abandoned: %v", err)
	}
	for id, want := range map[string]string{kept: "kept", fresh: "fresh"} {
		out, err := cl.c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("k"), VersionId: aws.String(id)})
		if err != nil {
			t.Fatalf("GET version %s: %v", id, err)
		}
		got, _ := io.ReadAll(out.Body)
		out.Body.Close()
		if string(got) != want {
			t.Fatalf("version %s: %q, want %q", id, got, want)
		}
	}
	// The ids stay the same when the new timeline is itself replayed.
	cl.waitShipped()
	cl.crash()
	cl.mustReplay()
	cl.startPrismd()
	vs, err := cl.c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: &b})
	if err != nil {
		t.Fatal(err)
	}
	if len(vs.Versions) != 2 || aws.ToString(vs.Versions[0].VersionId) != fresh || aws.ToString(vs.Versions[1].VersionId) != kept {
		t.Fatalf("versions after a second replay: %+v", vs.Versions)
	}
}
