package log

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/tidwall/wal"
)

// Replay calls fn for each record with index >= from, in index order, up to
// the LastIndex at the time of the call. Records before FirstIndex no longer
// exist: a caller that needs every record since from checks FirstIndex. A
// record that fails verification stops Replay with ErrCorrupt naming its
// index; fn's error stops it and is returned as is.
//
// Records are read in order and decoded by a few goroutines, batch by
// batch; fn is called on the calling goroutine, one record at a time.
func (l *Log) Replay(from uint64, fn func(Record) error) error {
	return l.replay(from, fn, replayWorkers(), replayBatchSize)
}

// replay is Replay with workers goroutines decoding batches of batchSize
// records; with fewer than two workers, or fewer than two batches of
// records, it reads and decodes on the calling goroutine.
func (l *Log) replay(from uint64, fn func(Record) error, workers, batchSize int) error {
	if err := l.check(); err != nil {
		return err
	}
	first, last := l.first.Load(), l.last.Load()
	from = max(from, first)
	if from == 0 || from > last {
		return nil
	}
	if workers >= 2 && last-from >= 2*uint64(batchSize) {
		return l.replayPipeline(from, last, fn, workers, batchSize)
	}
	for i := from; i <= last; i++ {
		data, err := l.read(i)
		if errors.Is(err, errUnreadable) {
			return l.replayDamaged(i, fn)
		}
		if err != nil {
			return err
		}
		ev, t, err := Decode(data)
		if err != nil {
			return fmt.Errorf("log: record %d: %w", i, err)
		}
		if err := fn(Record{Index: i, Time: t, Event: ev}); err != nil {
			return err
		}
	}
	return nil
}

// ReadRaw calls fn with the stored bytes of each record in [from, to], in
// order, after checking their checksums: the bytes Decode reads, for
// shipping to regions. data is only valid during the call. It returns
// ErrOutOfRange if the log does not hold every record of the range, and
// ErrCorrupt naming the index of a damaged record.
func (l *Log) ReadRaw(from, to uint64, fn func(index uint64, data []byte) error) error {
	if err := l.check(); err != nil {
		return err
	}
	first, last := l.first.Load(), l.last.Load()
	if from < first || to > last || from > to {
		return fmt.Errorf("%w: read [%d, %d], log holds [%d, %d]", ErrOutOfRange, from, to, first, last)
	}
	for i := from; i <= to; i++ {
		data, err := l.read(i)
		if errors.Is(err, errUnreadable) {
			_, _, err = l.segmentDamage(i)
		}
		if err != nil {
			return err
		}
		if !checksumOK(data) {
			return fmt.Errorf("log: record %d: %w: bad checksum", i, ErrCorrupt)
		}
		if err := fn(i, data); err != nil {
			return err
		}
	}
	return nil
}

// check returns ErrClosed or ErrFailed if the log cannot be read.
func (l *Log) check() error {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.usable()
}

// errUnreadable is returned by read when the WAL cannot parse the segment
// holding the record.
var errUnreadable = errors.New("log: unreadable segment")

// read returns the stored bytes of record index, translating the WAL's
// errors. A segment whose frames are damaged can make the WAL index past
// its entries and panic; that is damage too.
func (l *Log) read(index uint64) (data []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			data, err = nil, errUnreadable
		}
	}()
	data, err = l.st.Read(index)
	switch {
	case err == nil:
		return data, nil
	case errors.Is(err, wal.ErrCorrupt):
		return nil, errUnreadable
	case errors.Is(err, wal.ErrClosed):
		return nil, ErrClosed
	case errors.Is(err, wal.ErrNotFound):
		return nil, fmt.Errorf("log: record %d: %w: truncated meanwhile", index, ErrOutOfRange)
	default:
		return nil, fmt.Errorf("log: record %d: %w", index, err)
	}
}

// replayDamaged replays, from the segment file itself, the valid records of
// a segment the WAL cannot parse, from index up to the damage, and returns
// the error naming the damaged record.
func (l *Log) replayDamaged(index uint64, fn func(Record) error) error {
	start, recs, damage := l.segmentDamage(index)
	for i := index; i >= start && i-start < uint64(len(recs)); i++ {
		ev, t, err := Decode(recs[i-start])
		if err != nil {
			return fmt.Errorf("log: record %d: %w", i, err)
		}
		if err := fn(Record{Index: i, Time: t, Event: ev}); err != nil {
			return err
		}
	}
	return damage
}

// segmentDamage reads the segment file holding index and returns its first
// index, its leading valid records, and ErrCorrupt naming the first record
// that is damaged (or missing, when the segment ends before the next one
// starts).
func (l *Log) segmentDamage(index uint64) (start uint64, recs [][]byte, err error) {
	starts, err := segmentStarts(l.dir)
	if err != nil {
		return 0, nil, fmt.Errorf("log: record %d: %w: unreadable segment: %v", index, ErrCorrupt, err)
	}
	i := sort.Search(len(starts), func(i int) bool { return starts[i] > index }) - 1
	if i < 0 {
		return 0, nil, fmt.Errorf("log: record %d: %w: no segment holds it", index, ErrCorrupt)
	}
	start = starts[i]
	name := filepath.Join(l.dir, segmentName(start))
	data, err := os.ReadFile(name)
	if err != nil {
		return 0, nil, fmt.Errorf("log: record %d: %w: %v", index, ErrCorrupt, err)
	}
	end, _ := scanFrames(data)
	for off := 0; off < end; {
		size, k := binary.Uvarint(data[off:])
		recs = append(recs, data[off+k:off+k+int(size)])
		off += k + int(size)
	}
	bad := start + uint64(len(recs))
	if end == len(data) && i+1 < len(starts) {
		return start, recs, fmt.Errorf("log: record %d: %w: segment %s ends before it, the next segment starts at %d",
			bad, ErrCorrupt, segmentName(start), starts[i+1])
	}
	return start, recs, fmt.Errorf("log: record %d: %w: damaged frame at offset %d of segment %s",
		bad, ErrCorrupt, end, segmentName(start))
}
