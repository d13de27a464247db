package log

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// The WAL (tidwall/wal) stores a segment as a file named by its first index
// (20 decimal digits) holding frames: uvarint(length) then length bytes. It
// has no checksum of its own and refuses to open when the last frame of the
// last segment is incomplete. Records are this package's checksummed bytes.

// segmentStarts returns the first index of every segment file, in order.
func segmentStarts(dir string) ([]uint64, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var starts []uint64
	for _, e := range entries { // sorted by name: by index, as names are zero-padded
		name := e.Name()
		if len(name) != 20 || e.IsDir() {
			continue
		}
		if index, err := strconv.ParseUint(name, 10, 64); err == nil && index != 0 {
			starts = append(starts, index)
		}
	}
	return starts, nil
}

func segmentName(first uint64) string { return fmt.Sprintf("%020d", first) }

// lastSegment returns the path and first index of the newest segment file,
// or ok == false when dir holds none.
func lastSegment(dir string) (path string, first uint64, ok bool, err error) {
	starts, err := segmentStarts(dir)
	if err != nil || len(starts) == 0 {
		return "", 0, false, err
	}
	first = starts[len(starts)-1]
	return filepath.Join(dir, segmentName(first)), first, true, nil
}

// tailSegmentSize returns the size of the newest segment file (0 if none).
func tailSegmentSize(dir string) (int, error) {
	path, _, ok, err := lastSegment(dir)
	if err != nil || !ok {
		return 0, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return int(fi.Size()), nil
}

// repairTail cuts a torn tail off the newest segment: everything after the
// last record that has a complete frame and a valid checksum, provided no
// valid record can be found anywhere in the bytes cut. If one can, the
// damage is in the middle of the log and repairTail returns ErrCorrupt
// naming the first damaged index, without changing anything.
func repairTail(dir string, sync bool) error {
	path, first, ok, err := lastSegment(dir)
	if err != nil || !ok {
		return err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	good, n := scanFrames(data)
	if good == len(data) {
		return nil
	}
	if at := findRecord(data[good+1:]); at >= 0 {
		return fmt.Errorf("%w: record %d (segment %s, offset %d) is damaged and followed by a valid record at offset %d",
			ErrCorrupt, first+uint64(n), filepath.Base(path), good, good+1+at)
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Truncate(int64(good)); err != nil {
		return fmt.Errorf("cut torn tail of %s at %d: %w", path, good, err)
	}
	if sync {
		if err := f.Sync(); err != nil {
			return fmt.Errorf("cut torn tail of %s at %d: %w", path, good, err)
		}
	}
	return f.Close()
}

// scanFrames walks the frames of a segment from the start and returns the
// end offset of the last of the n leading frames whose records are valid.
func scanFrames(data []byte) (end, n int) {
	for end < len(data) {
		size, k := binary.Uvarint(data[end:])
		if k <= 0 || size > uint64(len(data)-end-k) {
			return end, n
		}
		if !checksumOK(data[end+k : end+k+int(size)]) {
			return end, n
		}
		end += k + int(size)
		n++
	}
	return end, n
}

// findRecord returns the offset of the first frame in data holding a record
// with a valid checksum, or -1.
func findRecord(data []byte) int {
	for i := range data {
		size, k := binary.Uvarint(data[i:])
		if k <= 0 || size < minRecordSize || size > uint64(len(data)-i-k) {
			continue
		}
		rec := data[i+k : i+k+int(size)]
		if rec[0] == envelopeArray && checksumOK(rec) {
			return i
		}
	}
	return -1
}

// syncDir fsyncs a directory, making file creations and renames in it durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return err
	}
	return d.Close()
}
