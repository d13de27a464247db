package replica

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"
)

// Store is a region's system area: named files, nothing more. Positions,
// sealing and restore logic live above it. Every method is safe for
// concurrent use. Names are checked with CheckName; a name that fails it
// gets ErrInvalidName from every method.
type Store interface {
	// List returns the files whose names start with prefix, sorted by name; a
	// listing that fails or is cut short returns an error, never a partial list.
	List(ctx context.Context, prefix string) ([]FileInfo, error)
	// Put stores exactly size bytes read from r under name, replacing any file there;
	// a reader yielding more or fewer bytes stores nothing visible.
	Put(ctx context.Context, name string, r io.Reader, size int64) error
	// Get returns the file's bytes; ErrNotFound if there is none.
	Get(ctx context.Context, name string) (io.ReadCloser, error)
	// Delete removes the named files; absent names are not an error.
	Delete(ctx context.Context, names ...string) error
}

// FileInfo describes one file of a Store.
type FileInfo struct {
	Name    string
	Size    int64
	ModTime time.Time
}

// maxName bounds a name's length, maxElem one element's (the limit of
// most file systems).
const (
	maxName = 1024
	maxElem = 255
)

// CheckName returns an error wrapping ErrInvalidName unless name is a
// relative '/'-separated path whose elements are 1 to 255 bytes of
// [A-Za-z0-9._-] and do not start with '.', at most 1024 bytes in all.
// Such a name is a valid key on every backend and a plain file path on
// backends/fs.
func CheckName(name string) error {
	if name == "" || len(name) > maxName {
		return fmt.Errorf("name %q: length %d not in [1, %d]: %w", name, len(name), maxName, ErrInvalidName)
	}
	for elem := range strings.SplitSeq(name, "/") {
		switch {
		case elem == "" || len(elem) > maxElem:
			return fmt.Errorf("name %q: element of length %d not in [1, %d]: %w", name, len(elem), maxElem, ErrInvalidName)
		case elem[0] == '.':
			return fmt.Errorf("name %q: element %q starts with '.': %w", name, elem, ErrInvalidName)
		case !nameChars(elem):
			return fmt.Errorf("name %q: element %q has a byte outside [A-Za-z0-9._-]: %w", name, elem, ErrInvalidName)
		}
	}
	return nil
}

// checkPrefix accepts the prefixes of valid names (and more: it only
// checks the alphabet and length).
func checkPrefix(prefix string) error {
	if len(prefix) > maxName || !nameChars(strings.ReplaceAll(prefix, "/", "")) {
		return fmt.Errorf("list prefix %q: %w", prefix, ErrInvalidName)
	}
	return nil
}

func nameChars(s string) bool {
	for i := range len(s) {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
