package fs_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prismd/prismd/backends"
	"github.com/prismd/prismd/backends/backendtest"
	"github.com/prismd/prismd/backends/fs"
)

func newBackend(t *testing.T) *fs.Backend {
	t.Helper()
	b, err := fs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestConformance(t *testing.T) {
	backendtest.Run(t, func(t *testing.T) backends.Backend { return newBackend(t) })
}

func TestInvalidKeys(t *testing.T) {
	ctx := t.Context()
	b := newBackend(t)
	if err := b.CreateBucket(ctx, "bk"); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{
		"", "/abs", "../escape", "a/../../escape", "a/./b", ".", "..", "a//b", "a/", "nul\x00byte",
		`back\slash`, ".prismd-tmp-123", "x/.prismd-tmp-1", strings.Repeat("x", 256),
	} {
		err := b.Put(ctx, "bk", key, strings.NewReader("x"), 1)
		if !errors.Is(err, backends.ErrInvalidKey) {
			t.Errorf("Put(%q) = %v, want ErrInvalidKey", key, err)
		}
		if _, err := b.Get(ctx, "bk", key, 0, -1); !errors.Is(err, backends.ErrInvalidKey) {
			t.Errorf("Get(%q) = %v, want ErrInvalidKey", key, err)
		}
		errs, err := b.Delete(ctx, "bk", []string{key})
		if err != nil || !errors.Is(errs[0], backends.ErrInvalidKey) {
			t.Errorf("Delete(%q) = %v, %v; want per-key ErrInvalidKey", key, errs, err)
		}
	}
	for _, bucket := range []string{"", ".", "..", ".hidden", "a/b", `a\b`, "nul\x00"} {
		if err := b.CreateBucket(ctx, bucket); !errors.Is(err, backends.ErrInvalidKey) {
			t.Errorf("CreateBucket(%q) = %v, want ErrInvalidKey", bucket, err)
		}
	}
	// Nothing was written outside the bucket.
	entries, _ := os.ReadDir(b.Root())
	if len(entries) != 1 || entries[0].Name() != "bk" {
		t.Errorf("root holds %v, want only bk", entries)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(b.Root()), "escape")); err == nil {
		t.Errorf("a key escaped the root")
	}
}

func TestKeyConflicts(t *testing.T) {
	ctx := t.Context()
	b := newBackend(t)
	if err := b.CreateBucket(ctx, "bk"); err != nil {
		t.Fatal(err)
	}
	put := func(key string) error { return b.Put(ctx, "bk", key, strings.NewReader("x"), 1) }
	if err := put("a"); err != nil {
		t.Fatal(err)
	}
	if err := put("a/b"); !errors.Is(err, backends.ErrInvalidKey) {
		t.Errorf("Put(a/b) with object a = %v, want ErrInvalidKey", err)
	}
	if err := put("c/d"); err != nil {
		t.Fatal(err)
	}
	if err := put("c"); !errors.Is(err, backends.ErrInvalidKey) {
		t.Errorf("Put(c) with object c/d = %v, want ErrInvalidKey", err)
	}
	assertNoTemp(t, b, "bk")
}

func TestLayout(t *testing.T) {
	ctx := t.Context()
	b := newBackend(t)
	if err := b.CreateBucket(ctx, "bk"); err != nil {
		t.Fatal(err)
	}
	if err := b.Put(ctx, "bk", "b/3f2a/0/1", strings.NewReader("shard"), 5); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(b.Root(), "bk", "b", "3f2a", "0", "1"))
	if err != nil || string(data) != "shard" {
		t.Fatalf("file = %q, %v", data, err)
	}
	// Failed puts leave no temporary files behind.
	_ = b.Put(ctx, "bk", "b/3f2a/0/2", strings.NewReader("shor"), 5)
	_ = b.Put(ctx, "bk", "b/3f2a/0/2", strings.NewReader("toolong"), 5)
	assertNoTemp(t, b, "bk")
	// Delete prunes the directories it empties, but not the bucket.
	if _, err := b.Delete(ctx, "bk", []string{"b/3f2a/0/1"}); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(filepath.Join(b.Root(), "bk"))
	if err != nil || len(entries) != 0 {
		t.Errorf("bucket dir after delete = %v, %v; want empty", entries, err)
	}
}

