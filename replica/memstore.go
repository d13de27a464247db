package replica

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
)

var _ Store = (*MemStore)(nil)

// MemStore is a Store in memory, for tests. Like a directory-backed region
// (backends/fs) it refuses a name that is also a directory of another name
// ("a" and "a/b"), so that tests catch a naming mistake a real region would.
type MemStore struct {
	mu    sync.RWMutex
	files map[string]memFile
}

type memFile struct {
	data    []byte // never modified once stored
	modTime time.Time
}

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore {
	return &MemStore{files: make(map[string]memFile)}
}

// List implements Store.
func (s *MemStore) List(ctx context.Context, prefix string) ([]FileInfo, error) {
	if err := checkPrefix(prefix); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list %q: %w", prefix, err)
	}
	s.mu.RLock()
	infos := []FileInfo{}
	for name, f := range s.files {
		if strings.HasPrefix(name, prefix) {
			infos = append(infos, FileInfo{Name: name, Size: int64(len(f.data)), ModTime: f.modTime})
		}
	}
	s.mu.RUnlock()
	slices.SortFunc(infos, func(a, b FileInfo) int { return strings.Compare(a.Name, b.Name) })
	return infos, nil
}

// Put implements Store.
func (s *MemStore) Put(ctx context.Context, name string, r io.Reader, size int64) error {
	if err := CheckName(name); err != nil {
		return fmt.Errorf("put: %w", err)
	}
	if size < 0 {
		return fmt.Errorf("put %s: negative size %d", name, size)
	}
	// Grow with the bytes actually read, not the size claimed.
	var buf bytes.Buffer
	if n, err := io.CopyN(&buf, r, size); err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("put %s: body has %d bytes, want %d", name, n, size)
		}
		return fmt.Errorf("put %s: read body: %w", name, err)
	}
	var extra [1]byte
	if n, err := io.ReadFull(r, extra[:]); n > 0 {
		return fmt.Errorf("put %s: body longer than %d bytes", name, size)
	} else if !errors.Is(err, io.EOF) {
		return fmt.Errorf("put %s: read body: %w", name, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("put %s: %w", name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for other := range s.files {
		if strings.HasPrefix(other, name+"/") || strings.HasPrefix(name, other+"/") {
			return fmt.Errorf("put %s: %s is a file and a directory of the other: %w", name, other, ErrInvalidName)
		}
	}
	s.files[name] = memFile{data: buf.Bytes(), modTime: time.Now()}
	return nil
}

// Get implements Store.
func (s *MemStore) Get(ctx context.Context, name string) (io.ReadCloser, error) {
	if err := CheckName(name); err != nil {
		return nil, fmt.Errorf("get: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("get %s: %w", name, err)
	}
	s.mu.RLock()
	f, ok := s.files[name]
	s.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("get %s: %w", name, ErrNotFound)
	}
	return io.NopCloser(bytes.NewReader(f.data)), nil
}

// Delete implements Store.
func (s *MemStore) Delete(ctx context.Context, names ...string) error {
	for _, name := range names {
		if err := CheckName(name); err != nil {
			return fmt.Errorf("delete: %w", err)
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, name := range names {
		delete(s.files, name)
	}
	return nil
}
