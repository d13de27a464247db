package engine_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/prismd/prismd/backends"
	"github.com/prismd/prismd/backends/faulty"
	"github.com/prismd/prismd/backends/fs"
	"github.com/prismd/prismd/backends/mem"
	"github.com/prismd/prismd/engine"
	plog "github.com/prismd/prismd/log"
)

// TestReadSurvivesOverwriteAndDelete: a GET in progress keeps its bytes
// when the object is overwritten and then deleted and the purge worker
// runs: the purge waits for the reader, and no shard is reported missing.
func TestReadSurvivesOverwriteAndDelete(t *testing.T) {
	c := newCluster(t, 3, plog.Policy{Mode: "erasure", DataShards: 2, ParityShards: 1, Placement: "shuffle"})
	ctx := context.Background()
	c.e.CreateBucket(ctx, "bkt", "")
	data := payload(7, 20<<20) // 20 segments of 1 MiB
	put(t, c.e, "bkt", "big", data)
	c.e.WaitWrites()
	r, err := c.e.GetObject(ctx, "bkt", "big", engine.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 0, len(data))
	buf := make([]byte, 8<<20)
	n, err := io.ReadFull(r, buf)
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, buf[:n]...)
	put(t, c.e, "bkt", "big", payload(8, 1000)) // overwrite
	if err := c.e.DeleteObject(ctx, "bkt", "big"); err != nil {
		t.Fatal(err)
	}
	c.e.WaitWrites()
	if purged, left, err := c.e.RunPurge(ctx); err != nil || left == 0 {
		t.Fatalf("purge with a reader still streaming: purged %d, left %d, %v; want the read blob left", purged, left, err)
	}
	rest, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read after overwrite, delete and purge: %v", err)
	}
	got = append(got, rest...)
	r.Close()
	if !bytes.Equal(got, data) {
		t.Fatalf("read %d bytes, want the %d bytes of the object as it was", len(got), len(data))
	}
	if shards, _ := c.e.Pending(); shards != 0 {
		t.Fatalf("%d shards pending repair: the read reported shards of a purged blob", shards)
	}
	// The reader is gone: purge finishes.
	if _, left, err := c.e.RunPurge(ctx); err != nil || left != 0 {
		t.Fatalf("purge after the read: left %d, %v", left, err)
	}
	for i := range c.regions {
		var keys int
		c.backend(i).List(ctx, c.e.BackendBucket("bkt"), "", func(backends.ObjectInfo) bool { keys++; return true })
		if keys != 0 {
			t.Fatalf("region %s holds %d keys after the purge", c.names[i], keys)
		}
	}
}

// TestFullRegionRecovers: one region's disk is full. Writes there back off
// (no event per attempt), its state shows, and purge gets its turn on it:
// once the data of overwritten objects is purged, completion writes the
// missing shards and every object is fully redundant again.
func TestFullRegionRecovers(t *testing.T) {
	c := newCluster(t, 3, plog.Policy{Mode: "erasure", DataShards: 2, ParityShards: 1, Placement: "shuffle"})
	ctx := context.Background()
	c.e.CreateBucket(ctx, "bkt", "")
	full := c.regions[2]
	for i := range 10 {
		put(t, c.e, "bkt", fmt.Sprint(i), payload(uint64(i), 200_000))
	}
	c.e.WaitWrites()
	full.SetCapacity(full.Used()) // region c is full
	for i := range 10 {
		put(t, c.e, "bkt", fmt.Sprint(i), payload(uint64(100+i), 200_000)) // overwrite: c refuses the new shards
	}
	c.e.WaitWrites()
	state := func() engine.RegionHealth {
		for _, h := range c.e.Health() {
			if h.Name == "c" {
				return h
			}
		}
		t.Fatal("no region c")
		return engine.RegionHealth{}
	}
	if h := state(); h.State != "write-failing" || !h.Healthy || h.WriteError == "" {
		t.Fatalf("region c after refused writes: %+v; want write-failing and still healthy", h)
	}
	// Completion passes while c is full: no write is retried before its
	// backoff ends, and no failed retry adds an event to the log.
	last, puts := c.e.LastIndex(), full.Calls(faulty.OpPut)
	for range 20 {
		c.e.RunCompletion(ctx)
	}
	if c.e.LastIndex() != last {
		t.Fatalf("failed completion attempts appended %d events", c.e.LastIndex()-last)
	}
	if n := full.Calls(faulty.OpPut) - puts; n > 1 {
		t.Fatalf("%d writes to the full region within its backoff", n)
	}
	// Purge frees the old data on c; then completion (after the backoff)
	// fills in what c is missing.
	if _, left, err := c.e.RunPurge(ctx); err != nil || left != 0 {
		t.Fatalf("purge on the full region: left %d, %v", left, err)
	}
	waitFor(t, func() bool {
		c.e.RunCompletion(ctx)
		shards, _ := c.e.Pending()
		return shards == 0
	})
	if h := state(); h.State != "ok" {
		t.Fatalf("region c after recovery: %+v", h)
	}
	c.regions[0].SetDown(true) // every object reads from b and c
	for i := range 10 {
		if got, err := readAll(c.e, "bkt", fmt.Sprint(i)); err != nil || !bytes.Equal(got, payload(uint64(100+i), 200_000)) {
			t.Fatalf("object %d with region a down: %v", i, err)
		}
	}
}

