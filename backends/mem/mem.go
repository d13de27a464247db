package mem

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prismd/prismd/backends"
)

var _ backends.Backend = (*Backend)(nil)

// Backend is an in-memory region. The zero value is not usable; call New.
type Backend struct {
	mu      sync.RWMutex
	buckets map[string]map[string]object
	now     func() time.Time
}

type object struct {
	data    []byte
	modTime time.Time
}

// New returns an empty in-memory backend.
func New() *Backend {
	return &Backend{buckets: make(map[string]map[string]object), now: time.Now}
}

// Put implements backends.Backend.
func (b *Backend) Put(ctx context.Context, bucket, key string, r io.Reader, size int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if size < 0 {
		return fmt.Errorf("put %s/%s: negative size %d: %w", bucket, key, size, backends.ErrShortBody)
	}
	if !b.bucketExists(bucket) {
		return fmt.Errorf("put %s/%s: %w", bucket, key, backends.ErrNoSuchBucket)
	}
	// Read exactly size bytes, then one more to detect an over-long body.
	data := make([]byte, size)
	if n, err := io.ReadFull(r, data); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return fmt.Errorf("put %s/%s: got %d bytes, want %d: %w", bucket, key, n, size, backends.ErrShortBody)
		}
		return fmt.Errorf("put %s/%s: read body: %w", bucket, key, err)
	}
	var extra [1]byte
	if n, err := io.ReadFull(r, extra[:]); n > 0 {
		return fmt.Errorf("put %s/%s: body longer than %d bytes: %w", bucket, key, size, backends.ErrShortBody)
	} else if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("put %s/%s: read body: %w", bucket, key, err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	objs, ok := b.buckets[bucket]
	if !ok {
		return fmt.Errorf("put %s/%s: %w", bucket, key, backends.ErrNoSuchBucket)
	}
	objs[key] = object{data: data, modTime: b.now()}
	return nil
}

// Get implements backends.Backend.
func (b *Backend) Get(ctx context.Context, bucket, key string, offset, length int64) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	obj, err := b.lookup(bucket, key)
	if err != nil {
		return nil, fmt.Errorf("get %s/%s: %w", bucket, key, err)
	}
	size := int64(len(obj.data))
	if offset < 0 || offset > size {
		return nil, fmt.Errorf("get %s/%s: offset %d, size %d: %w", bucket, key, offset, size, backends.ErrInvalidRange)
	}
	end := size
	if length >= 0 && offset+length < size {
		end = offset + length
	}
	return io.NopCloser(bytes.NewReader(bytes.Clone(obj.data[offset:end]))), nil
}

// Stat implements backends.Backend.
func (b *Backend) Stat(ctx context.Context, bucket, key string) (backends.ObjectInfo, error) {
	if err := ctx.Err(); err != nil {
		return backends.ObjectInfo{}, err
	}
	obj, err := b.lookup(bucket, key)
	if err != nil {
		return backends.ObjectInfo{}, fmt.Errorf("stat %s/%s: %w", bucket, key, err)
	}
	return backends.ObjectInfo{Key: key, Size: int64(len(obj.data)), ModTime: obj.modTime}, nil
}

// Delete implements backends.Backend.
func (b *Backend) Delete(ctx context.Context, bucket string, keys []string) ([]error, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	objs, ok := b.buckets[bucket]
	if !ok {
		return nil, fmt.Errorf("delete in %s: %w", bucket, backends.ErrNoSuchBucket)
	}
	for _, k := range keys {
		delete(objs, k)
	}
	return make([]error, len(keys)), nil
}

// List implements backends.Backend.
func (b *Backend) List(ctx context.Context, bucket, prefix string, fn func(backends.ObjectInfo) bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b.mu.RLock()
	objs, ok := b.buckets[bucket]
	var infos []backends.ObjectInfo
	for k, o := range objs {
		if strings.HasPrefix(k, prefix) {
			infos = append(infos, backends.ObjectInfo{Key: k, Size: int64(len(o.data)), ModTime: o.modTime})
		}
	}
	b.mu.RUnlock()
	if !ok {
		return fmt.Errorf("list %s: %w", bucket, backends.ErrNoSuchBucket)
	}
	slices.SortFunc(infos, func(a, b backends.ObjectInfo) int { return strings.Compare(a.Key, b.Key) })
	for _, info := range infos {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !fn(info) {
			return nil
		}
	}
	return nil
}

// CreateBucket implements backends.Backend.
func (b *Backend) CreateBucket(ctx context.Context, bucket string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if bucket == "" {
		return fmt.Errorf("create bucket: empty name: %w", backends.ErrInvalidKey)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.buckets[bucket]; !ok {
		b.buckets[bucket] = make(map[string]object)
	}
	return nil
}

// DeleteBucket implements backends.Backend.
func (b *Backend) DeleteBucket(ctx context.Context, bucket string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	objs, ok := b.buckets[bucket]
	if !ok {
		return fmt.Errorf("delete bucket %s: %w", bucket, backends.ErrNoSuchBucket)
	}
	if len(objs) > 0 {
		return fmt.Errorf("delete bucket %s: %w", bucket, backends.ErrBucketNotEmpty)
	}
	delete(b.buckets, bucket)
	return nil
}

func (b *Backend) bucketExists(bucket string) bool {
	b.mu.RLock()
	defer b.mu.RUnlock()
	_, ok := b.buckets[bucket]
	return ok
}

func (b *Backend) lookup(bucket, key string) (object, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	objs, ok := b.buckets[bucket]
	if !ok {
		return object{}, backends.ErrNoSuchBucket
	}
	obj, ok := objs[key]
	if !ok {
		return object{}, backends.ErrNotFound
	}
	return obj, nil
}
