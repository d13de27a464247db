package log

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Snapshot format, all integers little-endian:
//
//	magic   [8]byte "PRSMSNAP"
//	version uint32  (1)
//	index   uint64
//	length  uint64
//	payload [length]byte
//	sum     [32]byte SHA-256 of every preceding byte
const (
	snapshotMagic   = "PRSMSNAP"
	snapshotVersion = 1
	snapshotHeader  = 8 + 4 + 8 + 8
	snapshotPrefix  = "snap-"
	snapshotSuffix  = ".prsm"
	snapshotKeep    = 2
)

// EncodeSnapshot writes a snapshot of payload taken at index to w.
func EncodeSnapshot(w io.Writer, index uint64, payload []byte) error {
	h := sha256.New()
	var hdr [snapshotHeader]byte
	copy(hdr[:], snapshotMagic)
	binary.LittleEndian.PutUint32(hdr[8:], snapshotVersion)
	binary.LittleEndian.PutUint64(hdr[12:], index)
	binary.LittleEndian.PutUint64(hdr[20:], uint64(len(payload)))
	h.Write(hdr[:])
	h.Write(payload)
	for _, b := range [][]byte{hdr[:], payload, h.Sum(nil)} {
		if _, err := w.Write(b); err != nil {
			return fmt.Errorf("log: write snapshot %d: %w", index, err)
		}
	}
	return nil
}

// DecodeSnapshot reads one snapshot from r and verifies it. It returns
// ErrCorrupt if the magic, version, length or SHA-256 is wrong or r ends
// early. Memory grows with the bytes actually read, not the length claimed.
func DecodeSnapshot(r io.Reader) (index uint64, payload []byte, err error) {
	var hdr [snapshotHeader]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, snapshotErr("header", err)
	}
	if string(hdr[:8]) != snapshotMagic {
		return 0, nil, fmt.Errorf("%w: snapshot: bad magic %q", ErrCorrupt, hdr[:8])
	}
	if v := binary.LittleEndian.Uint32(hdr[8:]); v != snapshotVersion {
		return 0, nil, fmt.Errorf("%w: snapshot: unknown format version %d", ErrCorrupt, v)
	}
	index = binary.LittleEndian.Uint64(hdr[12:])
	size := binary.LittleEndian.Uint64(hdr[20:])
	if size > 1<<62 {
		return 0, nil, fmt.Errorf("%w: snapshot: length %d", ErrCorrupt, size)
	}
	var buf bytes.Buffer
	if n, err := io.CopyN(&buf, r, int64(size)); err != nil {
		return 0, nil, snapshotErr(fmt.Sprintf("payload (%d of %d bytes)", n, size), err)
	}
	var sum [sha256.Size]byte
	if _, err := io.ReadFull(r, sum[:]); err != nil {
		return 0, nil, snapshotErr("checksum", err)
	}
	h := sha256.New()
	h.Write(hdr[:])
	h.Write(buf.Bytes())
	if !bytes.Equal(h.Sum(nil), sum[:]) {
		return 0, nil, fmt.Errorf("%w: snapshot %d: SHA-256 mismatch", ErrCorrupt, index)
	}
	return index, buf.Bytes(), nil
}

func snapshotErr(what string, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: snapshot: truncated %s", ErrCorrupt, what)
	}
	return fmt.Errorf("log: read snapshot %s: %w", what, err)
}

func snapshotName(index uint64) string {
	return fmt.Sprintf("%s%020d%s", snapshotPrefix, index, snapshotSuffix)
}

// WriteSnapshot writes the snapshot at index into dir atomically (temporary
// file, fsync, rename, fsync of dir), then keeps only the newest two
// snapshots. It is not safe to call concurrently on one dir.
func WriteSnapshot(dir string, index uint64, payload []byte) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("log: write snapshot %d: %w", index, err)
	}
	if err := writeFileAtomic(dir, snapshotName(index), func(w io.Writer) error {
		return EncodeSnapshot(w, index, payload)
	}); err != nil {
		return fmt.Errorf("log: write snapshot %d: %w", index, err)
	}
	indexes, err := snapshots(dir)
	if err != nil {
		return fmt.Errorf("log: write snapshot %d: %w", index, err)
	}
	for _, old := range indexes[min(snapshotKeep, len(indexes)):] {
		if err := os.Remove(filepath.Join(dir, snapshotName(old))); err != nil && !errors.Is(err, fs.ErrNotExist) {
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

// snapshots returns the indexes of the snapshot files in dir, newest first.
func snapshots(dir string) ([]uint64, error) {
	entries, err := os.ReadDir(dir)
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

// LatestSnapshot returns the newest valid snapshot in dir, falling back to
// an older one when the newest fails verification. It returns ErrNoSnapshot
// if dir holds no snapshot (or does not exist), and ErrCorrupt if it holds
// snapshots but none is valid.
func LatestSnapshot(dir string) (index uint64, payload []byte, err error) {
	indexes, err := snapshots(dir)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && len(indexes) == 0) {
		return 0, nil, ErrNoSnapshot
	}
	if err != nil {
		return 0, nil, fmt.Errorf("log: latest snapshot: %w", err)
	}
	var errs []error
	for _, want := range indexes {
		index, payload, err := readSnapshot(filepath.Join(dir, snapshotName(want)))
		if err == nil && index != want {
			err = fmt.Errorf("%w: snapshot file %s holds index %d", ErrCorrupt, snapshotName(want), index)
		}
		if err == nil {
			return index, payload, nil
		}
		errs = append(errs, err)
	}
	return 0, nil, fmt.Errorf("log: no valid snapshot in %s: %w", dir, errors.Join(errs...))
}

func readSnapshot(path string) (uint64, []byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, nil, err
	}
	defer f.Close()
	index, payload, err := DecodeSnapshot(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		return 0, nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return index, payload, nil
}
