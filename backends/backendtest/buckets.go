package backendtest

import (
	"strings"
	"testing"

	"github.com/prismd/prismd/backends"
)

func testBuckets(t *testing.T, b backends.Backend) {
	ctx := t.Context()
	bucket := bucketName()
	for range 2 {
		if err := b.CreateBucket(ctx, bucket); err != nil {
			t.Fatalf("CreateBucket(%q): %v", bucket, err)
		}
	}
	t.Cleanup(func() { removeBucket(b, bucket) })
	if keys := listKeys(t, b, bucket, ""); len(keys) != 0 {
		t.Errorf("List of a new bucket = %q", keys)
	}
	put(t, b, bucket, "k", []byte("v"))
	// Creating an existing bucket keeps its contents.
	if err := b.CreateBucket(ctx, bucket); err != nil {
		t.Fatalf("CreateBucket of an existing bucket: %v", err)
	}
	if got := string(mustGet(t, b, bucket, "k")); got != "v" {
		t.Errorf("Get after re-create = %q", got)
	}
	if errs, err := b.Delete(ctx, bucket, []string{"k"}); err != nil || errs[0] != nil {
		t.Fatalf("Delete: %v %v", errs, err)
	}
	if err := b.DeleteBucket(ctx, bucket); err != nil {
		t.Fatalf("DeleteBucket of an empty bucket: %v", err)
	}
	if implicitBuckets(b) {
		return
	}
	err := b.Put(ctx, bucket, "k", strings.NewReader("v"), 1)
	wantErr(t, "Put after DeleteBucket", err, backends.ErrNoSuchBucket)
	err = b.DeleteBucket(ctx, bucket)
	wantErr(t, "second DeleteBucket", err, backends.ErrNoSuchBucket)
	if err := b.CreateBucket(ctx, bucket); err != nil {
		t.Fatalf("CreateBucket after DeleteBucket: %v", err)
	}
	if keys := listKeys(t, b, bucket, ""); len(keys) != 0 {
		t.Errorf("List of a re-created bucket = %q", keys)
	}
}

func testDeleteBucketNotEmpty(t *testing.T, b backends.Backend) {
	ctx := t.Context()
	bucket := newBucket(t, b)
	put(t, b, bucket, "x/y/z", []byte("v"))
	err := b.DeleteBucket(ctx, bucket)
	wantErr(t, "DeleteBucket of a non-empty bucket", err, backends.ErrBucketNotEmpty)
	if got := string(mustGet(t, b, bucket, "x/y/z")); got != "v" {
		t.Errorf("refused DeleteBucket changed the object: %q", got)
	}
	if errs, err := b.Delete(ctx, bucket, []string{"x/y/z"}); err != nil || errs[0] != nil {
		t.Fatalf("Delete: %v %v", errs, err)
	}
	if err := b.DeleteBucket(ctx, bucket); err != nil {
		t.Errorf("DeleteBucket once emptied: %v", err)
	}
}