func TestStaleTempRemovedOnOpen(t *testing.T) {
	b := newBackend(t)
	if err := b.CreateBucket(t.Context(), "bk"); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(b.Root(), "bk", ".prismd-tmp-old")
	fresh := filepath.Join(b.Root(), "bk", ".prismd-tmp-new")
	for _, p := range []string{stale, fresh} {
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	if _, err := fs.New(b.Root()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale temp file survived New: %v", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("fresh temp file (maybe an in-flight put) removed: %v", err)
	}
	// Temp files never show up in List and do not make a bucket non-empty.
	if err := b.List(t.Context(), "bk", "", func(oi backends.ObjectInfo) bool {
		t.Errorf("List shows %q", oi.Key)
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if err := b.DeleteBucket(t.Context(), "bk"); err != nil {
		t.Errorf("DeleteBucket with only a temp file: %v", err)
	}
}

// TestPutDeletePruneRace hammers one directory with puts and deletes: a
// delete pruning a directory must not make a concurrent put fail.
func TestPutDeletePruneRace(t *testing.T) {
	ctx := t.Context()
	b := newBackend(t)
	if err := b.CreateBucket(ctx, "bk"); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 200 {
				key := fmt.Sprintf("p/q/%d-%d", w, i)
				if err := b.Put(ctx, "bk", key, strings.NewReader("v"), 1); err != nil {
					t.Errorf("Put: %v", err)
					return
				}
				if errs, err := b.Delete(ctx, "bk", []string{key}); err != nil || errs[0] != nil {
					t.Errorf("Delete: %v %v", errs, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := b.DeleteBucket(ctx, "bk"); err != nil {
		t.Errorf("DeleteBucket: %v", err)
	}
}

// TestDeleteBucketDuringPuts checks that DeleteBucket never removes an
// object whose Put succeeded: each Put either fails with ErrNoSuchBucket or
// lands before DeleteBucket checks emptiness (which then refuses).
func TestDeleteBucketDuringPuts(t *testing.T) {
	ctx := t.Context()
	b := newBackend(t)
	for round := range 20 {
		if err := b.CreateBucket(ctx, "bk"); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		var landed []string
		for w := range 4 {
			wg.Go(func() {
				key := fmt.Sprintf("k/%d/%d", round, w)
				err := b.Put(ctx, "bk", key, strings.NewReader("value"), 5)
				switch {
				case err == nil:
					mu.Lock()
					landed = append(landed, key)
					mu.Unlock()
				case !errors.Is(err, backends.ErrNoSuchBucket):
					t.Errorf("Put: %v", err)
				}
			})
		}
		delErr := b.DeleteBucket(ctx, "bk")
		wg.Wait()
		if delErr == nil {
			if len(landed) > 0 {
				// Puts that succeeded after the delete re-created nothing:
				// the bucket is gone, so they must have failed.
				t.Fatalf("round %d: DeleteBucket succeeded but puts %q succeeded", round, landed)
			}
			continue
		}
		if !errors.Is(delErr, backends.ErrBucketNotEmpty) {
			t.Fatalf("DeleteBucket: %v", delErr)
		}
		for _, k := range landed {
			if _, err := b.Stat(ctx, "bk", k); err != nil {
				t.Fatalf("acknowledged put %q lost: %v", k, err)
			}
		}
		keys := []string{}
		_ = b.List(ctx, "bk", "", func(oi backends.ObjectInfo) bool { keys = append(keys, oi.Key); return true })
		if _, err := b.Delete(ctx, "bk", keys); err != nil {
			t.Fatal(err)
		}
		if err := b.DeleteBucket(ctx, "bk"); err != nil {
			t.Fatal(err)
		}
	}
}

func assertNoTemp(t *testing.T, b *fs.Backend, bucket string) {
	t.Helper()
	tmps, _ := filepath.Glob(filepath.Join(b.Root(), bucket, ".prismd-tmp-*"))
	if len(tmps) > 0 {
		t.Errorf("temporary files left: %q", tmps)
	}
}
