package log

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tidwall/wal"
)

// Record is one decoded log entry.
type Record struct {
	Index uint64
	Time  int64 // unix nanoseconds, stamped by Append; never decreases along the log
	Event Event
}

// Options configure Open. The zero value is the production configuration.
type Options struct {
	// NoSync skips every fsync. For tests only: a crash loses acknowledged
	// records. Default false.
	NoSync bool
	// SegmentSize is the size at which the WAL starts a new segment file.
	// Default 20 MiB.
	SegmentSize int
	// MaxBatch is the most events one group commit writes. An Append with
	// more events than MaxBatch is committed alone. Default 4096.
	MaxBatch int
	// NotBefore is the least Time of new records (unix nanoseconds): the
	// time of the snapshot a restored, still empty log continues, so that
	// times never decrease along the history. Default 0.
	NotBefore int64
}

const (
	defaultSegmentSize = 20 << 20
	defaultMaxBatch    = 4096
	// maxYields bounds the yields between two group commits (see run).
	maxYields = 4

	// payloadSizeHint is the room Append makes for each event's payload:
	// enough for a typical ObjectCommitted.
	payloadSizeHint = 256
)

// store is the part of *wal.Log the Log uses. Tests wrap it to inject faults.
type store interface {
	WriteBatch(*wal.Batch) error
	Sync() error
	Read(index uint64) ([]byte, error)
	TruncateFront(index uint64) error
	Close() error
}

// Log is the write-ahead log of events, with group commit. Its methods are
// safe for concurrent use.
type Log struct {
	dir  string
	opts Options

	applyFn func(Record) error
	flushFn func()

	mu     sync.RWMutex // guards closed, and sends on reqs against Close
	closed bool
	reqs   chan *request
	quit   chan struct{} // closed by Close
	done   chan struct{} // closed when the committer has stopped

	// storeMu serializes the committer's writes with TruncateFront and
	// guards tailSize, the committer's model of the WAL's tail segment.
	storeMu  sync.Mutex
	st       store
	tailSize int

	first  atomic.Uint64 // first index held; last+1 when empty
	last   atomic.Uint64 // last durable index
	failed atomic.Pointer[error]

	lastTime int64 // committer only: Time of the last record
}

// request is one Append waiting for its batch.
type request struct {
	evs      []Event
	payloads [][]byte
	last     uint64
	err      error
	rejected error // the first refusal of the apply hook, if any
	done     chan struct{}
}

