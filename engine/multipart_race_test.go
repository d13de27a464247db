package engine_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/prismd/prismd/backends"
	"github.com/prismd/prismd/engine"
	plog "github.com/prismd/prismd/log"
)

// uploadPart uploads data as part n and returns its ETag.
func uploadPart(t testing.TB, e *engine.Engine, bucket, key, id string, n int, data []byte) (string, error) {
	t.Helper()
	p, err := e.UploadPart(context.Background(), id, n, engine.PutInput{Bucket: bucket, Key: key, Size: int64(len(data)), Body: bytes.NewReader(data)})
	return p.ETag, err
}

// TestCompleteRacesAbort: a CompleteMultipartUpload and an Abort of the
// same upload race; exactly one of them wins, and the object exists exactly
// when the completion won.
func TestCompleteRacesAbort(t *testing.T) {
	c := newCluster(t, 3, plog.Policy{Mode: "erasure", DataShards: 2, ParityShards: 1, Placement: "shuffle"})
	ctx := context.Background()
	c.e.CreateBucket(ctx, "bkt", "")
	completions, aborts := 0, 0
	for i := range 60 {
		key := fmt.Sprintf("race-%d", i)
		up, err := c.e.CreateUpload(ctx, "bkt", key, "", nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		data := payload(uint64(i), 100_000)
		etag, err := uploadPart(t, c.e, "bkt", key, up.UploadID, 1, data)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var completeErr, abortErr error
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, completeErr = c.e.CompleteUpload(ctx, "bkt", key, up.UploadID, []engine.CompletePart{{Number: 1, ETag: etag}}, engine.Conditions{})
		}()
		go func() { defer wg.Done(); abortErr = c.e.AbortUpload(ctx, "bkt", key, up.UploadID) }()
		wg.Wait()
		got, readErr := readAll(c.e, "bkt", key)
		switch {
		case completeErr == nil && errors.Is(abortErr, engine.ErrNoSuchUpload):
			completions++
			if readErr != nil || !bytes.Equal(got, data) {
				t.Fatalf("try %d: completion won but the object reads %d bytes, %v", i, len(got), readErr)
			}
		case abortErr == nil && errors.Is(completeErr, engine.ErrNoSuchUpload):
			aborts++
			if !errors.Is(readErr, engine.ErrNoSuchKey) {
				t.Fatalf("try %d: abort won but the object exists (%d bytes, %v)", i, len(got), readErr)
			}
		default:
			t.Fatalf("try %d: complete %v, abort %v: exactly one must win", i, completeErr, abortErr)
		}
	}
	t.Logf("%d completions, %d aborts won", completions, aborts)
	c.e.WaitWrites()
	if _, _, err := c.e.RunPurge(ctx); err != nil {
		t.Fatal(err)
	}
	if shards, purges := c.e.Pending(); purges != 0 {
		t.Fatalf("%d purges left (and %d shards)", purges, shards)
	}
}

