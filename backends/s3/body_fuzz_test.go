package s3

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/prismd/prismd/backends"
)

// FuzzExactBody: however a body comes in pieces, and however Read and
// nextPiece take it, exactBody yields exactly the body when it has its
// declared size; otherwise it fails with ErrShortBody before yielding the
// declared size's last byte, so a region never receives a complete
// request for a bad body.
func FuzzExactBody(f *testing.F) {
	f.Add([]byte{3, 1, 4, 1, 5}, uint16(100), int8(0), uint8(0x55))
	f.Add([]byte{0}, uint16(1), int8(1), uint8(0))
	f.Add([]byte{7, 7}, uint16(14), int8(-1), uint8(0xff))
	f.Add([]byte{16}, uint16(32), int8(16), uint8(0xaa))
	f.Fuzz(func(t *testing.T, sizes []byte, n uint16, delta int8, mix uint8) {
		if len(sizes) == 0 {
			return
		}
		size := int64(n)
		bodyLen := size + int64(delta)
		if bodyLen < 0 {
			return
		}
		body := make([]byte, bodyLen)
		for i := range body {
			body[i] = byte(i*7 + 1)
		}
		src := &countedPieces{}
		for i, rest := 0, body; len(rest) > 0; i++ {
			k := min(int(sizes[i%len(sizes)])+1, len(rest))
			src.pieces = append(src.pieces, rest[:k])
			rest = rest[k:]
		}
		e := newExactBody(src, size)
		if size == 0 {
			// Put checks an empty body before the request (see Put).
			if err := e.checkEOF(); (err != nil) != (bodyLen > 0) || err != nil && !errors.Is(err, backends.ErrShortBody) {
				t.Fatalf("body of %d declared 0: checkEOF = %v", bodyLen, err)
			}
			return
		}
		var got []byte
		var err error
		for step := 0; err == nil; step++ {
			if mix>>(step%8)&1 == 1 {
				p := make([]byte, 1+step%5)
				var k int
				k, err = e.Read(p)
				got = append(got, p[:k]...)
			} else {
				var p []byte
				p, err = e.nextPiece()
				got = append(got, p...)
			}
			if step > 4*int(size)+100 {
				t.Fatal("no end")
			}
		}
		if bodyLen == size {
			if err != io.EOF || !bytes.Equal(got, body) {
				t.Fatalf("good body of %d: got %d bytes, %v", size, len(got), err)
			}
			return
		}
		if !errors.Is(err, backends.ErrShortBody) {
			t.Fatalf("body of %d declared %d: %v, want ErrShortBody", bodyLen, size, err)
		}
		if int64(len(got)) >= size {
			t.Fatalf("body of %d declared %d: all %d declared bytes yielded before the failure", bodyLen, size, len(got))
		}
		if !bytes.Equal(got, body[:len(got)]) {
			t.Fatal("yielded bytes differ from the body")
		}
	})
}
