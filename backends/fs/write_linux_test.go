package fs

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"os"
	"testing"

	"github.com/prismd/prismd/backends"

	"golang.org/x/sys/unix"
)

// TestLargePutsWriteDirect: on a filesystem with O_DIRECT (ext4, xfs, the
// disks prismd runs on) a large Put bypasses the page cache, small ones do
// not, and the bytes written are the body's, tail included.
func TestLargePutsWriteDirect(t *testing.T) {
	dir := t.TempDir()
	supports, fsType := directSupported(t, dir)
	for _, size := range []int64{directMin - 1, directMin, 3*directChunk + 4097} {
		f, direct, err := createTemp(dir, size)
		if err != nil {
			t.Fatal(err)
		}
		if want := supports && size >= directMin; direct != want {
			t.Errorf("size %d: direct %v, want %v (filesystem type %#x)", size, direct, want, fsType)
		}
		fl, err := unix.FcntlInt(f.Fd(), unix.F_GETFL, 0)
		if err != nil {
			t.Fatal(err)
		}
		if got := fl&unix.O_DIRECT != 0; got != direct {
			t.Errorf("size %d: O_DIRECT set %v, createTemp said %v", size, got, direct)
		}
		data := make([]byte, size)
		rand.Read(data)
		if err := writeBody(context.Background(), f, direct, bytes.NewReader(data), size); err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		f.Close()
		got, err := os.ReadFile(f.Name())
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("size %d: read back %d bytes (%v), equal %v", size, len(got), err, bytes.Equal(got, data))
		}
	}
}

// pieceBody is a backends.PiecewiseBody over pieces, which Read and
// NextPiece both consume.
type pieceBody struct{ pieces [][]byte }

func (b *pieceBody) NextPiece() ([]byte, error) {
	if len(b.pieces) == 0 {
		return nil, io.EOF
	}
	p := b.pieces[0]
	b.pieces = b.pieces[1:]
	return p, nil
}

func (b *pieceBody) Read(p []byte) (int, error) {
	if len(b.pieces) == 0 {
		return 0, io.EOF
	}
	n := copy(p, b.pieces[0])
	if b.pieces[0] = b.pieces[0][n:]; len(b.pieces[0]) == 0 {
		b.pieces = b.pieces[1:]
	}
	return n, nil
}

// alignedBytes returns n random bytes at an address direct I/O takes.
func alignedBytes(n int) []byte {
	b := make([]byte, n+directAlign)
	for len(b) > 0 && !aligned(b[:directAlign]) {
		b = b[1:]
	}
	b = b[:n]
	rand.Read(b)
	return b
}

// TestPiecewiseBodies: a Put of a body in pieces stores its bytes, whatever
// the pieces' alignment; pieces direct I/O takes as they are go to the
// file without being gathered (the gathering buffer stays untouched); a
// body shorter or longer than its size stores nothing.
func TestPiecewiseBodies(t *testing.T) {
	dir := t.TempDir()
	supports, _ := directSupported(t, dir)
	big := alignedBytes(3 << 20)
	for _, c := range []struct {
		name     string
		pieces   [][]byte
		gathered bool // some piece is copied into the buffer
	}{
		{"aligned pieces, unaligned tail", [][]byte{big[:1<<20], big[1<<20 : 2<<20+8192], big[2<<20+8192 : 2<<20+8192+100]}, false},
		{"aligned pieces only", [][]byte{big[:4096], big[4096 : 2<<20]}, false},
		{"unaligned start", [][]byte{big[1 : 1<<20], big[1<<20 : 3<<20]}, true},
		{"block and hash pairs", [][]byte{big[:256<<10], big[256<<10 : 256<<10+16], big[256<<10+16 : 2<<20]}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			var want []byte
			for _, p := range c.pieces {
				want = append(want, p...)
			}
			f, direct, err := createTemp(dir, int64(len(want)))
			if err != nil {
				t.Fatal(err)
			}
			defer os.Remove(f.Name())
			buf := alignedBytes(directChunk)
			before := bytes.Clone(buf)
			d := &directFile{f: f, direct: direct}
			if err := d.writePieces(context.Background(), buf, &pieceBody{pieces: c.pieces}, int64(len(want))); err != nil {
				t.Fatal(err)
			}
			if untouched := bytes.Equal(buf, before); supports && direct && untouched == c.gathered {
				t.Errorf("gathering buffer untouched %v, want %v", untouched, !c.gathered)
			}
			f.Close()
			if got, err := os.ReadFile(f.Name()); err != nil || !bytes.Equal(got, want) {
				t.Errorf("read back %d bytes (%v), equal %v", len(got), err, bytes.Equal(got, want))
			}
		})
	}

	b, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := b.CreateBucket(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	body := func() *pieceBody { return &pieceBody{pieces: [][]byte{big[:1<<20], big[1<<20 : 2<<20+5]}} }
	size := int64(2<<20 + 5)
	if err := b.Put(ctx, "b", "whole", body(), size); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, b, "b", "whole"); !bytes.Equal(got, big[:size]) {
		t.Errorf("Put stored %d bytes, equal %v", len(got), bytes.Equal(got, big[:size]))
	}
	for _, c := range []struct {
		name string
		size int64
	}{{"longer", size - 1}, {"shorter", size + 1}, {"longer by a piece", size - 5}} {
		if err := b.Put(ctx, "b", c.name, body(), c.size); !errors.Is(err, backends.ErrShortBody) {
			t.Errorf("%s body: %v, want ErrShortBody", c.name, err)
		}
		if _, err := b.Stat(ctx, "b", c.name); !errors.Is(err, backends.ErrNotFound) {
			t.Errorf("%s body: stored (%v)", c.name, err)
		}
	}
	// A Put cancelled between two pieces (its shard dropped) stores nothing.
	cctx, cancel := context.WithCancel(ctx)
	cancelling := &cancelAfterFirst{pieceBody: body(), cancel: cancel}
	if err := b.Put(cctx, "b", "cancelled", cancelling, size); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Put: %v, want context.Canceled", err)
	}
	if _, err := b.Stat(ctx, "b", "cancelled"); !errors.Is(err, backends.ErrNotFound) {
		t.Errorf("cancelled Put: stored (%v)", err)
	}
}

// cancelAfterFirst cancels its Put's context once its first piece is taken.
type cancelAfterFirst struct {
	*pieceBody
	cancel func()
}

func (c *cancelAfterFirst) NextPiece() ([]byte, error) {
	defer c.cancel()
	return c.pieceBody.NextPiece()
}

func readAll(t *testing.T, b *Backend, bucket, key string) []byte {
	t.Helper()
	rc, err := b.Get(context.Background(), bucket, key, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// directSupported reports whether dir's filesystem takes O_DIRECT (ext4,
// xfs: the disks prismd runs on), and its type.
func directSupported(t *testing.T, dir string) (bool, int64) {
	t.Helper()
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	return st.Type == unix.EXT4_SUPER_MAGIC || st.Type == unix.XFS_SUPER_MAGIC, st.Type
}