// TestCompleteRacesPartUpload: part 2 is uploaded again while a completion
// that listed the earlier part 2 runs. Either the completion wins (with the
// earlier part, whose bytes the object then holds) or the new part does
// (and the completion fails); never an object that mixes them.
func TestCompleteRacesPartUpload(t *testing.T) {
	c := newCluster(t, 3, plog.Policy{Mode: "erasure", DataShards: 2, ParityShards: 1, Placement: "shuffle"})
	ctx := context.Background()
	c.e.CreateBucket(ctx, "bkt", "")
	part1 := payload(1, engine.MinPartSize)
	for i := range 20 {
		key := fmt.Sprintf("race-%d", i)
		up, _ := c.e.CreateUpload(ctx, "bkt", key, "", nil, nil)
		etag1, err := uploadPart(t, c.e, "bkt", key, up.UploadID, 1, part1)
		if err != nil {
			t.Fatal(err)
		}
		old2, new2 := payload(uint64(100+i), 300_000), payload(uint64(200+i), 200_000)
		etag2, err := uploadPart(t, c.e, "bkt", key, up.UploadID, 2, old2)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var completeErr, partErr error
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, completeErr = c.e.CompleteUpload(ctx, "bkt", key, up.UploadID, []engine.CompletePart{{Number: 1, ETag: etag1}, {Number: 2, ETag: etag2}}, engine.Conditions{})
		}()
		go func() { defer wg.Done(); _, partErr = uploadPart(t, c.e, "bkt", key, up.UploadID, 2, new2) }()
		wg.Wait()
		info, headErr := c.e.HeadObject(ctx, "bkt", key, engine.GetOptions{})
		got, readErr := readAll(c.e, "bkt", key)
		switch {
		case completeErr == nil:
			want := append(bytes.Clone(part1), old2...)
			if partErr == nil {
				t.Fatalf("try %d: both the completion and the late part succeeded", i)
			}
			if headErr != nil || info.Size != int64(len(want)) || readErr != nil || !bytes.Equal(got, want) {
				t.Fatalf("try %d: completion won but HEAD says %d bytes (%v), GET %d bytes (%v), want %d", i, info.Size, headErr, len(got), readErr, len(want))
			}
		case partErr == nil && (errors.Is(completeErr, engine.ErrInvalidPart) || errors.Is(completeErr, engine.ErrNoSuchUpload)):
			if !errors.Is(readErr, engine.ErrNoSuchKey) {
				t.Fatalf("try %d: the new part won but an object exists (%d bytes)", i, len(got))
			}
		default:
			t.Fatalf("try %d: complete %v, part %v", i, completeErr, partErr)
		}
	}
}

// TestPartRacesDeleteBucket: a part committed while its bucket is deleted
// never leaves data behind on the regions. (The window is narrow: 300
// tries made the defect show within three runs.)
func TestPartRacesDeleteBucket(t *testing.T) {
	c := newCluster(t, 3, plog.Policy{Mode: "replica", ParityShards: 2, Placement: "shuffle"})
	ctx := context.Background()
	const tries = 300
	for i := range tries {
		bucket := fmt.Sprintf("doomed-%d", i)
		if err := c.e.CreateBucket(ctx, bucket, ""); err != nil {
			t.Fatal(err)
		}
		up, _ := c.e.CreateUpload(ctx, bucket, "k", "", nil, nil)
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); uploadPart(t, c.e, bucket, "k", up.UploadID, 1, payload(uint64(i), 50_000)) }()
		go func() { defer wg.Done(); c.e.DeleteBucket(ctx, bucket) }()
		wg.Wait()
		if err := c.e.DeleteBucket(ctx, bucket); err != nil && !errors.Is(err, engine.ErrNoSuchBucket) {
			t.Fatalf("try %d: %v", i, err)
		}
	}
	c.e.WaitWrites()
	if _, left, err := c.e.RunPurge(ctx); err != nil || left != 0 {
		t.Fatalf("purge left %d: %v", left, err)
	}
	for i := range tries {
		bb := c.e.BackendBucket(fmt.Sprintf("doomed-%d", i))
		for r := range c.regions {
			var keys []string
			err := c.backend(r).List(ctx, bb, "", func(o backends.ObjectInfo) bool { keys = append(keys, o.Key); return true })
			if err != nil && !errors.Is(err, backends.ErrNoSuchBucket) {
				t.Fatal(err)
			}
			if len(keys) > 0 {
				t.Fatalf("bucket %d: region %s still holds %v", i, c.names[r], keys)
			}
		}
	}
}

// TestCompleteRetried: a completion retried after it succeeded (an SDK that
// timed out waiting) gets the same answer, also after a restart; a retry
// with other parts, or of an upload never completed, gets NoSuchUpload.
// In a versioned bucket the answer names the same version.
func TestCompleteRetried(t *testing.T) {
	for _, versioning := range []string{"", engine.VersioningEnabled} {
		t.Run("versioning="+versioning, func(t *testing.T) { testCompleteRetried(t, versioning) })
	}
}

