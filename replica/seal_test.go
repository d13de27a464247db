package replica

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

var testKey = bytes.Repeat([]byte{0x5a}, MasterKeySize)

// pattern is the plaintext of n bytes every seal test uses: any byte a
// reader yields can be checked against it.
func pattern(n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(i*31 + i>>8)
	}
	return p
}

func sealBytes(t testing.TB, plain []byte, kind Kind, chunk int) []byte {
	t.Helper()
	var buf bytes.Buffer
	s, err := newSealer(&buf, testKey, kind, chunk)
	if err != nil {
		t.Fatal(err)
	}
	// Uneven writes, to cross chunk boundaries inside a Write.
	for rest := plain; len(rest) > 0; {
		n := min(len(rest), 1+len(rest)%(chunk+3))
		if _, err := s.Write(rest[:n]); err != nil {
			t.Fatal(err)
		}
		rest = rest[n:]
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// openAll opens sealed and reads it to the end. It fails t if any byte
// read is not the pattern's byte at its offset.
func openAll(t testing.TB, sealed []byte, key []byte) (Kind, []byte, error) {
	t.Helper()
	kind, r, err := Open(bytes.NewReader(sealed), key)
	if err != nil {
		return 0, nil, err
	}
	got, err := io.ReadAll(r)
	if want := pattern(len(got)); !bytes.Equal(got, want) {
		t.Fatalf("Open yielded %d bytes that are not the plaintext", len(got))
	}
	return kind, got, err
}

func TestSealRoundTrip(t *testing.T) {
	for _, size := range []int{0, 1, chunkSize - 1, chunkSize, chunkSize + 1, 3*chunkSize + 5, 5<<20 + 3} {
		plain := pattern(size)
		var buf bytes.Buffer
		s, err := NewSealer(&buf, testKey, KindSegment)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(s, bytes.NewReader(plain)); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if int64(buf.Len()) != SealedSize(int64(size)) {
			t.Errorf("size %d: sealed %d bytes, SealedSize says %d", size, buf.Len(), SealedSize(int64(size)))
		}
		kind, got, err := openAll(t, buf.Bytes(), testKey)
		if err != nil || kind != KindSegment || len(got) != size {
			t.Errorf("size %d: Open = %v, %d bytes, %v", size, kind, len(got), err)
		}
	}
}

func TestSealSmallChunks(t *testing.T) {
	const chunk = 16
	for size := range 4*chunk + 2 {
		sealed := sealBytes(t, pattern(size), KindOrigin, chunk)
		if int64(len(sealed)) != sealedSize(int64(size), chunk) {
			t.Errorf("size %d: sealed %d bytes, sealedSize says %d", size, len(sealed), sealedSize(int64(size), chunk))
		}
		kind, got, err := openAll(t, sealed, testKey)
		if err != nil || kind != KindOrigin || len(got) != size {
			t.Errorf("size %d: Open = %v, %d bytes, %v", size, kind, len(got), err)
		}
	}
}

func TestSealWrongKey(t *testing.T) {
	sealed := sealBytes(t, pattern(100), KindSnapshot, 16)
	other := bytes.Repeat([]byte{1}, MasterKeySize)
	if _, _, err := Open(bytes.NewReader(sealed), other); !errors.Is(err, ErrWrongKey) {
		t.Errorf("Open with another key: %v, want ErrWrongKey", err)
	}
	for _, bad := range [][]byte{nil, testKey[:16], append(testKey, 0)} {
		if _, _, err := Open(bytes.NewReader(sealed), bad); err == nil {
			t.Errorf("Open with a %d-byte key succeeded", len(bad))
		}
		if _, err := NewSealer(io.Discard, bad, KindSnapshot); err == nil {
			t.Errorf("NewSealer with a %d-byte key succeeded", len(bad))
		}
	}
	if _, err := NewSealer(io.Discard, testKey, KindLease); err == nil {
		t.Error("NewSealer of a lease succeeded")
	}
}

// wantCorrupt checks that sealed fails with ErrCorrupt (or ErrWrongKey for
// a damaged header) and yields no byte that is not the plaintext's.
func wantCorrupt(t *testing.T, what string, sealed []byte) {
	t.Helper()
	_, got, err := openAll(t, sealed, testKey)
	if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrWrongKey) {
		t.Errorf("%s: read %d bytes, err %v; want ErrCorrupt", what, len(got), err)
	}
}

func TestSealCorruption(t *testing.T) {
	const chunk, size = 16, 3*16 + 7 // three full chunks and a final one of 7 bytes
	sealed := sealBytes(t, pattern(size), KindSegment, chunk)
	body := sealed[sealHeader:]
	sc := chunk + tagSize
	chunks := [][]byte{body[:sc], body[sc : 2*sc], body[2*sc : 3*sc], body[3*sc:]}
	join := func(parts ...[]byte) []byte {
		return bytes.Join(append([][]byte{sealed[:sealHeader]}, parts...), nil)
	}
	for i := range sealed {
		for _, bit := range []byte{1, 0x80} {
			flipped := bytes.Clone(sealed)
			flipped[i] ^= bit
			wantCorrupt(t, "flipped bit", flipped)
		}
	}
	for n := range len(sealed) {
		wantCorrupt(t, "truncated", sealed[:n])
	}
	wantCorrupt(t, "chunk 1 missing", join(chunks[0], chunks[2], chunks[3]))
	wantCorrupt(t, "chunks 0 and 1 swapped", join(chunks[1], chunks[0], chunks[2], chunks[3]))
	wantCorrupt(t, "final chunk missing", join(chunks[0], chunks[1], chunks[2]))
	wantCorrupt(t, "final chunk twice", join(chunks[0], chunks[1], chunks[2], chunks[3], chunks[3]))
	wantCorrupt(t, "extra byte", append(bytes.Clone(sealed), 0))
	wantCorrupt(t, "extra chunk", join(chunks[0], chunks[1], chunks[2], chunks[3], chunks[0]))
	// A file cut at a chunk boundary and closed with a forged empty final
	// chunk cannot be made without the key; one whose writer stopped
	// before Close lacks the final flag.
	var buf bytes.Buffer
	s, err := newSealer(&buf, testKey, KindSegment, chunk)
	if err != nil {
		t.Fatal(err)
	}
	s.Write(pattern(size))
	s.flush(false) // the last chunk, sealed without the final flag
	wantCorrupt(t, "last chunk without the final flag", buf.Bytes())
	// Another file's chunk, even of the same key, does not fit.
	other := sealBytes(t, pattern(size), KindSegment, chunk)
	wantCorrupt(t, "chunk of another file", join(chunks[0], other[sealHeader+sc:sealHeader+2*sc], chunks[2], chunks[3]))
}

func TestSealCorruptReadsStaySticky(t *testing.T) {
	sealed := sealBytes(t, pattern(100), KindSegment, 16)
	sealed[len(sealed)-1] ^= 1
	_, r, err := Open(bytes.NewReader(sealed), testKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(r); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("ReadAll: %v", err)
	}
	if n, err := r.Read(make([]byte, 10)); n != 0 || !errors.Is(err, ErrCorrupt) {
		t.Errorf("Read after the error = %d, %v; want 0, ErrCorrupt", n, err)
	}
}

func TestSealReaderErrorIsNotCorruption(t *testing.T) {
	sealed := sealBytes(t, pattern(100), KindSegment, 16)
	boom := errors.New("connection reset")
	r := io.MultiReader(bytes.NewReader(sealed[:80]), &errReader{boom})
	_, pr, err := Open(r, testKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(pr); !errors.Is(err, boom) || errors.Is(err, ErrCorrupt) {
		t.Errorf("ReadAll over a failing reader: %v, want the reader's error, not ErrCorrupt", err)
	}
}

type errReader struct{ err error }

func (e *errReader) Read([]byte) (int, error) { return 0, e.err }

func TestSealerWriteAfterClose(t *testing.T) {
	s, err := NewSealer(io.Discard, testKey, KindSegment)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write([]byte("x")); err == nil {
		t.Error("Write after Close succeeded")
	}
}

func FuzzOpen(f *testing.F) {
	for _, size := range []int{0, 1, 15, 16, 17, 40} {
		f.Add(sealBytes(f, pattern(size), KindSegment, 16))
	}
	f.Add(sealBytes(f, pattern(3), KindSnapshot, 1))
	f.Add([]byte(sealMagic))
	f.Fuzz(func(t *testing.T, data []byte) {
		// openAll fails the test if a byte read is not the plaintext's:
		// a forgery would have to authenticate under the test key.
		_, got, err := openAll(t, data, testKey)
		if err == nil && len(data) != int(sealedSize(int64(len(got)), int(chunkOf(data)))) {
			t.Fatalf("%d sealed bytes opened to %d plaintext bytes", len(data), len(got))
		}
		if err != nil && !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrWrongKey) {
			t.Fatalf("error that is neither ErrCorrupt nor ErrWrongKey: %v", err)
		}
	})
}

func chunkOf(sealed []byte) uint32 {
	return uint32(sealed[42]) | uint32(sealed[43])<<8 | uint32(sealed[44])<<16 | uint32(sealed[45])<<24
}
