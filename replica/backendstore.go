package replica

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/prismd/prismd/backends"
)

// SystemBucket is the backend bucket of a region's system area.
const SystemBucket = "prismd-system"

// deleteBatch is the most keys one backends.Backend.Delete takes.
const deleteBatch = 1000

var _ Store = (*BackendStore)(nil)

// BackendStore is a Store over a region's backend: the file name is the
// key prefix+name in bucket.
//
//   - Put creates the bucket when the backend reports it missing.
//   - List of a missing bucket is an empty list; Get from it is ErrNotFound;
//     Delete from it succeeds.
//   - List skips keys under prefix that are not valid names (CheckName):
//     they are not files of this package.
//   - backends.ErrNotFound becomes ErrNotFound, backends.ErrInvalidKey
//     becomes ErrInvalidName; other errors are wrapped as they are.
type BackendStore struct {
	b      backends.Backend
	bucket string
	prefix string
}

// NewBackendStore returns the Store of files prefix+name in bucket of b.
// prefix is "" or ends with '/' (for example "prismd/" in a shared bucket).
func NewBackendStore(b backends.Backend, bucket, prefix string) *BackendStore {
	return &BackendStore{b: b, bucket: bucket, prefix: prefix}
}

// List implements Store.
func (s *BackendStore) List(ctx context.Context, prefix string) ([]FileInfo, error) {
	if err := checkPrefix(prefix); err != nil {
		return nil, err
	}
	infos := []FileInfo{}
	err := s.b.List(ctx, s.bucket, s.prefix+prefix, func(oi backends.ObjectInfo) bool {
		name := strings.TrimPrefix(oi.Key, s.prefix)
		if CheckName(name) == nil {
			infos = append(infos, FileInfo{Name: name, Size: oi.Size, ModTime: oi.ModTime})
		}
		return true
	})
	if errors.Is(err, backends.ErrNoSuchBucket) {
		return []FileInfo{}, nil
	}
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		return nil, fmt.Errorf("list %s/%s%s: %w", s.bucket, s.prefix, prefix, err)
	}
	return infos, nil
}

// Put implements Store.
func (s *BackendStore) Put(ctx context.Context, name string, r io.Reader, size int64) error {
	if err := CheckName(name); err != nil {
		return fmt.Errorf("put: %w", err)
	}
	body := &countingReader{r: r}
	err := s.b.Put(ctx, s.bucket, s.prefix+name, body, size)
	if errors.Is(err, backends.ErrNoSuchBucket) {
		if cerr := s.b.CreateBucket(ctx, s.bucket); cerr != nil {
			return fmt.Errorf("put %s: create bucket %s: %w", name, s.bucket, cerr)
		}
		if body.n > 0 {
			// The body is partly consumed and cannot be sent again.
			return fmt.Errorf("put %s: bucket %s was missing and is now created, retry: %w", name, s.bucket, err)
		}
		err = s.b.Put(ctx, s.bucket, s.prefix+name, body, size)
	}
	return s.wrap("put", name, err)
}

// Get implements Store.
func (s *BackendStore) Get(ctx context.Context, name string) (io.ReadCloser, error) {
	if err := CheckName(name); err != nil {
		return nil, fmt.Errorf("get: %w", err)
	}
	rc, err := s.b.Get(ctx, s.bucket, s.prefix+name, 0, -1)
	if errors.Is(err, backends.ErrNoSuchBucket) {
		return nil, fmt.Errorf("get %s: %w", name, ErrNotFound)
	}
	return rc, s.wrap("get", name, err)
}

// Delete implements Store. It deletes in batches of 1000 keys.
func (s *BackendStore) Delete(ctx context.Context, names ...string) error {
	keys := make([]string, len(names))
	for i, name := range names {
		if err := CheckName(name); err != nil {
			return fmt.Errorf("delete: %w", err)
		}
		keys[i] = s.prefix + name
	}
	for len(keys) > 0 {
		batch := keys[:min(len(keys), deleteBatch)]
		keys = keys[len(batch):]
		errs, err := s.b.Delete(ctx, s.bucket, batch)
		if errors.Is(err, backends.ErrNoSuchBucket) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("delete %d files from %s: %w", len(batch), s.bucket, err)
		}
		if err := errors.Join(errs...); err != nil {
			return fmt.Errorf("delete from %s: %w", s.bucket, err)
		}
	}
	return nil
}

// wrap maps a backend error for the op on name to this package's errors.
func (s *BackendStore) wrap(op, name string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, backends.ErrNotFound):
		return fmt.Errorf("%s %s: %w", op, name, ErrNotFound)
	case errors.Is(err, backends.ErrInvalidKey):
		return fmt.Errorf("%s %s: %w: %w", op, name, ErrInvalidName, err)
	}
	return fmt.Errorf("%s %s: %w", op, name, err)
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
