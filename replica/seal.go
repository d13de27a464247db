package replica

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Sealed container format (see doc.go for the byte layout).
const (
	sealMagic     = "PRSMSHIP"
	sealVersion   = 1
	saltSize      = 32
	keyCheckSize  = 16
	sealHeader    = len(sealMagic) + 1 + 1 + saltSize + 4 + keyCheckSize // 62
	tagSize       = 16                                                   // AES-GCM tag
	nonceSize     = 12
	chunkSize     = 64 << 10 // what NewSealer writes
	maxChunkSize  = 1 << 20  // the largest chunk size Open accepts
	keyCheckLabel = "prismd key check"
	fileKeyInfo   = "prismd shipped file v1"
	// MasterKeySize is the length of the master key that seals shipped files.
	MasterKeySize = 32
)

// SealedSize is the exact size of the sealed file NewSealer writes for
// plain bytes of plaintext: pass it to Store.Put.
func SealedSize(plain int64) int64 {
	return sealedSize(plain, chunkSize)
}

func sealedSize(plain int64, chunk int) int64 {
	return int64(sealHeader) + plain + tagSize*(plain/int64(chunk)+1)
}

// NewSealer returns a writer that seals what is written to it into w:
// the header at the first Write or Close, then a chunk each time 64 KiB
// are buffered. Close writes the final chunk (it does not close w); a file
// whose Close was not reached is not a valid sealed file. masterKey must be
// 32 bytes; kind is KindSnapshot, KindSegment or KindOrigin.
func NewSealer(w io.Writer, masterKey []byte, kind Kind) (io.WriteCloser, error) {
	return newSealer(w, masterKey, kind, chunkSize)
}

type sealer struct {
	w       io.Writer
	aead    cipher.AEAD
	header  []byte
	chunk   int
	buf     []byte // plaintext of the current chunk, capacity chunk+tagSize
	counter uint64
	plain   int64 // plaintext bytes written
	started bool  // header written
	closed  bool
	err     error // sticky
}

func newSealer(w io.Writer, masterKey []byte, kind Kind, chunk int) (*sealer, error) {
	if kind < KindSnapshot || kind > KindOrigin {
		return nil, fmt.Errorf("seal: kind %v cannot be sealed", kind)
	}
	if err := checkMasterKey(masterKey); err != nil {
		return nil, err
	}
	header := make([]byte, sealHeader)
	copy(header, sealMagic)
	header[8] = sealVersion
	header[9] = byte(kind)
	salt := header[10 : 10+saltSize]
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	binary.LittleEndian.PutUint32(header[42:], uint32(chunk))
	copy(header[46:], keyCheck(masterKey, salt))
	aead, err := fileAEAD(masterKey, salt)
	if err != nil {
		return nil, err
	}
	return &sealer{w: w, aead: aead, header: header, chunk: chunk, buf: make([]byte, 0, chunk+tagSize)}, nil
}

// Write implements io.Writer.
func (s *sealer) Write(p []byte) (int, error) {
	if s.closed {
		return 0, errors.New("seal: write after close")
	}
	written := 0
	for len(p) > 0 && s.err == nil {
		n := copy(s.buf[len(s.buf):s.chunk], p)
		s.buf = s.buf[:len(s.buf)+n]
		p = p[n:]
		written += n
		s.plain += int64(n)
		if len(s.buf) == s.chunk {
			s.flush(false)
		}
	}
	return written, s.err
}

// Close writes the final chunk. It does not close the underlying writer.
func (s *sealer) Close() error {
	if s.closed {
		return s.err
	}
	s.closed = true
	if s.err == nil {
		s.flush(true)
	}
	return s.err
}

// flush seals the buffered plaintext as the next chunk and writes it.
func (s *sealer) flush(final bool) {
	if !s.started {
		s.started = true
		if _, err := s.w.Write(s.header); err != nil {
			s.err = fmt.Errorf("seal: write header: %w", err)
			return
		}
	}
	sealed := s.aead.Seal(s.buf[:0], chunkNonce(s.counter, final), s.buf, s.header)
	if _, err := s.w.Write(sealed); err != nil {
		s.err = fmt.Errorf("seal: write chunk %d: %w", s.counter, err)
		return
	}
	s.counter++
	s.buf = s.buf[:0]
}

