package engine_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sync"
	"testing"

	"github.com/prismd/prismd/engine"
	plog "github.com/prismd/prismd/log"
)

func versionedCluster(t *testing.T, status string) (*cluster, context.Context) {
	c := newCluster(t, 3, plog.Policy{Mode: "replica", ParityShards: 1, Placement: "shuffle"})
	ctx := context.Background()
	if err := c.e.CreateBucket(ctx, "vers", ""); err != nil {
		t.Fatal(err)
	}
	if status != "" {
		if err := c.e.SetBucketVersioning(ctx, "vers", status); err != nil {
			t.Fatal(err)
		}
	}
	return c, ctx
}

func putBytes(t *testing.T, e *engine.Engine, bucket, key string, data []byte) (engine.ObjectInfo, error) {
	t.Helper()
	return e.PutObject(context.Background(), engine.PutInput{Bucket: bucket, Key: key, Size: int64(len(data)), Body: bytes.NewReader(data)})
}

func allVersions(t *testing.T, e *engine.Engine, bucket string, max int) []engine.ObjectInfo {
	t.Helper()
	var out []engine.ObjectInfo
	in := engine.ListVersionsInput{Bucket: bucket, MaxKeys: max}
	for {
		res, err := e.ListObjectVersions(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, res.Versions...)
		if !res.Truncated {
			return out
		}
		if res.NextKeyMarker == "" {
			t.Fatal("truncated page without a next marker")
		}
		in.KeyMarker, in.VersionIDMarker = res.NextKeyMarker, res.NextVersionIDMarker
	}
}

// TestVersionsRacePutDelete races PUTs and DELETEs on one key of a
// versioned bucket: every acknowledged version and marker is listed once,
// exactly one is the latest, and it is the one acknowledged last.
func TestVersionsRacePutDelete(t *testing.T) {
	c, ctx := versionedCluster(t, engine.VersioningEnabled)
	var mu sync.Mutex
	acked := map[string]bool{} // version id → is a marker
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				if (w+i)%3 == 0 {
					res, err := c.e.DeleteObjectVersion(ctx, "vers", "k", "")
					if err != nil || !res.DeleteMarker || res.VersionID == "" {
						t.Errorf("delete: %+v %v", res, err)
						return
					}
					mu.Lock()
					acked[res.VersionID] = true
					mu.Unlock()
					continue
				}
				info, err := putBytes(t, c.e, "vers", "k", payload(uint64(w*100+i), 100))
				if err != nil || info.VersionID == "" {
					t.Errorf("put: %+v %v", info, err)
					return
				}
				mu.Lock()
				acked[info.VersionID] = false
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	check := func() {
		t.Helper()
		vs := allVersions(t, c.e, "vers", 3)
		if len(vs) != len(acked) || len(acked) != 40 {
			t.Fatalf("%d versions listed, %d acknowledged", len(vs), len(acked))
		}
		latest := 0
		for i, v := range vs {
			marker, ok := acked[v.VersionID]
			if !ok || marker != v.DeleteMarker {
				t.Fatalf("version %s (marker %v) was not acknowledged as such", v.VersionID, v.DeleteMarker)
			}
			if i > 0 && vs[i-1].VersionID <= v.VersionID {
				t.Fatalf("versions not newest first: %s then %s", vs[i-1].VersionID, v.VersionID)
			}
			if v.IsLatest {
				latest++
				if i != 0 {
					t.Fatalf("latest version listed at %d", i)
				}
			}
		}
		if latest != 1 {
			t.Fatalf("%d latest versions", latest)
		}
		_, err := c.e.HeadObject(ctx, "vers", "k", engine.GetOptions{})
		if vs[0].DeleteMarker != errors.Is(err, engine.ErrNoSuchKey) {
			t.Fatalf("latest is a marker: %v, HEAD: %v", vs[0].DeleteMarker, err)
		}
	}
	check()
	before := allVersions(t, c.e, "vers", 1000)
	c.restart()
	if after := allVersions(t, c.e, "vers", 1000); !reflect.DeepEqual(before, after) {
		t.Fatalf("versions after restart differ")
	}
	if _, err := c.e.Snapshot(); err != nil {
		t.Fatal(err)
	}
	c.restart()
	if after := allVersions(t, c.e, "vers", 1000); !reflect.DeepEqual(before, after) {
		t.Fatalf("versions after a snapshot and restart differ")
	}
	check()
}