// fsCluster is an engine over three fs regions under dir, background off.
func fsCluster(t *testing.T, dir string) *engine.Engine {
	t.Helper()
	var regions []engine.Region
	for _, name := range []string{"a", "b", "c"} {
		path := filepath.Join(dir, "regions", name)
		b, err := fs.New(path)
		if err != nil {
			t.Fatal(err)
		}
		regions = append(regions, engine.Region{Name: name, Backend: b, Spec: engine.RegionSpec{Type: "fs", Path: path}})
	}
	e, err := engine.Open(engine.Config{DataDir: filepath.Join(dir, "gateway"), Regions: regions,
		Policy:      plog.Policy{Mode: "erasure", DataShards: 2, ParityShards: 1, Placement: "shuffle"},
		SegmentSize: 1 << 20, BlockSize: 64 << 10, NoBackground: true, SnapshotEvery: -1, MasterKey: bytes.Repeat([]byte{1}, 32),
		OpenBackend: func(spec engine.RegionSpec) (backends.Backend, error) {
			if spec.Type == "s3" {
				return mem.New(), nil // never reached: a stand-in
			}
			return fs.New(spec.Path)
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// shardStates counts the states of every shard of the objects.
func shardStates(t *testing.T, e *engine.Engine, bucket string, keys []string, region string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, k := range keys {
		locs, err := e.Locate(bucket, k)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range locs {
			if region == "" || l.Region == region {
				out[l.State]++
			}
		}
	}
	return out
}

// putKeys makes bucket bkt and puts n objects "0"…"n-1" of 300,000 bytes
// (payload(i)), waiting for every shard.
func putKeys(t *testing.T, e *engine.Engine, n int) []string {
	t.Helper()
	e.CreateBucket(context.Background(), "bkt", "")
	var keys []string
	for i := range n {
		keys = append(keys, fmt.Sprint(i))
		put(t, e, "bkt", keys[i], payload(uint64(i), 300_000))
	}
	e.WaitWrites()
	return keys
}

// TestWipedRegionRefilled: a region's directory removed by hand is found
// out (its identity marker is gone), its lost shards count as missing and
// are written again, and it is healthy and full again afterwards.
func TestWipedRegionRefilled(t *testing.T) {
	dir := t.TempDir()
	e := fsCluster(t, dir)
	ctx := context.Background()
	keys := putKeys(t, e, 8)
	e.CheckRegions(ctx, true) // markers written
	if err := os.RemoveAll(filepath.Join(dir, "regions", "c")); err != nil {
		t.Fatal(err)
	}
	e.CheckRegions(ctx, true)
	st := shardStates(t, e, "bkt", keys, "c")
	if st["missing"] == 0 || st["stored"] != 0 {
		t.Fatalf("shards on the wiped region: %v; want all missing", st)
	}
	if u := e.Usage()["c"]; u.Shards != 0 || u.Pending == 0 {
		t.Fatalf("usage of the wiped region: %+v", u)
	}
	if w, f, _ := e.RunCompletion(ctx); w == 0 || f != 0 {
		t.Fatalf("completion wrote %d, failed %d", w, f)
	}
	if st := shardStates(t, e, "bkt", keys, ""); len(st) != 1 || st["stored"] == 0 {
		t.Fatalf("after completion: %v", st)
	}
	// Every object reads from b and c alone.
	if err := os.RemoveAll(filepath.Join(dir, "regions", "a", e.BackendBucket("bkt"))); err != nil {
		t.Fatal(err)
	}
	for i, k := range keys {
		if got, err := readAll(e, "bkt", k); err != nil || !bytes.Equal(got, payload(uint64(i), 300_000)) {
			t.Fatalf("%s after refill: %v", k, err)
		}
	}
}

// TestLostBackendBucketFound: a backend bucket deleted by hand (the region's
// marker intact) is found by the first call that meets NoSuchBucket, and
// refilled.
func TestLostBackendBucketFound(t *testing.T) {
	dir := t.TempDir()
	e := fsCluster(t, dir)
	ctx := context.Background()
	keys := putKeys(t, e, 6)
	e.CheckRegions(ctx, true)
	if err := os.RemoveAll(filepath.Join(dir, "regions", "b", e.BackendBucket("bkt"))); err != nil {
		t.Fatal(err)
	}
	// Reads still succeed from a and c (they may or may not ask b).
	for i, k := range keys {
		if got, err := readAll(e, "bkt", k); err != nil || !bytes.Equal(got, payload(uint64(i), 300_000)) {
			t.Fatalf("%s: %v", k, err)
		}
	}
	// A write puts one shard on every region (2+1 over three), so b
	// surely meets NoSuchBucket.
	put(t, e, "bkt", "after", payload(99, 300_000))
	e.WaitWrites()
	keys = append(keys, "after")
	if h := health(t, e, "b"); h.State != "checking" {
		t.Fatalf("region b after NoSuchBucket: %+v", h)
	}
	e.CheckRegions(ctx, false)
	if st := shardStates(t, e, "bkt", keys, "b"); st["stored"] != 0 {
		t.Fatalf("shards on b after its bucket was found lost: %v", st)
	}
	e.RunCompletion(ctx)
	if st := shardStates(t, e, "bkt", keys, ""); len(st) != 1 || st["stored"] == 0 {
		t.Fatalf("after completion: %v", st)
	}
	if h := health(t, e, "b"); h.State != "ok" {
		t.Fatalf("region b after refill: %+v", h)
	}
}

func health(t *testing.T, e *engine.Engine, name string) engine.RegionHealth {
	t.Helper()
	for _, h := range e.Health() {
		if h.Name == name {
			return h
		}
	}
	t.Fatalf("no region %s", name)
	return engine.RegionHealth{}
}

// TestRegionMovedIsRefilled: a region added at run time and then pointed
// at another directory is a new, empty region: its shards are written
// again there.
func TestRegionMovedIsRefilled(t *testing.T) {
	dir := t.TempDir()
	e := fsCluster(t, dir)
	ctx := context.Background()
	first := filepath.Join(dir, "regions", "d1")
	if err := e.AddRegion(ctx, engine.RegionSpec{Name: "d", Type: "fs", Path: first}); err != nil {
		t.Fatal(err)
	}
	if err := e.SetBucketPolicy(ctx, "bkt", plog.Policy{}); err == nil {
		t.Fatal("policy of a missing bucket")
	}
	e.CreateBucket(ctx, "bkt", "")
	if err := e.SetBucketPolicy(ctx, "bkt", plog.Policy{Mode: "erasure", DataShards: 3, ParityShards: 1, Placement: "shuffle"}); err != nil {
		t.Fatal(err)
	}
	keys := []string{"x", "y", "z"}
	for i, k := range keys {
		put(t, e, "bkt", k, payload(uint64(i), 200_000)) // 3+1 over 4 regions: a shard on d each
	}
	e.WaitWrites()
	if st := shardStates(t, e, "bkt", keys, "d"); st["stored"] != 3 {
		t.Fatalf("shards on d: %v", st)
	}
	second := filepath.Join(dir, "regions", "d2")
	if err := e.AddRegion(ctx, engine.RegionSpec{Name: "d", Type: "fs", Path: second}); err != nil {
		t.Fatal(err)
	}
	if st := shardStates(t, e, "bkt", keys, "d"); st["missing"] != 3 {
		t.Fatalf("shards on d after it moved: %v", st)
	}
	if w, f, _ := e.RunCompletion(ctx); w != 3 || f != 0 {
		t.Fatalf("completion wrote %d, failed %d", w, f)
	}
	var files int
	filepath.WalkDir(filepath.Join(second, e.BackendBucket("bkt")), func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files++
		}
		return nil
	})
	if files != 3 {
		t.Fatalf("the new directory of d holds %d shards, want 3", files)
	}
}

// TestRegionValidation: one validation of region specs: names, types and
// their keys, and no two regions on the same storage.
func TestRegionValidation(t *testing.T) {
	dir := t.TempDir()
	e := fsCluster(t, dir)
	ctx := context.Background()
	for _, tc := range []struct {
		spec  engine.RegionSpec
		field string
	}{
		{engine.RegionSpec{Name: "../../etc", Type: "fs", Path: "/tmp/x1"}, "name"},
		{engine.RegionSpec{Name: string(bytes.Repeat([]byte("n"), 300)), Type: "fs", Path: "/tmp/x2"}, "name"},
		{engine.RegionSpec{Name: "with space", Type: "fs", Path: "/tmp/x3"}, "name"},
		{engine.RegionSpec{Name: "d", Type: "fs", Path: filepath.Join(dir, "regions", "a")}, "path"},
		{engine.RegionSpec{Name: "d", Type: "fs", Path: filepath.Join(dir, "regions", "a", "inner")}, "path"},
		{engine.RegionSpec{Name: "d", Type: "fs", Path: dir}, "path"},
		{engine.RegionSpec{Name: "d", Type: "fs", Path: "/tmp/x4", Endpoint: "http://h"}, "endpoint"},
		{engine.RegionSpec{Name: "d", Type: "s3", Endpoint: "http://h", AccessKey: "a", SecretKey: "s", Path: "/x"}, "path"},
		{engine.RegionSpec{Name: "d", Type: "s3", Endpoint: "ftp://h", AccessKey: "a", SecretKey: "s"}, "endpoint"},
		{engine.RegionSpec{Name: "d", Type: "nfs"}, "type"},
		{engine.RegionSpec{Name: "d", Type: ""}, "type"},
	} {
		err := e.AddRegion(ctx, tc.spec)
		var re *engine.RegionError
		if !errors.As(err, &re) || re.Field != tc.field || !errors.Is(err, engine.ErrInvalidArgument) {
			t.Errorf("AddRegion(%+v) = %v; want an invalid %s", tc.spec, err, tc.field)
		}
	}
	// Two run-time regions on one endpoint and bucket.
	if err := e.AddRegion(ctx, engine.RegionSpec{Name: "s1", Type: "s3", Endpoint: "http://127.0.0.1:1", AccessKey: "a", SecretKey: "s", Bucket: "shared"}); err != nil {
		t.Fatal(err)
	}
	if err := e.AddRegion(ctx, engine.RegionSpec{Name: "s2", Type: "s3", Endpoint: "HTTP://127.0.0.1:1/", AccessKey: "b", SecretKey: "s", Bucket: "shared"}); err == nil {
		t.Fatal("a second region on the same endpoint and bucket was accepted")
	}
	if err := e.AddRegion(ctx, engine.RegionSpec{Name: "s2", Type: "s3", Endpoint: "http://127.0.0.1:1", AccessKey: "b", SecretKey: "s", Bucket: "other"}); err != nil {
		t.Fatalf("another bucket of the same endpoint: %v", err)
	}
	// Configured regions are described by their spec.
	for _, ri := range e.Regions() {
		if ri.Type == "" || ri.SecretKey != "" {
			t.Errorf("region %+v: no type, or a secret shown", ri)
		}
	}
}

// TestCloseDuringWrites: Close while PUTs are in flight never races: every
// PUT either succeeds or fails with ErrClosed, and Close returns.
func TestCloseDuringWrites(t *testing.T) {
	for try := range 10 {
		c := newCluster(t, 3, plog.Policy{Mode: "erasure", DataShards: 2, ParityShards: 1, Placement: "shuffle"})
		ctx := context.Background()
		c.e.CreateBucket(ctx, "bkt", "")
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for w := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					data := payload(uint64(w*1000+i), 100_000)
					_, err := c.e.PutObject(ctx, engine.PutInput{Bucket: "bkt", Key: fmt.Sprint(w, "-", i), Size: int64(len(data)), Body: bytes.NewReader(data)})
					if err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		if err := c.e.Close(); err != nil {
			t.Fatalf("try %d: close: %v", try, err)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if !errors.Is(err, engine.ErrClosed) {
				t.Fatalf("try %d: a PUT during Close failed with %v, want ErrClosed", try, err)
			}
		}
		c.e = nil
	}
}

// TestBucketRaces: creations of one bucket race (exactly one wins), and a
// PUT racing DeleteBucket either lands before the deletion (which then
// fails) or fails itself — an object never outlives its bucket.
func TestBucketRaces(t *testing.T) {
	c := newCluster(t, 3, plog.Policy{Mode: "replica", ParityShards: 1, Placement: "shuffle"})
	ctx := context.Background()
	for i := range 40 {
		name := fmt.Sprintf("race-%d", i)
		var wg sync.WaitGroup
		results := make([]error, 4)
		for j := range results {
			wg.Add(1)
			go func() { defer wg.Done(); results[j] = c.e.CreateBucket(ctx, name, "") }()
		}
		wg.Wait()
		won := 0
		for _, err := range results {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, engine.ErrBucketExists):
				t.Fatalf("create %s: %v", name, err)
			}
		}
		if won != 1 {
			t.Fatalf("%d creations of %s succeeded", won, name)
		}
		var putErr, delErr error
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, putErr = c.e.PutObject(ctx, engine.PutInput{Bucket: name, Key: "k", Size: 10, Body: bytes.NewReader(make([]byte, 10))})
		}()
		go func() { defer wg.Done(); delErr = c.e.DeleteBucket(ctx, name) }()
		wg.Wait()
		_, headErr := c.e.HeadBucket(ctx, name)
		switch {
		case delErr == nil:
			if !errors.Is(putErr, engine.ErrNoSuchBucket) || !errors.Is(headErr, engine.ErrNoSuchBucket) {
				t.Fatalf("%s deleted, but put: %v, head: %v", name, putErr, headErr)
			}
		case errors.Is(delErr, engine.ErrBucketNotEmpty):
			if putErr != nil || headErr != nil {
				t.Fatalf("%s not empty, but put: %v, head: %v", name, putErr, headErr)
			}
		default:
			t.Fatalf("delete %s: %v", name, delErr)
		}
	}
	c.e.WaitWrites()
	if _, left, _ := c.e.RunPurge(ctx); left != 0 {
		t.Fatalf("%d purges left", left)
	}
}

