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

// PieceAlign is the alignment of the pieces of a PiecewiseBody.
const PieceAlign = 4096

// PiecewiseBody is a Put body already in memory, in pieces, that a backend
// may take as they are instead of copying them through Read: a backend
// writing with direct I/O sends a piece that starts at an address and a
// body offset that are multiples of PieceAlign, and is a multiple of
// PieceAlign long, to the disk without a copy. The producer makes its
// pieces so where it can; a backend checks each. Read and NextPiece may be
// mixed: each goes on from the bytes the other took.
type PiecewiseBody interface {
	io.Reader
	// NextPiece returns the body's next bytes (never empty), valid until
	// the next call; io.EOF after the last.
	NextPiece() ([]byte, error)
}