// TestVersionIDOnUnversionedBucket: "null" names the object, any other
// valid id is NoSuchVersion, a malformed one is invalid; no version id is
// reported.
func TestVersionIDOnUnversionedBucket(t *testing.T) {
	c, ctx := versionedCluster(t, "")
	info, err := putBytes(t, c.e, "vers", "k", []byte("hello"))
	if err != nil || info.VersionID != "" {
		t.Fatalf("put: %+v %v", info, err)
	}
	if info, err := c.e.HeadObject(ctx, "vers", "k", engine.GetOptions{VersionID: "null"}); err != nil || info.Size != 5 || info.VersionID != "" {
		t.Fatalf("head null: %+v %v", info, err)
	}
	if _, err := c.e.HeadObject(ctx, "vers", "k", engine.GetOptions{VersionID: "0000000000000001"}); !errors.Is(err, engine.ErrNoSuchVersion) {
		t.Fatalf("head of another version: %v", err)
	}
	if _, err := c.e.GetObject(ctx, "vers", "k", engine.GetOptions{VersionID: "x"}); !errors.Is(err, engine.ErrInvalidVersion) {
		t.Fatalf("get of a malformed version: %v", err)
	}
	if _, err := c.e.DeleteObjectVersion(ctx, "vers", "k", "zz"); !errors.Is(err, engine.ErrInvalidVersion) {
		t.Fatalf("delete of a malformed version: %v", err)
	}
	if res, err := c.e.DeleteObjectVersion(ctx, "vers", "k", "0000000000000001"); err != nil || res.DeleteMarker {
		t.Fatalf("delete of a missing version: %+v %v", res, err)
	}
	vs := allVersions(t, c.e, "vers", 1000)
	if len(vs) != 1 || vs[0].VersionID != engine.NullVersion || !vs[0].IsLatest {
		t.Fatalf("versions %+v", vs)
	}
	if res, err := c.e.DeleteObjectVersion(ctx, "vers", "k", engine.NullVersion); err != nil || res.DeleteMarker {
		t.Fatalf("delete null: %+v %v", res, err)
	}
	if _, err := c.e.HeadObject(ctx, "vers", "k", engine.GetOptions{}); !errors.Is(err, engine.ErrNoSuchKey) {
		t.Fatalf("head after deleting the null version: %v", err)
	}
	if err := c.e.SetBucketVersioning(ctx, "vers", ""); !errors.Is(err, engine.ErrInvalidArgument) {
		t.Fatalf("back to unversioned: %v", err)
	}
	if err := c.e.SetBucketVersioning(ctx, "nope", engine.VersioningEnabled); !errors.Is(err, engine.ErrNoSuchBucket) {
		t.Fatalf("missing bucket: %v", err)
	}
}

