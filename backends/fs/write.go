package fs

import (
	"context"
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

// writeBody writes exactly size bytes of r to f, with O_DIRECT when direct.
// It returns an error wrapping ErrShortBody when r ends before, or, for a
// backends.PiecewiseBody, goes on past size.
func writeBody(ctx context.Context, f *os.File, direct bool, r io.Reader, size int64) error {
	if !direct {
		return copyN(f, &ctxReader{ctx: ctx, r: r}, size)
	}
	bp := directBufs.Get().(*[]byte)
	defer directBufs.Put(bp)
	d := &directFile{f: f, direct: true}
	if pb, ok := r.(backends.PiecewiseBody); ok {
		return d.writePieces(ctx, *bp, pb, size)
	}
	buf := *bp
	r = &ctxReader{ctx: ctx, r: r}
	var done int64
	for done < size {
		n, err := io.ReadFull(r, buf[:min(int64(len(buf)), size-done)])
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return fmt.Errorf("body has %d bytes, want %d: %w", done+int64(n), size, backends.ErrShortBody)
			}
			return err
		}
		if err := d.write(buf[:n]); err != nil {
			return err
		}
		done += int64(n)
	}
	return nil
}

// writePieces writes exactly size bytes of pb. A piece that direct I/O
// takes as it is (aligned, and at an aligned offset: nothing is gathered
// in buf) goes to the disk without a copy; the others are gathered in buf,
// whose every write but the last is whole.
func (d *directFile) writePieces(ctx context.Context, buf []byte, pb backends.PiecewiseBody, size int64) error {
	var done int64
	fill := 0
	for done < size {
		if err := ctx.Err(); err != nil {
			return err
		}
		p, err := pb.NextPiece()
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("body has %d bytes, want %d: %w", done, size, backends.ErrShortBody)
		}
		if err != nil {
			return err
		}
		if int64(len(p)) > size-done {
			return fmt.Errorf("body longer than %d bytes: %w", size, backends.ErrShortBody)
		}
		done += int64(len(p))
		// The last piece, when nothing is gathered, needs no gathering
		// either: write turns direct I/O off for it if it must.
		if fill == 0 && (aligned(p) || !d.direct || done == size) {
			if err := d.write(p); err != nil {
				return err
			}
			continue
		}
		for len(p) > 0 {
			n := copy(buf[fill:], p)
			fill, p = fill+n, p[n:]
			if fill == len(buf) {
				if err := d.write(buf); err != nil {
					return err
				}
				fill = 0
			}
		}
	}
	if fill > 0 {
		return d.write(buf[:fill])
	}
	return nil
}

// directFile writes a file with O_DIRECT while it can: it turns it off for
// a piece direct I/O does not take (the tail that is not whole blocks, an
// unaligned buffer), and for good when the filesystem refuses a direct
// write, writing the rest through the page cache.
type directFile struct {
	f      *os.File
	direct bool
}

func (d *directFile) write(p []byte) error {
	if d.direct && !aligned(p) {
		if err := setDirect(d.f, false); err != nil {
			return fmt.Errorf("end direct writes: %w", err)
		}
		d.direct = false
	}
	wn, err := d.f.Write(p)
	if err != nil && d.direct && setDirect(d.f, false) == nil {
		d.direct = false
		_, err = d.f.Write(p[wn:])
	}
	return err
}

// aligned reports whether direct I/O takes p as it is: its address and
// length are multiples of directAlign.
func aligned(p []byte) bool {
	return len(p) > 0 && len(p)%directAlign == 0 && uintptr(unsafe.Pointer(&p[0]))%directAlign == 0
}
