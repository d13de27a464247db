package log

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Snapshot formats, all integers little-endian. Version 2 (written today)
// streams its payload in frames, so that neither writing nor reading a
// snapshot holds it in memory:
//
//	magic   [8]byte "PRSMSNAP"
//	version uint32  (2)
//	index   uint64
//	time    int64   unix nanoseconds of the event at index
//	frames  uvarint(n) ‖ n payload bytes, …, ending with uvarint(0)
//	sum     [32]byte SHA-256 of every preceding byte
//
// Version 1 (still read) held the payload in one piece:
//
//	magic "PRSMSNAP" | version uint32 (1) | index uint64 | length uint64 |
//	payload [length]byte | sha256 [32]byte of every preceding byte
const (
	snapshotMagic    = "PRSMSNAP"
	snapshotVersion  = 2
	snapshotPrefix   = "snap-"
	snapshotSuffix   = ".prsm"
	snapshotKeep     = 2
	snapshotFrameMax = 1 << 20 // the writer's frames; the reader accepts up to 64 MiB
	maxFrame         = 64 << 20
)

// SnapshotWriter writes a snapshot in the streaming format: the payload is
// written to it, then Close adds the end mark and the checksum. It does
// not close the underlying writer.
type SnapshotWriter struct {
	w   io.Writer
	sum hash.Hash
	buf []byte
	err error
}

// NewSnapshotWriter starts a snapshot taken at index, whose event was
// written at unixNano, on w.
func NewSnapshotWriter(w io.Writer, index uint64, unixNano int64) *SnapshotWriter {
	s := &SnapshotWriter{w: w, sum: sha256.New(), buf: make([]byte, 0, snapshotFrameMax)}
	var hdr [8 + 4 + 8 + 8]byte
	copy(hdr[:], snapshotMagic)
	binary.LittleEndian.PutUint32(hdr[8:], snapshotVersion)
	binary.LittleEndian.PutUint64(hdr[12:], index)
	binary.LittleEndian.PutUint64(hdr[20:], uint64(unixNano))
	s.emit(hdr[:])
	return s
}

func (s *SnapshotWriter) emit(b []byte) {
	if s.err != nil {
		return
	}
	s.sum.Write(b)
	_, s.err = s.w.Write(b)
}

// Write buffers p into frames.
func (s *SnapshotWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 && s.err == nil {
		c := min(len(p), cap(s.buf)-len(s.buf))
		s.buf = append(s.buf, p[:c]...)
		p = p[c:]
		if len(s.buf) == cap(s.buf) {
			s.flush()
		}
	}
	if s.err != nil {
		return 0, s.err
	}
	return n, nil
}

func (s *SnapshotWriter) flush() {
	if len(s.buf) == 0 {
		return
	}
	s.emit(binary.AppendUvarint(nil, uint64(len(s.buf))))
	s.emit(s.buf)
	s.buf = s.buf[:0]
}

// Close writes the last frame, the end mark and the checksum.
func (s *SnapshotWriter) Close() error {
	s.flush()
	s.emit([]byte{0})
	if s.err == nil {
		_, s.err = s.w.Write(s.sum.Sum(nil))
	}
	if s.err != nil {
		return fmt.Errorf("log: write snapshot: %w", s.err)
	}
	return nil
}

// EncodeSnapshot writes a snapshot of payload taken at index to w.
func EncodeSnapshot(w io.Writer, index uint64, unixNano int64, payload []byte) error {
	s := NewSnapshotWriter(w, index, unixNano)
	s.Write(payload)
	return s.Close()
}

// SnapshotReader reads a snapshot written by SnapshotWriter (or a version
// 1 snapshot). Index and Time are known once it is made; Read yields the
// payload and, at its end, checks the checksum: it returns io.EOF only
// after a verified snapshot, ErrCorrupt (wrapped) for anything else. A
// caller must read to io.EOF before trusting what it read.
type SnapshotReader struct {
	Index uint64
	Time  int64 // unix nanoseconds of the event at Index (0 for version 1)

	r    *bufio.Reader
	sum  hash.Hash
	left uint64 // bytes left in the current frame (version 1: in the payload)
	v1   bool
	done bool
	err  error
}