// TestVersionsMultipartAndPartCopy: CompleteMultipartUpload makes a new
// version; UploadPartCopy reads an old version.
func TestVersionsMultipartAndPartCopy(t *testing.T) {
	c, ctx := versionedCluster(t, engine.VersioningEnabled)
	old := payload(1, 1000)
	v1, err := putBytes(t, c.e, "vers", "src", old)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := putBytes(t, c.e, "vers", "src", payload(2, 500)); err != nil {
		t.Fatal(err)
	}
	u, err := c.e.CreateUpload(ctx, "vers", "mp", "", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.e.UploadPartCopy(ctx, u.UploadID, 1, "vers", "mp", "vers", "src", v1.VersionID, engine.Conditions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum(old)
	if p.ETag != hex.EncodeToString(sum[:]) {
		t.Fatalf("part copied from the old version has ETag %s", p.ETag)
	}
	if _, err := c.e.UploadPartCopy(ctx, u.UploadID, 2, "vers", "mp", "vers", "src", "0000000000abcdef", engine.Conditions{}, nil); !errors.Is(err, engine.ErrNoSuchVersion) {
		t.Fatalf("part copy of a missing version: %v", err)
	}
	m1, err := c.e.CompleteUpload(ctx, "vers", "mp", u.UploadID, []engine.CompletePart{{Number: 1, ETag: p.ETag}}, engine.Conditions{})
	if err != nil || m1.VersionID == "" {
		t.Fatalf("complete: %+v %v", m1, err)
	}
	if _, err := putBytes(t, c.e, "vers", "mp", []byte("x")); err != nil {
		t.Fatal(err)
	}
	r, err := c.e.GetObject(ctx, "vers", "mp", engine.GetOptions{VersionID: m1.VersionID})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(r)
	r.Close()
	if !bytes.Equal(got, old) || r.Info.VersionID != m1.VersionID || r.Info.PartsCount != 1 {
		t.Fatalf("old multipart version: %d bytes, %+v", len(got), r.Info)
	}
}

// TestVersionsDeleteBucket: a bucket holding only versions or delete
// markers is not empty.
func TestVersionsDeleteBucket(t *testing.T) {
	c, ctx := versionedCluster(t, engine.VersioningEnabled)
	if _, err := c.e.DeleteObjectVersion(ctx, "vers", "ghost", ""); err != nil {
		t.Fatal(err)
	}
	if err := c.e.DeleteBucket(ctx, "vers"); !errors.Is(err, engine.ErrBucketNotEmpty) {
		t.Fatalf("delete of a bucket holding a marker: %v", err)
	}
	vs := allVersions(t, c.e, "vers", 1000)
	if len(vs) != 1 || !vs[0].DeleteMarker {
		t.Fatalf("versions %+v", vs)
	}
	if _, err := c.e.DeleteObjectVersion(ctx, "vers", "ghost", vs[0].VersionID); err != nil {
		t.Fatal(err)
	}
	if err := c.e.DeleteBucket(ctx, "vers"); err != nil {
		t.Fatal(fmt.Errorf("delete of the emptied bucket: %w", err))
	}
}

// TestScrubRepairsNoncurrentVersion: scrub checks every version, not only
// the current ones: a shard lost from an overwritten version is rebuilt.
func TestScrubRepairsNoncurrentVersion(t *testing.T) {
	c := newScrubCluster(t, 1)
	ctx := context.Background()
	if err := c.e.SetBucketVersioning(ctx, "bkt", engine.VersioningEnabled); err != nil {
		t.Fatal(err)
	}
	lost := c.shard("bkt", "obj-00", 0)
	old := c.bodies["bkt/obj-00"]
	c.add("bkt", "obj-00", 99) // obj-00's first version is now noncurrent
	c.e.WaitWrites()
	c.remove(lost)
	sum := c.scrub(engine.ScrubOptions{})
	if got, want := countsOf(sum), (counts{missing: 1, repaired: 1}); got != want || sum.Objects != 2 {
		t.Fatalf("scrub: %+v over %d versions, want %+v over 2", got, sum.Objects, want)
	}
	r, err := c.e.GetObject(ctx, "bkt", "obj-00", engine.GetOptions{VersionID: engine.NullVersion})
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	r.Close()
	if err != nil || !bytes.Equal(got, old) {
		t.Fatalf("old version after the repair: %d bytes, %v", len(got), err)
	}
}

// TestBucketConfig: a configuration document is stored, replaced, removed,
// survives a restart from the log, and a missing bucket is refused.
func TestBucketConfig(t *testing.T) {
	c, ctx := versionedCluster(t, "")
	if err := c.e.SetBucketConfig(ctx, "nope", engine.ConfigCORS, []byte("x")); !errors.Is(err, engine.ErrNoSuchBucket) {
		t.Fatalf("missing bucket: %v", err)
	}
	if err := c.e.CreateBucket(ctx, "cfg", ""); err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		name string
		doc  string
	}{{engine.ConfigCORS, "<a/>"}, {engine.ConfigLifecycle, "<l/>"}, {engine.ConfigLifecycle, ""}} {
		if err := c.e.SetBucketConfig(ctx, "cfg", step.name, []byte(step.doc)); err != nil {
			t.Fatal(err)
		}
	}
	c.restart()
	if doc, ok, err := c.e.BucketConfig("cfg", engine.ConfigCORS); err != nil || !ok || string(doc) != "<a/>" {
		t.Fatalf("cors after restart: %q %v %v", doc, ok, err)
	}
	if _, ok, err := c.e.BucketConfig("cfg", engine.ConfigLifecycle); err != nil || ok {
		t.Fatalf("removed lifecycle: %v %v", ok, err)
	}
}