// TestRemovedRegionLosesPartShards: removing a region counts the shards of
// multipart parts on it as lost too (decided when the event is applied),
// and the completed object still reads.
func TestRemovedRegionLosesPartShards(t *testing.T) {
	c := newCluster(t, 3, plog.Policy{Mode: "erasure", DataShards: 2, ParityShards: 1, Placement: "shuffle"})
	c.cfg.OpenBackend = func(spec engine.RegionSpec) (backends.Backend, error) { return mem.New(), nil }
	c.restart()
	ctx := context.Background()
	if err := c.e.AddRegion(ctx, engine.RegionSpec{Name: "d", Type: "s3", Endpoint: "http://127.0.0.1:1", AccessKey: "a", SecretKey: "secret-key"}); err != nil {
		t.Fatal(err)
	}
	c.e.CreateBucket(ctx, "bkt", "")
	if err := c.e.SetBucketPolicy(ctx, "bkt", plog.Policy{Mode: "erasure", DataShards: 3, ParityShards: 1, Placement: "shuffle"}); err != nil {
		t.Fatal(err)
	}
	up, _ := c.e.CreateUpload(ctx, "bkt", "mp", "", nil, nil)
	data := payload(5, 300_000)
	etag, err := uploadPart(t, c.e, "bkt", "mp", up.UploadID, 1, data) // 3+1 over 4 regions: a shard on d
	if err != nil {
		t.Fatal(err)
	}
	c.e.WaitWrites()
	if err := c.e.RemoveRegion(ctx, "d"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.e.CompleteUpload(ctx, "bkt", "mp", up.UploadID, []engine.CompletePart{{Number: 1, ETag: etag}}, engine.Conditions{}); err != nil {
		t.Fatal(err)
	}
	st := shardStates(t, c.e, "bkt", []string{"mp"}, "d")
	if st["missing"] != 1 || st["stored"] != 0 {
		t.Fatalf("the part's shard on the removed region: %v, want missing", st)
	}
	if got, err := readAll(c.e, "bkt", "mp"); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read: %v", err)
	}
}

