package log

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/tidwall/wal"
)

// RawWriter writes records that come from elsewhere — a restore from the
// regions — into a new log, with their indexes, times and bytes as they
// were written. The log may start at any index (the one after the snapshot
// it continues), which an Append-built log cannot.
type RawWriter struct {
	dir  string
	w    *wal.Log
	next uint64
	wb   wal.Batch
	n    int
}

// rawBatch is how many records RawWriter writes in one WAL batch.
const rawBatch = 4096

// CreateRaw creates a log in dir (which must not hold one) whose first
// record will have index first.
func CreateRaw(dir string, first uint64) (*RawWriter, error) {
	if first == 0 {
		return nil, fmt.Errorf("log: create %s: the first index is 1 or more", dir)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("log: create %s: %w", dir, err)
	}
	switch starts, err := segmentStarts(dir); {
	case err != nil:
		return nil, fmt.Errorf("log: create %s: %w", dir, err)
	case len(starts) > 0:
		return nil, fmt.Errorf("log: create %s: it already holds a log", dir)
	}
	// An empty segment file named by its first index makes the WAL start
	// there (firstIndex = first, lastIndex = first-1).
	f, err := os.OpenFile(filepath.Join(dir, segmentName(first)), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o640)
	if err != nil {
		return nil, fmt.Errorf("log: create %s: %w", dir, err)
	}
	if err := errors.Join(f.Sync(), f.Close(), syncDir(dir)); err != nil {
		return nil, fmt.Errorf("log: create %s: %w", dir, err)
	}
	w, err := wal.Open(dir, &wal.Options{NoSync: true, SegmentSize: defaultSegmentSize, AllowEmpty: true})
	if err != nil {
		return nil, fmt.Errorf("log: create %s: %w", dir, err)
	}
	return &RawWriter{dir: dir, w: w, next: first}, nil
}

// Write appends the stored bytes of the record at index, which must be
// the next one. The bytes are verified (checksum and encoding) first.
func (r *RawWriter) Write(index uint64, data []byte) error {
	if index != r.next {
		return fmt.Errorf("log: restore: record %d after %d", index, r.next-1)
	}
	if _, _, err := Decode(data); err != nil {
		return fmt.Errorf("log: restore: record %d: %w", index, err)
	}
	r.wb.Write(index, data)
	r.next++
	if r.n++; r.n == rawBatch {
		return r.flush()
	}
	return nil
}

func (r *RawWriter) flush() error {
	if r.n == 0 {
		return nil
	}
	if err := r.w.WriteBatch(&r.wb); err != nil {
		return fmt.Errorf("log: restore: write records up to %d: %w", r.next-1, err)
	}
	r.wb.Clear()
	r.n = 0
	return nil
}

// Close writes what is buffered, makes it durable and closes the log; it
// returns the index of the last record written (first-1 if none).
func (r *RawWriter) Close() (uint64, error) {
	err := r.flush()
	if err == nil {
		err = r.w.Sync()
	}
	if cerr := r.w.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = syncDir(r.dir)
	}
	if err != nil {
		return 0, fmt.Errorf("log: restore: %w", err)
	}
	return r.next - 1, nil
}

// Empty reports whether dir holds no log (absent, or no segment file).
func Empty(dir string) (bool, error) {
	starts, err := segmentStarts(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return true, nil
	}
	return len(starts) == 0, err
}
