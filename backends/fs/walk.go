package fs

import (
	"context"
	"errors"
	iofs "io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/prismd/prismd/backends"
)

// walk calls fn for every object under dir (whose keys start with keyDir)
// that has the given prefix, in lexical key order. It returns false when fn
// asked to stop. Directories that cannot hold a key with the prefix are not
// read; entries that vanish during the walk are skipped.
func (b *Backend) walk(ctx context.Context, dir, keyDir, prefix string, fn func(backends.ObjectInfo) bool) (bool, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if keyDir != "" && errors.Is(err, iofs.ErrNotExist) {
			return true, nil // pruned by a concurrent Delete
		}
		return false, err
	}
	type entry struct {
		e   iofs.DirEntry
		key string // the key, or for a directory the key prefix ending in '/'
	}
	list := make([]entry, 0, len(entries))
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, tmpPrefix) {
			continue
		}
		key := keyDir + name
		if e.IsDir() {
			key += "/"
			if !strings.HasPrefix(key, prefix) && !strings.HasPrefix(prefix, key) {
				continue
			}
		} else if !strings.HasPrefix(key, prefix) {
			continue
		}
		list = append(list, entry{e, key})
	}
	// "a/" must sort after "a-c" and before "a0": compare keys, not names.
	slices.SortFunc(list, func(x, y entry) int { return strings.Compare(x.key, y.key) })
	for _, ent := range list {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		if ent.e.IsDir() {
			more, err := b.walk(ctx, filepath.Join(dir, ent.e.Name()), ent.key, prefix, fn)
			if err != nil || !more {
				return more, err
			}
			continue
		}
		fi, err := ent.e.Info()
		if errors.Is(err, iofs.ErrNotExist) {
			continue
		}
		if err != nil {
			return false, err
		}
		if !fi.Mode().IsRegular() {
			continue
		}
		if !fn(backends.ObjectInfo{Key: ent.key, Size: fi.Size(), ModTime: fi.ModTime()}) {
			return false, nil
		}
	}
	return true, nil
}
