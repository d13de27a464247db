package fs

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/prismd/prismd/backends"
)

// tmpPrefix names in-flight Puts; no key element may start with it.
const tmpPrefix = ".prismd-tmp-"

// checkBucket reports whether name can be a bucket directory.
func checkBucket(name string) error {
	if name == "" || strings.HasPrefix(name, ".") || strings.ContainsAny(name, "/\\\x00") {
		return fmt.Errorf("bucket %q: %w", name, backends.ErrInvalidKey)
	}
	return nil
}

// checkKey reports whether key maps to a file inside its bucket directory.
func checkKey(key string) error {
	if key == "" || strings.ContainsAny(key, "\\\x00") {
		return fmt.Errorf("key %q: %w", key, backends.ErrInvalidKey)
	}
	for elem := range strings.SplitSeq(key, "/") {
		switch {
		case elem == "", elem == ".", elem == "..":
			return fmt.Errorf("key %q: empty, . or .. element: %w", key, backends.ErrInvalidKey)
		case strings.HasPrefix(elem, tmpPrefix):
			return fmt.Errorf("key %q: reserved element: %w", key, backends.ErrInvalidKey)
		case len(elem) > 255:
			return fmt.Errorf("key %q: element longer than 255 bytes: %w", key, backends.ErrInvalidKey)
		}
	}
	return nil
}

// path returns the file of bucket/key; both must have been checked.
func (b *Backend) path(bucket, key string) string {
	return filepath.Join(b.root, bucket, filepath.FromSlash(key))
}

func (b *Backend) bucketDir(bucket string) string {
	return filepath.Join(b.root, bucket)
}
