package backendtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/prismd/prismd/backends"
)

// ImplicitBuckets is implemented by backends whose buckets exist without
// CreateBucket (a prefix inside one real bucket). The suite relaxes its
// ErrNoSuchBucket checks when ImplicitBuckets returns true.
type ImplicitBuckets interface {
	ImplicitBuckets() bool
}

// Run runs the conformance suite against backends made by newBackend.
func Run(t *testing.T, newBackend func(t *testing.T) backends.Backend) {
	tests := []struct {
		name string
		fn   func(t *testing.T, b backends.Backend)
	}{
		{"RoundTrip", testRoundTrip},
		{"Ranges", testRanges},
		{"RangesEmptyObject", testRangesEmptyObject},
		{"Overwrite", testOverwrite},
		{"Stat", testStat},
		{"NotFound", testNotFound},
		{"NoSuchBucket", testNoSuchBucket},
		{"BadBody", testBadBody},
		{"Streaming", testStreaming},
		{"PiecewiseBody", testPiecewiseBody},
		{"Delete", testDelete},
		{"DeleteBatch1000", testDeleteBatch1000},
		{"List", testList},
		{"KeyNames", testKeyNames},
		{"Buckets", testBuckets},
		{"DeleteBucketNotEmpty", testDeleteBucketNotEmpty},
		{"CanceledContext", testCanceledContext},
		{"ConcurrentDistinctKeys", testConcurrentDistinctKeys},
		{"ConcurrentSameKey", testConcurrentSameKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newBackend(t))
		})
	}
}

func implicitBuckets(b backends.Backend) bool {
	ib, ok := b.(ImplicitBuckets)
	return ok && ib.ImplicitBuckets()
}

// bucketName returns a random valid S3 bucket name.
func bucketName() string {
	return fmt.Sprintf("bt-%016x", rand.Uint64())
}

// newBucket creates a fresh bucket and removes it (and its keys) when t ends.
func newBucket(t *testing.T, b backends.Backend) string {
	t.Helper()
	name := bucketName()
	if err := b.CreateBucket(t.Context(), name); err != nil {
		t.Fatalf("CreateBucket(%q): %v", name, err)
	}
	t.Cleanup(func() { removeBucket(b, name) })
	return name
}

func removeBucket(b backends.Backend, bucket string) {
	ctx := context.Background()
	var keys []string
	_ = b.List(ctx, bucket, "", func(oi backends.ObjectInfo) bool {
		keys = append(keys, oi.Key)
		return true
	})
	for len(keys) > 0 {
		n := min(len(keys), 1000)
		_, _ = b.Delete(ctx, bucket, keys[:n])
		keys = keys[n:]
	}
	_ = b.DeleteBucket(ctx, bucket)
}

func randBytes(n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(rand.Uint32())
	}
	return p
}

// opaqueReader hides every method but Read (no Seek, no WriteTo, no Len).
type opaqueReader struct{ r io.Reader }

func (o opaqueReader) Read(p []byte) (int, error) { return o.r.Read(p) }

func put(t *testing.T, b backends.Backend, bucket, key string, data []byte) {
	t.Helper()
	if err := b.Put(t.Context(), bucket, key, opaqueReader{bytes.NewReader(data)}, int64(len(data))); err != nil {
		t.Fatalf("Put(%q, %q, %d bytes): %v", bucket, key, len(data), err)
	}
}

func get(t *testing.T, b backends.Backend, bucket, key string, offset, length int64) ([]byte, error) {
	t.Helper()
	rc, err := b.Get(t.Context(), bucket, key, offset, length)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

func mustGet(t *testing.T, b backends.Backend, bucket, key string) []byte {
	t.Helper()
	data, err := get(t, b, bucket, key, 0, -1)
	if err != nil {
		t.Fatalf("Get(%q, %q): %v", bucket, key, err)
	}
	return data
}

func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: got error %v, want %v", what, err, target)
	}
}

func listKeys(t *testing.T, b backends.Backend, bucket, prefix string) []string {
	t.Helper()
	keys := []string{}
	err := b.List(t.Context(), bucket, prefix, func(oi backends.ObjectInfo) bool {
		keys = append(keys, oi.Key)
		return true
	})
	if err != nil {
		t.Fatalf("List(%q, %q): %v", bucket, prefix, err)
	}
	return keys
}

func assertAbsent(t *testing.T, b backends.Backend, bucket, key string) {
	t.Helper()
	if _, err := b.Stat(t.Context(), bucket, key); !errors.Is(err, backends.ErrNotFound) {
		t.Errorf("Stat(%q) after failed put: got %v, want ErrNotFound", key, err)
	}
	if _, err := get(t, b, bucket, key, 0, -1); !errors.Is(err, backends.ErrNotFound) {
		t.Errorf("Get(%q) after failed put: got %v, want ErrNotFound", key, err)
	}
	for _, k := range listKeys(t, b, bucket, "") {
		if k == key {
			t.Errorf("List shows %q after failed put", key)
		}
	}
}