// closingBackend counts Close calls (an optional capability of backends).
type closingBackend struct {
	backends.Backend
	closed *int
}

func (b closingBackend) Close() error { *b.closed++; return nil }

// TestAddRegionOrder: a region changed at run time is used only once its
// event is durable, and the backend it replaces is closed (its idle
// connections released); a failed change leaves the old one in use.
func TestAddRegionOrder(t *testing.T) {
	c := newCluster(t, 3, plog.Policy{Mode: "erasure", DataShards: 2, ParityShards: 1, Placement: "shuffle"})
	closed := map[string]*int{}
	c.cfg.OpenBackend = func(spec engine.RegionSpec) (backends.Backend, error) {
		n := new(int)
		closed[spec.Endpoint] = n
		return closingBackend{Backend: mem.New(), closed: n}, nil
	}
	c.restart()
	ctx := context.Background()
	spec := engine.RegionSpec{Name: "d", Type: "s3", Endpoint: "http://127.0.0.1:1", AccessKey: "a", SecretKey: "secret-key"}
	if err := c.e.AddRegion(ctx, spec); err != nil {
		t.Fatal(err)
	}
	spec.Endpoint = "http://127.0.0.1:2"
	if err := c.e.AddRegion(ctx, spec); err != nil {
		t.Fatal(err)
	}
	if *closed["http://127.0.0.1:1"] != 1 || *closed["http://127.0.0.1:2"] != 0 {
		t.Fatalf("closed: first %d, second %d; want the replaced one closed once", *closed["http://127.0.0.1:1"], *closed["http://127.0.0.1:2"])
	}
	for _, ri := range c.e.Regions() {
		if ri.Name == "d" && ri.Endpoint != "http://127.0.0.1:2" {
			t.Fatalf("region d is %+v", ri)
		}
	}
	// With the log closed the change cannot be recorded: the backend it
	// built is closed and the region in use stays the same.
	c.e.Close()
	spec.Endpoint = "http://127.0.0.1:3"
	if err := c.e.AddRegion(ctx, spec); !errors.Is(err, engine.ErrClosed) {
		t.Fatalf("AddRegion after Close: %v", err)
	}
	if *closed["http://127.0.0.1:3"] != 1 {
		t.Fatal("the backend of a change that was not recorded is still open")
	}
	c.e = nil
}

