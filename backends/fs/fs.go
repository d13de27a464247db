package fs

import (
	"context"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/prismd/prismd/backends"
)

var _ backends.Backend = (*Backend)(nil)

// trashPrefix names bucket directories being removed by DeleteBucket.
const trashPrefix = ".prismd-trash-"

// staleTmpAge is how old a temporary file must be for New to remove it.
const staleTmpAge = time.Hour

// Backend stores objects as files under a root directory. It is safe for
// concurrent use. Several Backends (or processes) may share a root, but
// DeleteBucket's guarantee against losing a concurrent Put holds only for
// Puts through the same Backend.
type Backend struct {
	root string
	// commitMu is held shared by Put while it renames into place and
	// exclusively by DeleteBucket, so that an emptiness check cannot miss a
	// Put that is about to succeed.
	commitMu sync.RWMutex
	// durable makes Puts durable in rounds shared with every other Put on
	// the same filesystem; nil where there is no syncfs, and each Put
	// fsyncs its file and directories itself.
	durable *syncer
}

// New opens (creating if needed) a region rooted at the directory root.
// It removes temporary files older than an hour left by crashed Puts.
func New(root string) (*Backend, error) {
	if root == "" {
		return nil, errors.New("fs: empty root")
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("fs: %w", err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("fs: %w", err)
	}
	durable, err := syncerFor(abs)
	if err != nil {
		return nil, fmt.Errorf("fs: %w", err)
	}
	b := &Backend{root: abs, durable: durable}
	b.removeStale()
	return b, nil
}

// Root returns the region's root directory.
func (b *Backend) Root() string { return b.root }

func (b *Backend) removeStale() {
	trash, _ := filepath.Glob(filepath.Join(b.root, trashPrefix+"*"))
	for _, p := range trash {
		_ = os.RemoveAll(p)
	}
	tmps, _ := filepath.Glob(filepath.Join(b.root, "*", tmpPrefix+"*"))
	for _, p := range tmps {
		if fi, err := os.Lstat(p); err == nil && time.Since(fi.ModTime()) > staleTmpAge {
			_ = os.Remove(p)
		}
	}
}

// Put implements backends.Backend.
func (b *Backend) Put(ctx context.Context, bucket, key string, r io.Reader, size int64) (err error) {
	if err := check(bucket, key); err != nil {
		return fmt.Errorf("put: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("put %s/%s: %w", bucket, key, err)
	}
	if size < 0 {
		return fmt.Errorf("put %s/%s: negative size %d: %w", bucket, key, size, backends.ErrShortBody)
	}
	defer func() {
		if err != nil {
			err = fmt.Errorf("put %s/%s: %w", bucket, key, err)
		}
	}()
	f, direct, err := createTemp(b.bucketDir(bucket), size)
	if err != nil {
		if errors.Is(err, iofs.ErrNotExist) {
			return backends.ErrNoSuchBucket
		}
		return err
	}
	tmp := f.Name()
	committed := false
	defer func() {
		if !committed {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if err := writeBody(ctx, f, direct, r, size); err != nil {
		return err
	}
	// The data is durable before it takes the key's name, so that after a
	// crash the key holds the old object or the whole new one. It is made
	// so before the end of the body is checked: a writer that holds back
	// the end until it may let the object appear (the engine, until its
	// PutStarted is durable) overlaps that wait with this one.
	if b.durable == nil {
		if err := f.Sync(); err != nil {
			return err
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	if b.durable != nil {
		if err := b.durable.Wait(); err != nil {
			return err
		}
	}
	if err := atEOF(r, size); err != nil {
		return err
	}
	parent, newDirs, err := b.commit(bucket, key, tmp)
	if err != nil {
		return err
	}
	committed = true
	// Make the rename and any new directories durable.
	if b.durable != nil {
		return b.durable.Wait()
	}
	return b.syncDirs(bucket, parent, newDirs)
}

// copyN copies exactly size bytes from r to w. It returns an error
// wrapping ErrShortBody when r ends before.
func copyN(w io.Writer, r io.Reader, size int64) error {
	n, err := io.CopyN(w, r, size)
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("body has %d bytes, want %d: %w", n, size, backends.ErrShortBody)
	}
	return err
}

// atEOF checks that r, which yielded size bytes, has no more. It returns
// an error wrapping ErrShortBody when it has. It reads a PiecewiseBody too,
// which writeBody took piece by piece.
func atEOF(r io.Reader, size int64) error {
	var one [1]byte
	for range 1000 {
		n, err := r.Read(one[:])
		switch {
		case n > 0:
			return fmt.Errorf("body longer than %d bytes: %w", size, backends.ErrShortBody)
		case err == io.EOF:
			return nil
		case err != nil:
			return err
		}
	}
	return io.ErrNoProgress
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// commit renames the synced temporary file tmp to bucket/key, creating the
// key's directories. It returns the key's directory and whether it created
// directories; the caller makes them and the rename durable.
func (b *Backend) commit(bucket, key, tmp string) (parent string, newDirs bool, err error) {
	b.commitMu.RLock()
	defer b.commitMu.RUnlock()
	// A DeleteBucket that ran while the data was written took the temp
	// file with it; and MkdirAll below must never re-create a deleted
	// bucket (a later Put would then land in it). Under the read lock the
	// bucket cannot go away until the rename is done.
	if err := b.bucketExists(bucket); err != nil {
		return "", false, err
	}
	bdir := b.bucketDir(bucket)
	dst := b.path(bucket, key)
	parent = filepath.Dir(dst)
	_, statErr := os.Stat(parent)
	newDirs = statErr != nil
	// A concurrent Delete may prune parent between MkdirAll and Rename; retry.
	for attempt := 0; ; attempt++ {
		if err := os.MkdirAll(parent, 0o755); err != nil {
			if fileInPath(parent, bdir) {
				return "", false, fmt.Errorf("an element of the key is an object: %w", backends.ErrInvalidKey)
			}
			// ENOENT or EEXIST: a Delete pruned a directory MkdirAll was
			// creating or had just seen. Try again.
			if (errors.Is(err, iofs.ErrNotExist) || errors.Is(err, iofs.ErrExist)) && attempt < 100 {
				continue
			}
			return "", false, err
		}
		err := os.Rename(tmp, dst)
		if err == nil {
			break
		}
		switch {
		case errors.Is(err, syscall.EISDIR), errors.Is(err, syscall.ENOTEMPTY), errors.Is(err, syscall.EEXIST):
			return "", false, fmt.Errorf("key is a directory of other objects: %w", backends.ErrInvalidKey)
		case errors.Is(err, syscall.ENOTDIR):
			return "", false, fmt.Errorf("an element of the key is an object: %w", backends.ErrInvalidKey)
		case !errors.Is(err, iofs.ErrNotExist) || attempt >= 100:
			return "", false, err
		}
		if _, err := os.Lstat(tmp); err != nil {
			// DeleteBucket removed the bucket (and our temp file).
			return "", false, backends.ErrNoSuchBucket
		}
	}
	return parent, newDirs, nil
}

// syncDirs fsyncs parent, the directory of a key just renamed into place,
// and when newDirs the directories above it that may be new, up to the
// bucket's.
func (b *Backend) syncDirs(bucket, parent string, newDirs bool) error {
	bdir := b.bucketDir(bucket)
	for dir := parent; ; dir = filepath.Dir(dir) {
		// A directory gone already went with a concurrent Delete of the key.
		if err := syncDir(dir); err != nil && !errors.Is(err, iofs.ErrNotExist) {
			return err
		}
		if !newDirs || dir == bdir || len(dir) <= len(bdir) {
			return nil
		}
	}
}

// fileInPath reports whether dir or one of its parents below stop exists and
// is not a directory.
func fileInPath(dir, stop string) bool {
	for ; len(dir) > len(stop); dir = filepath.Dir(dir) {
		if fi, err := os.Lstat(dir); err == nil && !fi.IsDir() {
			return true
		}
	}
	return false
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// Get implements backends.Backend.
func (b *Backend) Get(ctx context.Context, bucket, key string, offset, length int64) (io.ReadCloser, error) {
	if err := check(bucket, key); err != nil {
		return nil, fmt.Errorf("get: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("get %s/%s: %w", bucket, key, err)
	}
	f, err := os.Open(b.path(bucket, key))
	if err != nil {
		return nil, fmt.Errorf("get %s/%s: %w", bucket, key, b.notExist(bucket, err))
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = backends.ErrNotFound
	}
	if err == nil && (offset < 0 || offset > fi.Size()) {
		err = fmt.Errorf("offset %d, size %d: %w", offset, fi.Size(), backends.ErrInvalidRange)
	}
	if err == nil {
		_, err = f.Seek(offset, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("get %s/%s: %w", bucket, key, err)
	}
	n := fi.Size() - offset
	if length >= 0 && length < n {
		n = length
	}
	return &fileReader{Reader: io.LimitReader(f, n), f: f}, nil
}

type fileReader struct {
	io.Reader
	f *os.File
}

func (r *fileReader) Close() error { return r.f.Close() }

// Stat implements backends.Backend.
func (b *Backend) Stat(ctx context.Context, bucket, key string) (backends.ObjectInfo, error) {
	if err := check(bucket, key); err != nil {
		return backends.ObjectInfo{}, fmt.Errorf("stat: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return backends.ObjectInfo{}, fmt.Errorf("stat %s/%s: %w", bucket, key, err)
	}
	fi, err := os.Stat(b.path(bucket, key))
	if err != nil {
		return backends.ObjectInfo{}, fmt.Errorf("stat %s/%s: %w", bucket, key, b.notExist(bucket, err))
	}
	if !fi.Mode().IsRegular() {
		return backends.ObjectInfo{}, fmt.Errorf("stat %s/%s: %w", bucket, key, backends.ErrNotFound)
	}
	return backends.ObjectInfo{Key: key, Size: fi.Size(), ModTime: fi.ModTime()}, nil
}

// notExist maps a "no such file" error to ErrNotFound or, when the bucket
// directory is missing, ErrNoSuchBucket. Other errors are returned as is.
func (b *Backend) notExist(bucket string, err error) error {
	if !errors.Is(err, iofs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
		return err
	}
	if _, serr := os.Stat(b.bucketDir(bucket)); errors.Is(serr, iofs.ErrNotExist) {
		return backends.ErrNoSuchBucket
	}
	return backends.ErrNotFound
}

// Delete implements backends.Backend.
func (b *Backend) Delete(ctx context.Context, bucket string, keys []string) ([]error, error) {
	if err := checkBucket(bucket); err != nil {
		return nil, fmt.Errorf("delete: %w", err)
	}
	if err := b.bucketExists(bucket); err != nil {
		return nil, fmt.Errorf("delete in %s: %w", bucket, err)
	}
	errs := make([]error, len(keys))
	bdir := b.bucketDir(bucket)
	for i, key := range keys {
		if err := ctx.Err(); err != nil {
			errs[i] = err
			continue
		}
		if err := checkKey(key); err != nil {
			errs[i] = fmt.Errorf("delete: %w", err)
			continue
		}
		p := b.path(bucket, key)
		if fi, err := os.Lstat(p); err != nil || fi.IsDir() {
			continue // absent (or a directory: not an object)
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, iofs.ErrNotExist) {
			errs[i] = fmt.Errorf("delete %s/%s: %w", bucket, key, err)
			continue
		}
		// Prune directories this delete emptied; Remove fails on non-empty ones.
		for dir := filepath.Dir(p); len(dir) > len(bdir); dir = filepath.Dir(dir) {
			if os.Remove(dir) != nil {
				break
			}
		}
	}
	return errs, nil
}

// List implements backends.Backend.
func (b *Backend) List(ctx context.Context, bucket, prefix string, fn func(backends.ObjectInfo) bool) error {
	if err := checkBucket(bucket); err != nil {
		return fmt.Errorf("list: %w", err)
	}
	if err := b.bucketExists(bucket); err != nil {
		return fmt.Errorf("list %s: %w", bucket, err)
	}
	if _, err := b.walk(ctx, b.bucketDir(bucket), "", prefix, fn); err != nil {
		return fmt.Errorf("list %s: %w", bucket, err)
	}
	return nil
}

// CreateBucket implements backends.Backend.
func (b *Backend) CreateBucket(ctx context.Context, bucket string) error {
	if err := checkBucket(bucket); err != nil {
		return fmt.Errorf("create bucket: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// The region's directory itself may be gone (removed by hand): make
	// it again, so that a wiped region can be filled again.
	if _, err := os.Stat(b.root); errors.Is(err, iofs.ErrNotExist) {
		if err := os.MkdirAll(b.root, 0o755); err != nil {
			return fmt.Errorf("create bucket %s: %w", bucket, err)
		}
		if err := syncDir(filepath.Dir(b.root)); err != nil {
			return fmt.Errorf("create bucket %s: %w", bucket, err)
		}
	}
	err := os.Mkdir(b.bucketDir(bucket), 0o755)
	if errors.Is(err, iofs.ErrExist) {
		if fi, serr := os.Stat(b.bucketDir(bucket)); serr == nil && fi.IsDir() {
			return nil
		}
	}
	if err != nil {
		return fmt.Errorf("create bucket %s: %w", bucket, err)
	}
	return syncDir(b.root)
}

// DeleteBucket implements backends.Backend. In-flight Puts into the bucket
// fail with ErrNoSuchBucket.
func (b *Backend) DeleteBucket(ctx context.Context, bucket string) error {
	if err := checkBucket(bucket); err != nil {
		return fmt.Errorf("delete bucket: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	b.commitMu.Lock()
	defer b.commitMu.Unlock()
	if err := b.bucketExists(bucket); err != nil {
		return fmt.Errorf("delete bucket %s: %w", bucket, err)
	}
	empty := true
	_, err := b.walk(ctx, b.bucketDir(bucket), "", "", func(backends.ObjectInfo) bool {
		empty = false
		return false
	})
	if err != nil {
		return fmt.Errorf("delete bucket %s: %w", bucket, err)
	}
	if !empty {
		return fmt.Errorf("delete bucket %s: %w", bucket, backends.ErrBucketNotEmpty)
	}
	// Rename first so that new Puts fail at once, then remove at leisure.
	trash, err := os.MkdirTemp(b.root, trashPrefix+"*")
	if err != nil {
		return fmt.Errorf("delete bucket %s: %w", bucket, err)
	}
	if err := os.Rename(b.bucketDir(bucket), filepath.Join(trash, "b")); err != nil {
		_ = os.Remove(trash)
		return fmt.Errorf("delete bucket %s: %w", bucket, err)
	}
	if err := syncDir(b.root); err != nil {
		return fmt.Errorf("delete bucket %s: %w", bucket, err)
	}
	// The bucket is gone. A Put that looked the directory up just before
	// the rename may still create its temp file in the trash (and fail);
	// what cannot be removed now is removed at the next start.
	for range 3 {
		if os.RemoveAll(trash) == nil {
			break
		}
	}
	return nil
}

func (b *Backend) bucketExists(bucket string) error {
	fi, err := os.Stat(b.bucketDir(bucket))
	switch {
	case errors.Is(err, iofs.ErrNotExist):
		return backends.ErrNoSuchBucket
	case err != nil:
		return err
	case !fi.IsDir():
		return backends.ErrNoSuchBucket
	}
	return nil
}

func check(bucket, key string) error {
	if err := checkBucket(bucket); err != nil {
		return err
	}
	return checkKey(key)
}