// NewSnapshotReader reads a snapshot's header from r.
func NewSnapshotReader(r io.Reader) (*SnapshotReader, error) {
	s := &SnapshotReader{r: bufio.NewReaderSize(r, 1<<16), sum: sha256.New()}
	var hdr [8 + 4 + 8 + 8]byte
	if err := s.full(hdr[:12]); err != nil {
		return nil, snapshotErr("header", err)
	}
	if string(hdr[:8]) != snapshotMagic {
		return nil, fmt.Errorf("%w: snapshot: bad magic %q", ErrCorrupt, hdr[:8])
	}
	switch v := binary.LittleEndian.Uint32(hdr[8:]); v {
	case 1:
		s.v1 = true
	case 2:
	default:
		return nil, fmt.Errorf("%w: snapshot: unknown format version %d", ErrCorrupt, v)
	}
	if err := s.full(hdr[12:]); err != nil {
		return nil, snapshotErr("header", err)
	}
	s.Index = binary.LittleEndian.Uint64(hdr[12:])
	if s.v1 {
		s.left = binary.LittleEndian.Uint64(hdr[20:])
		if s.left > 1<<62 {
			return nil, fmt.Errorf("%w: snapshot: length %d", ErrCorrupt, s.left)
		}
	} else {
		s.Time = int64(binary.LittleEndian.Uint64(hdr[20:]))
	}
	return s, nil
}

// full reads exactly len(b) bytes into b and hashes them.
func (s *SnapshotReader) full(b []byte) error {
	if _, err := io.ReadFull(s.r, b); err != nil {
		return err
	}
	s.sum.Write(b)
	return nil
}

// Read implements io.Reader over the payload.
func (s *SnapshotReader) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	for s.left == 0 {
		if s.done || s.v1 {
			s.err = s.finish()
			return 0, s.err
		}
		n, err := s.frameLen()
		if err != nil {
			s.err = err
			return 0, err
		}
		if n == 0 {
			s.done = true
			continue
		}
		s.left = n
	}
	p = p[:min(uint64(len(p)), s.left)]
	n, err := io.ReadFull(s.r, p)
	s.sum.Write(p[:n])
	s.left -= uint64(n)
	if err != nil {
		s.err = snapshotErr("payload", err)
		return n, s.err
	}
	return n, nil
}

// frameLen reads a frame's length (a canonical uvarint, hashed as read).
func (s *SnapshotReader) frameLen() (uint64, error) {
	var n uint64
	for i := 0; ; i++ {
		c, err := s.r.ReadByte()
		if err != nil {
			return 0, snapshotErr("frame", err)
		}
		s.sum.Write([]byte{c})
		if i == binary.MaxVarintLen64-1 && c > 1 || i == binary.MaxVarintLen64 {
			return 0, fmt.Errorf("%w: snapshot %d: frame length overflows", ErrCorrupt, s.Index)
		}
		n |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			break
		}
	}
	if n > maxFrame {
		return 0, fmt.Errorf("%w: snapshot %d: frame of %d bytes", ErrCorrupt, s.Index, n)
	}
	return n, nil
}

// finish checks the trailing checksum; io.EOF when it matches.
func (s *SnapshotReader) finish() error {
	want := s.sum.Sum(nil)
	var got [sha256.Size]byte
	if _, err := io.ReadFull(s.r, got[:]); err != nil {
		return snapshotErr("checksum", err)
	}
	if !bytes.Equal(want, got[:]) {
		return fmt.Errorf("%w: snapshot %d: SHA-256 mismatch", ErrCorrupt, s.Index)
	}
	return io.EOF
}

// DecodeSnapshot reads one whole snapshot from r and verifies it. It
// returns ErrCorrupt if the magic, version, framing or SHA-256 is wrong or
// r ends early. Memory grows with the bytes actually read, not the lengths
// claimed.
func DecodeSnapshot(r io.Reader) (index uint64, unixNano int64, payload []byte, err error) {
	s, err := NewSnapshotReader(r)
	if err != nil {
		return 0, 0, nil, err
	}
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, s); err != nil {
		return 0, 0, nil, err
	}
	return s.Index, s.Time, buf.Bytes(), nil
}

