package replica

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
)

// Segment payload format (see doc.go for the byte layout).
const (
	segmentMagic  = "PRSMSEG1"
	segmentHeader = len(segmentMagic) + 8 + 8

	// SegmentOverhead is the size of a segment payload besides its
	// records: the header and the SHA-256.
	SegmentOverhead = segmentHeader + sha256.Size

	// MaxRecordSize bounds the size of one record of a segment.
	MaxRecordSize = 64 << 20
)

// SegmentRecordSize is the number of bytes a record of n bytes takes in a
// segment payload. A segment of records r1..rn has SegmentOverhead +
// Σ SegmentRecordSize(len(ri)) bytes: the plaintext size to seal.
func SegmentRecordSize(n int) int64 {
	return int64(uvarintLen(uint64(n)) + n)
}

func uvarintLen(x uint64) int {
	var b [binary.MaxVarintLen64]byte
	return binary.PutUvarint(b[:], x)
}

// SegmentWriter writes a segment payload holding the records first..last,
// streaming: the header at the first Add, each record as it is added, the
// SHA-256 at Close. Once it has returned an error, every call returns it.
type SegmentWriter struct {
	w           io.Writer // the caller's writer and h
	h           hash.Hash
	first, last uint64
	next        uint64 // index expected by Add
	remaining   uint64 // records still to add
	started     bool   // header written
	closed      bool
	err         error // sticky
}

// NewSegmentWriter returns a writer of a segment of the records
// first..last to w. The records must then be added in index order, each
// once; Close fails if any is missing. 1 <= first <= last.
func NewSegmentWriter(w io.Writer, first, last uint64) *SegmentWriter {
	h := sha256.New()
	s := &SegmentWriter{w: io.MultiWriter(w, h), h: h, next: first, last: last, first: first, remaining: last - first + 1}
	if first < 1 || first > last {
		s.err = fmt.Errorf("segment [%d, %d]: want 1 <= first <= last", first, last)
	}
	return s
}

// Add writes the record at index: the bytes the log stores for it (as
// log.(*Log).ReadRaw hands them). It returns an error if index is not the
// next one, or data is empty or larger than MaxRecordSize.
func (s *SegmentWriter) Add(index uint64, data []byte) error {
	switch {
	case s.err != nil:
		return s.err
	case s.closed:
		return errors.New("segment: add after close")
	case s.remaining == 0 || index != s.next:
		return fmt.Errorf("segment [%d, %d]: add record %d, want %d", s.first, s.last, index, s.next)
	case len(data) == 0 || len(data) > MaxRecordSize:
		return fmt.Errorf("segment: record %d has %d bytes, want 1 to %d", index, len(data), MaxRecordSize)
	}
	s.start()
	var n [binary.MaxVarintLen64]byte
	s.write(n[:binary.PutUvarint(n[:], uint64(len(data)))])
	s.write(data)
	s.next++
	s.remaining--
	return s.err
}

// Close writes the SHA-256. It does not close the underlying writer, and
// fails if records are missing.
func (s *SegmentWriter) Close() error {
	if s.err != nil || s.closed {
		return s.err
	}
	s.closed = true
	if s.remaining > 0 {
		s.err = fmt.Errorf("segment [%d, %d]: closed before record %d", s.first, s.last, s.next)
		return s.err
	}
	s.start()
	sum := s.h.Sum(nil)
	if _, err := s.w.Write(sum); err != nil && s.err == nil {
		s.err = fmt.Errorf("segment: write checksum: %w", err)
	}
	return s.err
}

func (s *SegmentWriter) start() {
	if s.started {
		return
	}
	s.started = true
	var hdr [segmentHeader]byte
	copy(hdr[:], segmentMagic)
	binary.LittleEndian.PutUint64(hdr[8:], s.first)
	binary.LittleEndian.PutUint64(hdr[16:], s.last)
	s.write(hdr[:])
}

func (s *SegmentWriter) write(p []byte) {
	if s.err != nil {
		return
	}
	if _, err := s.w.Write(p); err != nil {
		s.err = fmt.Errorf("segment: write record %d: %w", s.next, err)
	}
}