// Open reads a sealed file's header from r, checks that masterKey opens
// it, and returns the file's kind and a reader of its plaintext. The
// reader yields only authenticated bytes: a chunk that does not
// authenticate, a file that ends before its final chunk or goes on after
// it makes Read return an error wrapping ErrCorrupt, never an early
// io.EOF. Open returns ErrWrongKey when the key check differs, ErrCorrupt
// for a header it cannot read; errors of r itself (a failed network read)
// are returned wrapped as they are, not as ErrCorrupt.
func Open(r io.Reader, masterKey []byte) (Kind, io.Reader, error) {
	if err := checkMasterKey(masterKey); err != nil {
		return 0, nil, err
	}
	header := make([]byte, sealHeader)
	if _, err := io.ReadFull(r, header); err != nil {
		return 0, nil, readErr("sealed header", err)
	}
	if string(header[:8]) != sealMagic {
		return 0, nil, fmt.Errorf("%w: not a sealed file (magic %q)", ErrCorrupt, header[:8])
	}
	if header[8] != sealVersion {
		return 0, nil, fmt.Errorf("%w: sealed format version %d, want %d", ErrCorrupt, header[8], sealVersion)
	}
	kind := Kind(header[9])
	if kind < KindSnapshot || kind > KindOrigin {
		return 0, nil, fmt.Errorf("%w: sealed file of unknown kind %d", ErrCorrupt, kind)
	}
	salt := header[10 : 10+saltSize]
	chunk := binary.LittleEndian.Uint32(header[42:])
	if chunk == 0 || chunk > maxChunkSize {
		return 0, nil, fmt.Errorf("%w: chunk size %d not in [1, %d]", ErrCorrupt, chunk, maxChunkSize)
	}
	if !hmac.Equal(header[46:], keyCheck(masterKey, salt)) {
		return 0, nil, ErrWrongKey
	}
	aead, err := fileAEAD(masterKey, salt)
	if err != nil {
		return 0, nil, err
	}
	return kind, &opener{r: r, aead: aead, header: header, chunk: int(chunk)}, nil
}

type opener struct {
	r       io.Reader
	aead    cipher.AEAD
	header  []byte
	chunk   int
	buf     []byte // sealed chunk, then its plaintext in place
	plain   []byte // authenticated plaintext not yet returned
	counter uint64
	done    bool  // the final chunk was read
	err     error // sticky
}

// Read implements io.Reader.
func (o *opener) Read(p []byte) (int, error) {
	for len(o.plain) == 0 {
		switch {
		case o.err != nil:
			return 0, o.err
		case o.done:
			return 0, io.EOF
		}
		o.err = o.next()
	}
	n := copy(p, o.plain)
	o.plain = o.plain[n:]
	return n, nil
}

// next reads and authenticates the next chunk. A full-size chunk is never
// the final one; a shorter one always is.
func (o *opener) next() error {
	if o.buf == nil {
		o.buf = make([]byte, o.chunk+tagSize)
	}
	n, err := io.ReadFull(o.r, o.buf)
	final := false
	switch {
	case err == io.EOF:
		return fmt.Errorf("%w: sealed file ends after chunk %d, before its final chunk", ErrCorrupt, o.counter)
	case err == io.ErrUnexpectedEOF:
		final = true
	case err != nil:
		return fmt.Errorf("read sealed chunk %d: %w", o.counter, err)
	}
	plain, err := o.aead.Open(o.buf[:0], chunkNonce(o.counter, final), o.buf[:n], o.header)
	if err != nil {
		return fmt.Errorf("%w: sealed chunk %d (%d bytes, final %v) does not authenticate", ErrCorrupt, o.counter, n, final)
	}
	o.plain = plain
	o.counter++
	o.done = final
	return nil
}

// chunkNonce is the 11-byte big-endian chunk counter and the final flag.
func chunkNonce(counter uint64, final bool) []byte {
	nonce := make([]byte, nonceSize)
	binary.BigEndian.PutUint64(nonce[3:11], counter)
	if final {
		nonce[11] = 1
	}
	return nonce
}

func checkMasterKey(key []byte) error {
	if len(key) != MasterKeySize {
		return fmt.Errorf("master key must be %d bytes, have %d", MasterKeySize, len(key))
	}
	return nil
}

// keyCheck is the first 16 bytes of HMAC-SHA256(master, label ‖ salt).
func keyCheck(masterKey, salt []byte) []byte {
	m := hmac.New(sha256.New, masterKey)
	m.Write([]byte(keyCheckLabel))
	m.Write(salt)
	return m.Sum(nil)[:keyCheckSize]
}

// fileAEAD is AES-256-GCM under HKDF-SHA256(master, salt, info).
func fileAEAD(masterKey, salt []byte) (cipher.AEAD, error) {
	key, err := hkdf.Key(sha256.New, masterKey, salt, fileKeyInfo, 32)
	if err != nil {
		return nil, fmt.Errorf("derive file key: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// readErr turns an early end of r into ErrCorrupt and wraps other errors.
func readErr(what string, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: truncated %s", ErrCorrupt, what)
	}
	return fmt.Errorf("read %s: %w", what, err)
}