// Open opens (or creates) the log in dir. A torn last record of the last
// segment, left by a crash during a write, is cut away; damage followed by
// valid records returns ErrCorrupt naming the record index.
func Open(dir string, opts Options) (*Log, error) {
	if opts.SegmentSize <= 0 {
		opts.SegmentSize = defaultSegmentSize
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = defaultMaxBatch
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("log: open %s: %w", dir, err)
	}
	if err := repairTail(dir, !opts.NoSync); err != nil {
		return nil, fmt.Errorf("log: open %s: %w", dir, err)
	}
	w, err := wal.Open(dir, &wal.Options{
		NoSync:      true, // the committer syncs once per batch
		SegmentSize: opts.SegmentSize,
		AllowEmpty:  true,
		// Read returns the bytes inside the WAL's segment buffers rather
		// than a copy. Those bytes never change: the WAL only appends to a
		// buffer or replaces it, and TruncateBack, which would overwrite
		// it, is never called. Decode does not retain them.
		NoCopy: true,
	})
	if err != nil {
		if errors.Is(err, wal.ErrCorrupt) {
			err = fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		return nil, fmt.Errorf("log: open %s: %w", dir, err)
	}
	l := &Log{
		dir:  dir,
		opts: opts,
		st:   w,
		reqs: make(chan *request, opts.MaxBatch),
		quit: make(chan struct{}),
		done: make(chan struct{}),
	}
	if err := l.load(w); err != nil {
		w.Close()
		return nil, fmt.Errorf("log: open %s: %w", dir, err)
	}
	go l.run()
	return l, nil
}

// load reads the WAL's bounds and the state the committer continues from.
func (l *Log) load(w *wal.Log) error {
	first, err := w.FirstIndex()
	if err != nil {
		return err
	}
	last, err := w.LastIndex()
	if err != nil {
		return err
	}
	l.first.Store(first)
	l.last.Store(last)
	if l.tailSize, err = tailSegmentSize(l.dir); err != nil {
		return err
	}
	if last >= first && last > 0 {
		data, err := w.Read(last)
		if err != nil {
			return err
		}
		if _, t, err := Decode(data); err == nil {
			l.lastTime = t
		}
	}
	l.lastTime = max(l.lastTime, l.opts.NotBefore)
	if !l.opts.NoSync {
		return syncDir(l.dir) // a new log's first segment file
	}
	return nil
}

// SetApply registers fn, called on the committer goroutine for every record
// of a batch, in index order, after the batch is durable and before the
// Append calls of that batch return; then flush (if non-nil) once per batch.
// Set it before the first Append. fn must not call Append.
//
// fn may refuse a record by returning an error: the record stays in the log
// (a deterministic apply refuses it again on replay) and the Append that
// carried it returns ErrRejected wrapping the first such error.
func (l *Log) SetApply(fn func(Record) error, flush func()) {
	l.applyFn, l.flushFn = fn, flush
}

// Append appends evs atomically (consecutive indexes, one batch), waits until
// they are durable and applied, and returns the index of the last one.
// Concurrent appenders share one batch write and one fsync.
//
// It returns ErrClosed after Close, and ErrFailed (wrapping the cause) once
// any write or fsync has failed. If ctx ends while Append waits for its
// batch, it returns ctx's error and the outcome is unknown: the events may
// still be committed and applied. When the apply hook refused one of evs,
// Append returns the last index and ErrRejected wrapping the hook's error:
// the events are durable, and the refused one changed nothing.
func (l *Log) Append(ctx context.Context, evs ...Event) (uint64, error) {
	if len(evs) == 0 {
		return 0, errors.New("log: Append with no events")
	}
	if ctx.Err() != nil {
		return 0, context.Cause(ctx)
	}
	r := &request{
		evs:      make([]Event, len(evs)),
		payloads: make([][]byte, len(evs)),
		done:     make(chan struct{}),
	}
	// One buffer holds every payload of the request; a payload stays valid
	// where it is when a later one makes the buffer grow.
	buf := make([]byte, 0, payloadSizeHint*len(evs))
	for i, ev := range evs {
		ev, err := normalize(ev)
		if err != nil {
			return 0, err
		}
		start := len(buf)
		if buf, err = encodePayload(buf, ev); err != nil {
			return 0, err
		}
		r.payloads[i] = buf[start:len(buf):len(buf)]
		r.evs[i] = ev
	}
	if err := l.enqueue(ctx, r); err != nil {
		return 0, err
	}
	select {
	case <-r.done:
		if r.err != nil {
			return 0, r.err
		}
		if r.rejected != nil {
			return r.last, fmt.Errorf("%w: %w", ErrRejected, r.rejected)
		}
		return r.last, nil
	case <-ctx.Done():
		return 0, fmt.Errorf("log: append outcome unknown: %w", context.Cause(ctx))
	}
}

func (l *Log) enqueue(ctx context.Context, r *request) error {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if err := l.usable(); err != nil {
		return err
	}
	select {
	case l.reqs <- r:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// usable returns ErrClosed or ErrFailed if the log cannot be used.
func (l *Log) usable() error {
	if p := l.failed.Load(); p != nil {
		return fmt.Errorf("%w: %w", ErrFailed, *p)
	}
	if l.closed {
		return ErrClosed
	}
	return nil
}

// fail stops the log for good.
func (l *Log) fail(err error) error {
	l.failed.CompareAndSwap(nil, &err)
	return fmt.Errorf("%w: %w", ErrFailed, *l.failed.Load())
}

// run is the committer: it gathers queued requests into batches until Close.
func (l *Log) run() {
	defer close(l.done)
	var (
		batch []*request
		carry *request
		wb    wal.Batch
		buf   []byte
	)
	for {
		batch = batch[:0]
		if carry != nil {
			batch, carry = append(batch, carry), nil
		} else {
			select {
			case r := <-l.reqs:
				batch = append(batch, r)
			case <-l.quit:
				l.drain()
				return
			}
		}
		n := len(batch[0].evs)
	gather:
		for n < l.opts.MaxBatch {
			select {
			case r := <-l.reqs:
				if n+len(r.evs) > l.opts.MaxBatch {
					carry = r
					break gather
				}
				batch = append(batch, r)
				n += len(r.evs)
			default:
				break gather
			}
		}
		buf = l.commit(batch, &wb, buf)
		// Let the appenders just woken run before gathering the next
		// batch: those that append again at once join it rather than
		// waiting a whole fsync for the one after. Yield a few times, as
		// long as fewer requests are queued than the batch just written
		// had: with many appenders, one yield lets only some of them in.
		for range maxYields {
			runtime.Gosched()
			if len(l.reqs) >= len(batch) {
				break
			}
		}
	}
}

// drain fails the requests still queued at Close. Close holds mu while
// setting closed, so no request is sent after quit is closed.
func (l *Log) drain() {
	for {
		select {
		case r := <-l.reqs:
			r.err = ErrClosed
			close(r.done)
		default:
			return
		}
	}
}

// commit writes one batch with one WriteBatch and one fsync, applies it and
// wakes its appenders. buf is scratch space, returned for reuse.
func (l *Log) commit(batch []*request, wb *wal.Batch, buf []byte) []byte {
	err := l.write(batch, wb, &buf)
	if err == nil && l.applyFn != nil {
		for _, r := range batch {
			first := r.last - uint64(len(r.evs)) + 1
			for i, ev := range r.evs {
				if rerr := l.applyFn(Record{Index: first + uint64(i), Time: l.lastTime, Event: ev}); rerr != nil && r.rejected == nil {
					r.rejected = rerr
				}
			}
		}
	}
	if err == nil && l.flushFn != nil {
		l.flushFn()
	}
	for _, r := range batch {
		r.err = err
		close(r.done)
	}
	return buf
}

// write makes the batch durable and assigns its indexes.
func (l *Log) write(batch []*request, wb *wal.Batch, buf *[]byte) error {
	l.storeMu.Lock()
	defer l.storeMu.Unlock()
	if p := l.failed.Load(); p != nil {
		return fmt.Errorf("%w: %w", ErrFailed, *p)
	}
	now := time.Now().UnixNano()
	if now < l.lastTime {
		now = l.lastTime // the clock stepped back: keep Time monotonic
	}
	index := l.last.Load()
	wb.Clear()
	cycled := false
	if l.tailSize > l.opts.SegmentSize {
		cycled, l.tailSize = true, 0
	}
	for _, r := range batch {
		for i, ev := range r.evs {
			index++
			*buf = appendRecord((*buf)[:0], ev.EventType(), now, r.payloads[i])
			wb.Write(index, *buf)
			// Mirror the WAL's segment cycling (wal.Log.writeBatch), so a
			// batch that created a segment file also syncs the directory.
			l.tailSize += uvarintLen(len(*buf)) + len(*buf)
			if l.tailSize >= l.opts.SegmentSize {
				cycled, l.tailSize = true, 0
			}
		}
		r.last = index
	}
	if err := l.st.WriteBatch(wb); err != nil {
		return l.fail(fmt.Errorf("write records %d-%d: %w", l.last.Load()+1, index, err))
	}
	if !l.opts.NoSync {
		if err := l.st.Sync(); err != nil {
			return l.fail(fmt.Errorf("fsync records %d-%d: %w", l.last.Load()+1, index, err))
		}
		if cycled {
			if err := syncDir(l.dir); err != nil {
				return l.fail(fmt.Errorf("fsync %s: %w", l.dir, err))
			}
		}
	}
	l.lastTime = now
	l.last.Store(index)
	return nil
}

func uvarintLen(n int) int {
	size := 1
	for ; n >= 0x80; n >>= 7 {
		size++
	}
	return size
}

// Err returns the failure that stopped the log (wrapping ErrFailed), or
// nil while it works.
func (l *Log) Err() error {
	if p := l.failed.Load(); p != nil {
		return fmt.Errorf("%w: %w", ErrFailed, *p)
	}
	return nil
}

// FirstIndex returns the index of the first record held, 0 when empty.
func (l *Log) FirstIndex() uint64 {
	first, last := l.first.Load(), l.last.Load()
	if last == 0 || first > last {
		return 0
	}
	return first
}

// LastIndex returns the index of the last durable record, 0 if none was
// ever written. It stays put when TruncateFront removes every record: the
// next Append gets LastIndex()+1.
func (l *Log) LastIndex() uint64 { return l.last.Load() }

// TruncateFront removes the records before index, once a snapshot at
// index-1 is safely written. index may be LastIndex()+1 to remove every
// record. It returns ErrOutOfRange for a later index; an index at or before
// the first record held is a no-op.
func (l *Log) TruncateFront(index uint64) error {
	l.storeMu.Lock()
	defer l.storeMu.Unlock()
	l.mu.RLock()
	err := l.usable()
	l.mu.RUnlock()
	if err != nil {
		return err
	}
	if index <= l.first.Load() {
		return nil
	}
	if last := l.last.Load(); index > last+1 {
		return fmt.Errorf("%w: truncate front to %d, last is %d", ErrOutOfRange, index, last)
	}
	if err := l.st.TruncateFront(index); err != nil {
		// The WAL may be half-way through renaming files: stop, and let
		// Open finish the job.
		return l.fail(fmt.Errorf("truncate front to %d: %w", index, err))
	}
	size, err := tailSegmentSize(l.dir)
	if err != nil {
		return l.fail(fmt.Errorf("truncate front to %d: %w", index, err))
	}
	l.tailSize = size
	l.first.Store(index)
	return nil
}

// Close stops the committer, failing appends still queued with ErrClosed,
// and closes the files. It returns ErrClosed if called twice.
func (l *Log) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return ErrClosed
	}
	l.closed = true
	l.mu.Unlock()
	close(l.quit)
	<-l.done
	l.storeMu.Lock()
	defer l.storeMu.Unlock()
	if err := l.st.Close(); err != nil && l.failed.Load() == nil {
		return fmt.Errorf("log: close: %w", err)
	}
	return nil
}