// ReadSegment reads a segment payload from r, calling fn with each record
// in index order (data is valid during the call only), and returns its
// first and last index once the whole payload is verified: magic, order,
// record count and lengths, the SHA-256, and the end of r right after it.
// fn may have seen records of a segment that then fails verification: a
// caller applies them to a state it discards on error. Verification
// failures wrap ErrCorrupt; an error of fn is returned wrapped; errors of
// r are returned wrapped as they are. Memory grows with the bytes read,
// never with a length claimed.
func ReadSegment(r io.Reader, fn func(index uint64, data []byte) error) (first, last uint64, err error) {
	br := bufio.NewReaderSize(r, 64<<10)
	hr := &hashingReader{r: br, h: sha256.New()}
	var hdr [segmentHeader]byte
	if _, err := io.ReadFull(hr, hdr[:]); err != nil {
		return 0, 0, readErr("segment header", err)
	}
	if string(hdr[:8]) != segmentMagic {
		return 0, 0, fmt.Errorf("%w: not a segment (magic %q)", ErrCorrupt, hdr[:8])
	}
	first = binary.LittleEndian.Uint64(hdr[8:])
	last = binary.LittleEndian.Uint64(hdr[16:])
	if first < 1 || first > last {
		return 0, 0, fmt.Errorf("%w: segment [%d, %d]", ErrCorrupt, first, last)
	}
	var buf bytes.Buffer
	for index := first; ; index++ {
		if err := readRecord(hr, &buf, index); err != nil {
			return 0, 0, err
		}
		if err := fn(index, buf.Bytes()); err != nil {
			return 0, 0, fmt.Errorf("segment record %d: %w", index, err)
		}
		if index == last {
			break
		}
	}
	var sum [sha256.Size]byte
	if _, err := io.ReadFull(br, sum[:]); err != nil {
		return 0, 0, readErr("segment checksum", err)
	}
	if !bytes.Equal(sum[:], hr.h.Sum(nil)) {
		return 0, 0, fmt.Errorf("%w: segment [%d, %d]: SHA-256 mismatch", ErrCorrupt, first, last)
	}
	switch _, err := br.ReadByte(); {
	case err == nil:
		return 0, 0, fmt.Errorf("%w: segment [%d, %d]: bytes after the checksum", ErrCorrupt, first, last)
	case err != io.EOF:
		return 0, 0, readErr("segment end", err)
	}
	return first, last, nil
}

// readRecord reads one record's length and bytes into buf.
func readRecord(hr *hashingReader, buf *bytes.Buffer, index uint64) error {
	before := hr.n
	n, err := binary.ReadUvarint(hr)
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%w: segment ends before record %d", ErrCorrupt, index)
	case err != nil && hr.err == nil: // the varint overflows
		return fmt.Errorf("%w: record %d: bad length: %v", ErrCorrupt, index, err)
	case err != nil:
		return readErr(fmt.Sprintf("record %d length", index), err)
	case n == 0 || n > MaxRecordSize:
		return fmt.Errorf("%w: record %d has length %d, want 1 to %d", ErrCorrupt, index, n, MaxRecordSize)
	case hr.n-before != int64(uvarintLen(n)):
		return fmt.Errorf("%w: record %d: length not minimally encoded", ErrCorrupt, index)
	}
	buf.Reset()
	if _, err := io.CopyN(buf, hr, int64(n)); err != nil {
		return readErr(fmt.Sprintf("record %d (%d bytes)", index, n), err)
	}
	return nil
}

// hashingReader hashes and counts the bytes read through it.
type hashingReader struct {
	r   *bufio.Reader
	h   hash.Hash
	n   int64
	err error // the last error of r
}

func (h *hashingReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.h.Write(p[:n])
	h.n += int64(n)
	h.err = err
	return n, err
}

func (h *hashingReader) ReadByte() (byte, error) {
	b, err := h.r.ReadByte()
	h.err = err
	if err == nil {
		h.h.Write([]byte{b})
		h.n++
	}
	return b, err
}
