package fs

import (
	"errors"
	"fmt"
	"io"
	"os"
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
// with O_DIRECT turned on when size calls for it and the filesystem allows
// (direct true).
func createTemp(dir string, size int64) (f *os.File, direct bool, err error) {
	f, err = os.CreateTemp(dir, tmpPrefix+"*")
	if err != nil || size < directMin {
		return f, false, err
	}
	return f, setDirect(f, true) == nil, nil
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
		wn, err := f.Write(buf[:n])
		if err != nil && direct && setDirect(f, false) == nil {
			// A filesystem that took O_DIRECT but refuses the write:
			// write the rest through the page cache.
			direct = false
			_, err = f.Write(buf[wn:n])
		}
		if err != nil {
			return err
		}
		done += int64(n)
	}
	return nil
}
