package replica_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/prismd/prismd/backends"
	"github.com/prismd/prismd/backends/mem"
	"github.com/prismd/prismd/replica"
)

func TestBackendStorePrefix(t *testing.T) {
	ctx := t.Context()
	b := mem.New()
	s := replica.NewBackendStore(b, "shared", "prismd/")
	if err := s.Put(ctx, "gateways/x", strings.NewReader("x"), 1); err != nil {
		t.Fatalf("Put into a missing bucket: %v", err)
	}
	// Keys outside the prefix, or not valid names, are not files of the store.
	for _, key := range []string{"other/key", "prismd/bad name", "prismdx/y"} {
		if err := b.Put(ctx, "shared", key, strings.NewReader("k"), 1); err != nil {
			t.Fatal(err)
		}
	}
	infos, err := s.List(ctx, "")
	if err != nil || len(infos) != 1 || infos[0].Name != "gateways/x" || infos[0].Size != 1 {
		t.Fatalf("List = %+v, %v; want only gateways/x", infos, err)
	}
	if _, err := b.Stat(ctx, "shared", "prismd/gateways/x"); err != nil {
		t.Errorf("the file is not the key prefix+name: %v", err)
	}
}

func TestBackendStoreMissingBucket(t *testing.T) {
	ctx := t.Context()
	s := replica.NewBackendStore(mem.New(), replica.SystemBucket, "")
	if infos, err := s.List(ctx, ""); err != nil || len(infos) != 0 {
		t.Errorf("List of a missing bucket = %v, %v; want empty", infos, err)
	}
	if _, err := s.Get(ctx, "f"); !errors.Is(err, replica.ErrNotFound) {
		t.Errorf("Get from a missing bucket: %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, "f"); err != nil {
		t.Errorf("Delete from a missing bucket: %v", err)
	}
}

// consumingBackend reads part of a body before reporting a missing bucket,
// as an S3 region does after sending the request.
type consumingBackend struct {
	backends.Backend
	created bool
}

func (c *consumingBackend) Put(ctx context.Context, bucket, key string, r io.Reader, size int64) error {
	if !c.created {
		_, _ = io.CopyN(io.Discard, r, 1)
		return fmt.Errorf("put: %w", backends.ErrNoSuchBucket)
	}
	return c.Backend.Put(ctx, bucket, key, r, size)
}

func (c *consumingBackend) CreateBucket(ctx context.Context, bucket string) error {
	c.created = true
	return c.Backend.CreateBucket(ctx, bucket)
}

func TestBackendStoreMissingBucketConsumedBody(t *testing.T) {
	ctx := t.Context()
	b := &consumingBackend{Backend: mem.New()}
	s := replica.NewBackendStore(b, replica.SystemBucket, "")
	err := s.Put(ctx, "f", strings.NewReader("abc"), 3)
	if !errors.Is(err, backends.ErrNoSuchBucket) {
		t.Fatalf("Put whose body the backend consumed: %v, want an error wrapping ErrNoSuchBucket", err)
	}
	if err := s.Put(ctx, "f", strings.NewReader("abc"), 3); err != nil {
		t.Fatalf("retried Put once the bucket exists: %v", err)
	}
}

// batchRecorder records the size of every Delete batch.
type batchRecorder struct {
	backends.Backend
	batches []int
}

func (b *batchRecorder) Delete(ctx context.Context, bucket string, keys []string) ([]error, error) {
	b.batches = append(b.batches, len(keys))
	return b.Backend.Delete(ctx, bucket, keys)
}

func TestBackendStoreDeleteBatches(t *testing.T) {
	ctx := t.Context()
	b := &batchRecorder{Backend: mem.New()}
	s := replica.NewBackendStore(b, replica.SystemBucket, "")
	if err := s.Put(ctx, "f", strings.NewReader(""), 0); err != nil {
		t.Fatal(err)
	}
	names := make([]string, 2345)
	for i := range names {
		names[i] = fmt.Sprintf("n%d", i)
	}
	if err := s.Delete(ctx, names...); err != nil {
		t.Fatal(err)
	}
	if want := []int{1000, 1000, 345}; !slices.Equal(b.batches, want) {
		t.Errorf("Delete batches = %v, want %v", b.batches, want)
	}
}

func TestMemStoreFileAndDirectory(t *testing.T) {
	ctx := t.Context()
	s := replica.NewMemStore()
	if err := s.Put(ctx, "a/b", strings.NewReader(""), 0); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a", "a/b/c"} {
		if err := s.Put(ctx, name, strings.NewReader(""), 0); !errors.Is(err, replica.ErrInvalidName) {
			t.Errorf("Put(%q) beside a/b: %v, want ErrInvalidName", name, err)
		}
	}
}