// TestReadSurvivesRegionLossAfterHedge: a slow region's stream, dropped
// after a hedge read its stripe from another region, stays a spare: when a
// fast region dies mid-read, the read goes on from the slow one instead of
// failing with k-1 good shards.
func TestReadSurvivesRegionLossAfterHedge(t *testing.T) {
	c := newCluster(t, 3, plog.Policy{Mode: "erasure", DataShards: 2, ParityShards: 1, Placement: "priority"})
	ctx := context.Background()
	c.e.CreateBucket(ctx, "bkt", "")
	data := payload(3, 900_000) // one segment, several stripes: shard 0 on a, 1 on b, parity on c
	put(t, c.e, "bkt", "k", data)
	c.e.WaitWrites()
	c.regions[1].SetLatency(400 * time.Millisecond) // b answers late: the first stripe hedges to c
	r, err := c.e.GetObject(ctx, "bkt", "k", engine.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	first := make([]byte, 64<<10)
	if _, err := io.ReadFull(r, first); err != nil {
		t.Fatal(err)
	}
	c.regions[0].SetDown(true) // a dies mid-read: b, dropped as slow, must take its place
	rest, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read after a region died: %v", err)
	}
	if got := append(first, rest...); !bytes.Equal(got, data) {
		t.Fatal("bytes differ")
	}
}
