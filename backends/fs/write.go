package fs

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"path/filepath"
	"sync"
	"unsafe"

	"github.com/prismd/prismd/backends"
)

// A Put of directMin bytes or more writes its body with O_DIRECT, in
// directChunk pieces from a page-aligned buffer: the data goes from that
// buffer to the disk without a copy into the page cache, which under many
// concurrent large Puts costs the process several times the CPU of the
// copy itself (page allocation, reclaim, write-back bookkeeping). The tail
// that is not a whole chunk, smaller bodies, and filesystems without
// O_DIRECT (tmpfs, some network filesystems) use ordinary writes. The
// durability rounds (syncfs, or fsync) cover both alike.
const (
	directMin   = 1 << 20
	directChunk = 1 << 20
	directAlign = 4096
)

// directBufs pools the aligned chunk buffers.
var directBufs = sync.Pool{New: func() any {
	b := make([]byte, directChunk+directAlign)
	off := (directAlign - int(uintptr(unsafe.Pointer(&b[0]))%directAlign)) % directAlign
	b = b[off : off+directChunk]
	return &b
}}

// createTemp creates a new temporary file in dir for a body of size bytes,
// opened with O_DIRECT when size calls for it and the filesystem allows.
func createTemp(dir string, size int64) (f *os.File, direct bool, err error) {
	var rnd [8]byte
	for range 100 {
		if _, err := rand.Read(rnd[:]); err != nil {
			return nil, false, err
		}
		name := filepath.Join(dir, tmpPrefix+hex.EncodeToString(rnd[:]))
		flag := os.O_RDWR | os.O_CREATE | os.O_EXCL
		if size >= directMin {
			f, direct, err = openDirect(name, flag, 0o600)
		} else {
			f, err = os.OpenFile(name, flag, 0o600)
		}
		if !errors.Is(err, iofs.ErrExist) {
			return f, direct, err
		}
	}
	return nil, false, fmt.Errorf("create temporary file in %s: %w", dir, iofs.ErrExist)
}

// writeBody writes exactly size bytes of r to f. It returns an error
// wrapping ErrShortBody when r ends before.
func writeBody(f *os.File, direct bool, r io.Reader, size int64) error {
	if !direct {
		return copyN(f, r, size)
	}
	bp := directBufs.Get().(*[]byte)
	defer directBufs.Put(bp)
	buf := *bp
	var done int64
	for done < size {
		n, err := io.ReadFull(r, buf[:min(int64(len(buf)), size-done)])
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return fmt.Errorf("body has %d bytes, want %d: %w", done+int64(n), size, backends.ErrShortBody)
			}
			return err
		}
		if direct && n%directAlign != 0 {
			// The tail: O_DIRECT writes whole blocks only.
			if err := setDirect(f, false); err != nil {
				return fmt.Errorf("end direct writes: %w", err)
			}
			direct = false
		}
		if _, err := f.Write(buf[:n]); err != nil {
			if !direct {
				return err
			}
			// A filesystem that took O_DIRECT at open but refuses the
			// write: write this and the rest through the page cache.
			if serr := setDirect(f, false); serr != nil {
				return err
			}
			direct = false
			if _, err := f.WriteAt(buf[:n], done); err != nil {
				return err
			}
			if _, err := f.Seek(done+int64(n), io.SeekStart); err != nil {
				return err
			}
		}
		done += int64(n)
	}
	return nil
}