func snapshotErr(what string, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: snapshot: truncated %s", ErrCorrupt, what)
	}
	return fmt.Errorf("log: read snapshot %s: %w", what, err)
}

// SnapshotName is the file name of the snapshot at index in a snapshot directory.
func SnapshotName(index uint64) string {
	return fmt.Sprintf("%s%020d%s", snapshotPrefix, index, snapshotSuffix)
}

// WriteSnapshot writes the snapshot at index (whose event was written at
// unixNano) into dir atomically (temporary file, fsync, rename, fsync of
// dir): write streams the payload. It then keeps only the newest two
// snapshots. It is not safe to call concurrently on one dir.
func WriteSnapshot(dir string, index uint64, unixNano int64, write func(io.Writer) error) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("log: write snapshot %d: %w", index, err)
	}
	if err := writeFileAtomic(dir, SnapshotName(index), func(w io.Writer) error {
		s := NewSnapshotWriter(w, index, unixNano)
		if err := write(s); err != nil {
			return err
		}
		return s.Close()
	}); err != nil {
		return fmt.Errorf("log: write snapshot %d: %w", index, err)
	}
	indexes, err := Snapshots(dir)
	if err != nil {
		return fmt.Errorf("log: write snapshot %d: %w", index, err)
	}
	for _, old := range indexes[min(snapshotKeep, len(indexes)):] {
		if err := os.Remove(filepath.Join(dir, SnapshotName(old))); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("log: remove snapshot %d: %w", old, err)
		}
	}
	return nil
}

// writeFileAtomic writes name in dir so that after a crash it is either
// absent or complete. Temporary files left by a crash are removed.
func writeFileAtomic(dir, name string, write func(io.Writer) error) error {
	tmps, _ := filepath.Glob(filepath.Join(dir, ".*.tmp"))
	for _, t := range tmps {
		os.Remove(t)
	}
	f, err := os.CreateTemp(dir, "."+name+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after the rename
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := write(bw); err != nil {
		f.Close()
		return err
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		return err
	}
	return syncDir(dir)
}

// Snapshots returns the indexes of the snapshot files in dir, newest first;
// an empty list when dir does not exist.
func Snapshots(dir string) ([]uint64, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var indexes []uint64
	for _, e := range entries {
		name := e.Name()
		digits, hasPrefix := strings.CutPrefix(name, snapshotPrefix)
		digits, hasSuffix := strings.CutSuffix(digits, snapshotSuffix)
		if !hasPrefix || !hasSuffix || len(digits) != 20 || e.IsDir() {
			continue
		}
		if index, err := strconv.ParseUint(digits, 10, 64); err == nil {
			indexes = append(indexes, index)
		}
	}
	slices.Sort(indexes)
	slices.Reverse(indexes)
	return indexes, nil
}

// LoadLatestSnapshot hands the newest valid snapshot in dir to load, which
// reads its payload to the end (the checksum is verified at the end: load
// must discard what it built when reading fails). When the newest fails
// (damaged file, or load's error), the older one is tried. It returns
// ErrNoSnapshot if dir holds no snapshot, and an error joining every
// failure if none loads.
func LoadLatestSnapshot(dir string, load func(s *SnapshotReader) error) error {
	indexes, err := Snapshots(dir)
	if err != nil {
		return fmt.Errorf("log: snapshots in %s: %w", dir, err)
	}
	if len(indexes) == 0 {
		return ErrNoSnapshot
	}
	var errs []error
	for _, want := range indexes {
		err := ReadSnapshotFile(filepath.Join(dir, SnapshotName(want)), func(s *SnapshotReader) error {
			if s.Index != want {
				return fmt.Errorf("%w: snapshot file %s holds index %d", ErrCorrupt, SnapshotName(want), s.Index)
			}
			return load(s)
		})
		if err == nil {
			return nil
		}
		errs = append(errs, err)
	}
	return fmt.Errorf("log: no valid snapshot in %s: %w", dir, errors.Join(errs...))
}

// ReadSnapshotFile opens the snapshot file at path and hands it to read.
func ReadSnapshotFile(path string, read func(s *SnapshotReader) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	s, err := NewSnapshotReader(f)
	if err == nil {
		err = read(s)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return nil
}
