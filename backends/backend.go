package backends

import (
	"context"
	"io"
	"time"
)

// Backend is one region's object store. Keys are opaque to the backend; the
// caller groups them in buckets. Every method is safe for concurrent use.
type Backend interface {
	// Put stores exactly size bytes read from r under bucket/key, replacing
	// any object there. It streams: it never holds the whole body in memory.
	// It returns ErrNoSuchBucket if the bucket does not exist and an error
	// (and stores nothing visible) if r yields fewer or more than size bytes.
	Put(ctx context.Context, bucket, key string, r io.Reader, size int64) error
	// Get returns length bytes of bucket/key from offset (length < 0: to the
	// end). ErrNotFound if the key does not exist, ErrInvalidRange if offset
	// is beyond the object's size.
	Get(ctx context.Context, bucket, key string, offset, length int64) (io.ReadCloser, error)
	// Stat returns the object's size and modification time; ErrNotFound if absent.
	Stat(ctx context.Context, bucket, key string) (ObjectInfo, error)
	// Delete removes up to 1000 keys. Deleting an absent key succeeds. It
	// returns one error per key (nil when that key is gone) and an error for
	// the whole call when nothing could be attempted.
	Delete(ctx context.Context, bucket string, keys []string) ([]error, error)
	// List calls fn for every key under prefix in bucket, in lexical order,
	// stopping early (returning nil) when fn returns false.
	List(ctx context.Context, bucket, prefix string, fn func(ObjectInfo) bool) error
	// CreateBucket makes a bucket; it succeeds when the bucket already exists.
	CreateBucket(ctx context.Context, bucket string) error
	// DeleteBucket removes an empty bucket; ErrNoSuchBucket if absent, ErrBucketNotEmpty if not empty.
	DeleteBucket(ctx context.Context, bucket string) error
}

// ObjectInfo describes one backend object.
type ObjectInfo struct {
	Key     string
	Size    int64
	ModTime time.Time
}
