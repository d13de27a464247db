package backendtest

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/prismd/prismd/backends"
)

// pieceBody is a backends.PiecewiseBody as the engine makes one: pieces
// held in memory it reuses. Once the next call (Read or NextPiece) moves
// past a piece, the piece's memory is overwritten, so a backend that keeps
// a piece past its validity stores garbage and the suite sees it.
type pieceBody struct {
	pieces [][]byte
	given  []byte // the piece NextPiece last returned
}

func newPieceBody(data []byte, sizes ...int) *pieceBody {
	b := &pieceBody{}
	for i := 0; len(data) > 0; i++ {
		n := min(sizes[i%len(sizes)], len(data))
		b.pieces = append(b.pieces, bytes.Clone(data[:n]))
		data = data[n:]
	}
	return b
}

// recycle overwrites the piece given last, as the engine reuses its memory.
func (b *pieceBody) recycle() {
	for i := range b.given {
		b.given[i] = 0xA5
	}
	b.given = nil
}

func (b *pieceBody) NextPiece() ([]byte, error) {
	b.recycle()
	if len(b.pieces) == 0 {
		return nil, io.EOF
	}
	b.given, b.pieces = b.pieces[0], b.pieces[1:]
	return b.given, nil
}

func (b *pieceBody) Read(p []byte) (int, error) {
	b.recycle()
	if len(b.pieces) == 0 {
		return 0, io.EOF
	}
	n := copy(p, b.pieces[0])
	if b.pieces[0] = b.pieces[0][n:]; len(b.pieces[0]) == 0 {
		b.pieces = b.pieces[1:]
	}
	return n, nil
}

var _ backends.PiecewiseBody = (*pieceBody)(nil)

// testPiecewiseBody: a body in pieces (backends.PiecewiseBody) is stored
// byte for byte whatever the pieces' sizes, even though each piece's memory
// is reused once the backend moves on; one shorter or longer than its size
// fails with ErrShortBody and stores nothing.
func testPiecewiseBody(t *testing.T, b backends.Backend) {
	bucket := newBucket(t, b)
	ctx := t.Context()
	cases := []struct {
		size   int
		pieces []int
	}{
		{1, []int{1}},
		{5000, []int{4096}},
		{100 << 10, []int{1, 4095, 4096, 65536}},
		{3<<20 + 7, []int{1 << 20}},
		{2 << 20, []int{1 << 20}}, // a byte too many comes as a piece of its own
		{3<<20 + 7, []int{1<<20 + 3, 4096, 12288}},
	}
	for i, c := range cases {
		key := fmt.Sprintf("pieces/%d", i)
		data := randBytes(c.size)
		if err := b.Put(ctx, bucket, key, newPieceBody(data, c.pieces...), int64(c.size)); err != nil {
			t.Fatalf("Put of %d bytes in pieces of %v: %v", c.size, c.pieces, err)
		}
		if got := mustGet(t, b, bucket, key); !bytes.Equal(got, data) {
			t.Errorf("Put of %d bytes in pieces of %v: read back %d bytes, equal %v", c.size, c.pieces, len(got), bytes.Equal(got, data))
		}
		short := fmt.Sprintf("bad/short-%d", i)
		err := b.Put(ctx, bucket, short, newPieceBody(data[:c.size-1], c.pieces...), int64(c.size))
		wantErr(t, fmt.Sprintf("Put of %d bytes in pieces with a byte missing", c.size), err, backends.ErrShortBody)
		long := fmt.Sprintf("bad/long-%d", i)
		err = b.Put(ctx, bucket, long, newPieceBody(append(bytes.Clone(data), 1), c.pieces...), int64(c.size))
		wantErr(t, fmt.Sprintf("Put of %d bytes in pieces with a byte too many", c.size), err, backends.ErrShortBody)
		assertAbsent(t, b, bucket, short)
		assertAbsent(t, b, bucket, long)
	}
}