func testCompleteRetried(t *testing.T, versioning string) {
	c := newCluster(t, 3, plog.Policy{Mode: "erasure", DataShards: 2, ParityShards: 1, Placement: "shuffle"})
	ctx := context.Background()
	c.e.CreateBucket(ctx, "bkt", "")
	if versioning != "" {
		if err := c.e.SetBucketVersioning(ctx, "bkt", versioning); err != nil {
			t.Fatal(err)
		}
	}
	up, _ := c.e.CreateUpload(ctx, "bkt", "k", "", nil, nil)
	e1, _ := uploadPart(t, c.e, "bkt", "k", up.UploadID, 1, payload(1, engine.MinPartSize))
	e2, _ := uploadPart(t, c.e, "bkt", "k", up.UploadID, 2, payload(2, 1000))
	parts := []engine.CompletePart{{Number: 1, ETag: `"` + e1 + `"`}, {Number: 2, ETag: e2}}
	first, err := c.e.CompleteUpload(ctx, "bkt", "k", up.UploadID, parts, engine.Conditions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, restart := range []bool{false, true} {
		if restart {
			c.restart()
		}
		again, err := c.e.CompleteUpload(ctx, "bkt", "k", up.UploadID, []engine.CompletePart{{Number: 1, ETag: e1}, {Number: 2, ETag: `"` + e2 + `"`}}, engine.Conditions{})
		if err != nil || again.ETag != first.ETag || !strings.HasSuffix(again.ETag, "-2") {
			t.Fatalf("retry (restart %v): %+v, %v; want ETag %s", restart, again, err, first.ETag)
		}
		if again.VersionID != first.VersionID || (versioning != "") != (first.VersionID != "") {
			t.Fatalf("retry (restart %v): version %q, first answer %q", restart, again.VersionID, first.VersionID)
		}
	}
	if _, err := c.e.CompleteUpload(ctx, "bkt", "k", up.UploadID, parts[:1], engine.Conditions{}); !errors.Is(err, engine.ErrNoSuchUpload) {
		t.Fatalf("retry with other parts: %v", err)
	}
	if _, err := c.e.CompleteUpload(ctx, "bkt", "other", up.UploadID, parts, engine.Conditions{}); !errors.Is(err, engine.ErrNoSuchUpload) {
		t.Fatalf("retry under another key: %v", err)
	}
	if _, err := c.e.CompleteUpload(ctx, "bkt", "k", "never-created", parts, engine.Conditions{}); !errors.Is(err, engine.ErrNoSuchUpload) {
		t.Fatalf("unknown upload: %v", err)
	}
	if got, err := readAll(c.e, "bkt", "k"); err != nil || len(got) != engine.MinPartSize+1000 {
		t.Fatalf("object: %d bytes, %v", len(got), err)
	}
}

// TestCompleteIfNoneMatch: CompleteMultipartUpload with If-None-Match: *
// does not overwrite an existing key, and leaves the upload to be aborted.
func TestCompleteIfNoneMatch(t *testing.T) {
	c := newCluster(t, 3, plog.Policy{Mode: "erasure", DataShards: 2, ParityShards: 1, Placement: "shuffle"})
	ctx := context.Background()
	c.e.CreateBucket(ctx, "bkt", "")
	orig := payload(9, 5000)
	put(t, c.e, "bkt", "k", orig)
	up, _ := c.e.CreateUpload(ctx, "bkt", "k", "", nil, nil)
	etag, _ := uploadPart(t, c.e, "bkt", "k", up.UploadID, 1, payload(10, 7000))
	parts := []engine.CompletePart{{Number: 1, ETag: etag}}
	if _, err := c.e.CompleteUpload(ctx, "bkt", "k", up.UploadID, parts, engine.Conditions{IfNoneMatch: "*"}); !errors.Is(err, engine.ErrPreconditionFailed) {
		t.Fatalf("complete over an existing key with If-None-Match *: %v", err)
	}
	if got, _ := readAll(c.e, "bkt", "k"); !bytes.Equal(got, orig) {
		t.Fatal("the existing object was overwritten")
	}
	if err := c.e.AbortUpload(ctx, "bkt", "k", up.UploadID); err != nil {
		t.Fatalf("the upload is gone after a refused completion: %v", err)
	}
	// On an absent key it completes.
	up, _ = c.e.CreateUpload(ctx, "bkt", "new", "", nil, nil)
	etag, _ = uploadPart(t, c.e, "bkt", "new", up.UploadID, 1, payload(11, 7000))
	if _, err := c.e.CompleteUpload(ctx, "bkt", "new", up.UploadID, []engine.CompletePart{{Number: 1, ETag: etag}}, engine.Conditions{IfNoneMatch: "*"}); err != nil {
		t.Fatal(err)
	}
}
