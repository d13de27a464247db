package log

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tidwall/wal"
)

// testEvent returns a small event identifying writer w's n-th event.
func testEvent(w, n int) Event {
	return ShardWritten{Blob: BlobID{byte(w), byte(w >> 8)}, Segment: n, Shard: w, Region: fmt.Sprintf("r%d", w%7)}
}

func mustOpen(t testing.TB, dir string, opts Options) *Log {
	t.Helper()
	l, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func mustAppend(t testing.TB, l *Log, evs ...Event) uint64 {
	t.Helper()
	index, err := l.Append(context.Background(), evs...)
	if err != nil {
		t.Fatal(err)
	}
	return index
}

// replayAll returns every record held, or fails the test.
func replayAll(t testing.TB, l *Log) []Record {
	t.Helper()
	var out []Record
	if err := l.Replay(0, func(r Record) error { out = append(out, r); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestAppendReplayReopen(t *testing.T) {
	dir := t.TempDir()
	opts := Options{NoSync: true, SegmentSize: 2048}
	l := mustOpen(t, dir, opts)
	if l.FirstIndex() != 0 || l.LastIndex() != 0 {
		t.Fatalf("empty log: first %d last %d", l.FirstIndex(), l.LastIndex())
	}
	var want []Event
	for i := 0; i < 60; i++ {
		ev := samples[i%len(samples)]
		if got := mustAppend(t, l, ev); got != uint64(i+1) {
			t.Fatalf("append %d returned index %d", i, got)
		}
		want = append(want, ev)
	}
	if got := mustAppend(t, l, samples[0], samples[1], samples[2]); got != 63 {
		t.Fatalf("multi-event append returned %d, want 63", got)
	}
	want = append(want, samples[:3]...)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	l = mustOpen(t, dir, opts)
	defer l.Close()
	if l.FirstIndex() != 1 || l.LastIndex() != 63 {
		t.Fatalf("reopened: first %d last %d", l.FirstIndex(), l.LastIndex())
	}
	recs := replayAll(t, l)
	if len(recs) != len(want) {
		t.Fatalf("replayed %d records, want %d", len(recs), len(want))
	}
	for i, r := range recs {
		if r.Index != uint64(i+1) || !reflect.DeepEqual(r.Event, want[i]) {
			t.Fatalf("record %d = %d %#v, want %#v", i, r.Index, r.Event, want[i])
		}
		if i > 0 && r.Time < recs[i-1].Time {
			t.Fatalf("time went back at %d", r.Index)
		}
	}
	if recs[62].Time != recs[60].Time {
		t.Errorf("one Append's records carry different times")
	}
	if got := mustAppend(t, l, samples[3]); got != 64 {
		t.Fatalf("append after reopen = %d, want 64", got)
	}
	var from []uint64
	l.Replay(62, func(r Record) error { from = append(from, r.Index); return nil })
	if !reflect.DeepEqual(from, []uint64{62, 63, 64}) {
		t.Errorf("Replay(62) visited %v", from)
	}
}

// TestGroupCommit checks that concurrent appenders get unique consecutive
// indexes, that the apply hook sees every record once, in order, before the
// Append returns, and that flush follows every batch.
func TestGroupCommit(t *testing.T) {
	l := mustOpen(t, t.TempDir(), Options{NoSync: true, MaxBatch: 16})
	defer l.Close()
	var (
		applied   []Record
		appliedTo atomic.Uint64
		flushes   int
		unflushed int
	)
	l.SetApply(func(r Record) error {
		if want := uint64(len(applied) + 1); r.Index != want {
			panic(fmt.Sprintf("applied %d, want %d", r.Index, want))
		}
		applied = append(applied, r)
		appliedTo.Store(r.Index)
		unflushed++
		return nil
	}, func() {
		if unflushed == 0 || unflushed > 16 {
			panic(fmt.Sprintf("flush after %d records", unflushed))
		}
		unflushed = 0
		flushes++
	})

	const writers, each = 32, 100
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; n < each; n++ {
				evs := []Event{testEvent(w, n)}
				if n%10 == 0 { // some appends carry several events
					evs = append(evs, testEvent(w, n+1000), testEvent(w, n+2000))
				}
				last, err := l.Append(context.Background(), evs...)
				if err != nil {
					t.Error(err)
					return
				}
				if appliedTo.Load() < last {
					t.Errorf("Append returned %d before it was applied", last)
				}
			}
		}()
	}
	wg.Wait()
	total := writers * (each + each/10*2)
	if l.LastIndex() != uint64(total) || len(applied) != total {
		t.Fatalf("last %d, applied %d, want %d", l.LastIndex(), len(applied), total)
	}
	if unflushed != 0 {
		t.Errorf("%d records applied without a flush", unflushed)
	}
	// Every writer's events appear in its order, and a multi-event append
	// is consecutive.
	next := map[int]int{}
	recs := replayAll(t, l)
	for i, r := range recs {
		if !reflect.DeepEqual(r.Event, applied[i].Event) || r.Time != applied[i].Time {
			t.Fatalf("record %d: replayed %#v, applied %#v", r.Index, r.Event, applied[i].Event)
		}
		ev := r.Event.(ShardWritten)
		if ev.Segment >= 1000 {
			continue
		}
		if ev.Segment != next[ev.Shard] {
			t.Fatalf("writer %d: event %d before %d", ev.Shard, ev.Segment, next[ev.Shard])
		}
		next[ev.Shard]++
		if ev.Segment%10 == 0 {
			a, b := recs[i+1].Event.(ShardWritten), recs[i+2].Event.(ShardWritten)
			if a.Segment != ev.Segment+1000 || b.Segment != ev.Segment+2000 || a.Shard != ev.Shard || b.Shard != ev.Shard {
				t.Fatalf("multi-event append split at %d", r.Index)
			}
		}
	}
	t.Logf("%d records in %d batches", total, flushes)
}

// gatedStore blocks each Sync until the test lets it through.
type gatedStore struct {
	store
	entered chan struct{}
	release chan struct{}
}

func (g *gatedStore) Sync() error {
	g.entered <- struct{}{}
	<-g.release
	return g.store.Sync()
}

// TestGroupCommitShares checks that appends queued during a commit share
// the next batch: one write and one fsync.
func TestGroupCommitShares(t *testing.T) {
	l := mustOpen(t, t.TempDir(), Options{})
	defer l.Close()
	g := &gatedStore{store: l.st, entered: make(chan struct{}), release: make(chan struct{})}
	l.st = g
	batches := 0
	l.SetApply(nil, func() { batches++ })

	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); mustAppend(t, l, testEvent(0, 0)) }()
	<-g.entered // the first batch is in its fsync
	const queued = 10
	for i := 1; i <= queued; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); mustAppend(t, l, testEvent(i, 0)) }()
	}
	for len(l.reqs) < queued {
		runtimeYield()
	}
	g.release <- struct{}{}
	<-g.entered // the second batch
	g.release <- struct{}{}
	wg.Wait()
	if batches != 2 || l.LastIndex() != queued+1 {
		t.Fatalf("%d batches for %d records, want 2", batches, l.LastIndex())
	}
}

// faultyStore fails writes or fsyncs on demand.
type faultyStore struct {
	store
	failWrite, failSync atomic.Bool
}

var errInjected = errors.New("injected I/O error")

func (f *faultyStore) WriteBatch(b *wal.Batch) error {
	if f.failWrite.Load() {
		return errInjected
	}
	return f.store.WriteBatch(b)
}

func (f *faultyStore) Sync() error {
	if f.failSync.Load() {
		return errInjected
	}
	return f.store.Sync()
}

func TestFailureStopsLog(t *testing.T) {
	for _, fault := range []string{"write", "fsync", "closed file"} {
		t.Run(fault, func(t *testing.T) {
			dir := t.TempDir()
			l := mustOpen(t, dir, Options{})
			f := &faultyStore{store: l.st}
			l.st = f
			applied := 0
			l.SetApply(func(Record) error { applied++; return nil }, nil)
			mustAppend(t, l, testEvent(1, 1))
			if err := l.Err(); err != nil {
				t.Fatalf("Err before a failure: %v", err)
			}
			want := errInjected
			switch fault {
			case "write":
				f.failWrite.Store(true)
			case "fsync":
				f.failSync.Store(true)
			case "closed file":
				f.store.Close() // the WAL's files go away under the log
				want = wal.ErrClosed
			}
			_, err := l.Append(context.Background(), testEvent(1, 2))
			if !errors.Is(err, ErrFailed) || !errors.Is(err, want) {
				t.Fatalf("failing append: %v", err)
			}
			f.failWrite.Store(false)
			f.failSync.Store(false)
			if _, err := l.Append(context.Background(), testEvent(1, 3)); !errors.Is(err, ErrFailed) || !errors.Is(err, want) {
				t.Fatalf("append after failure: %v", err)
			}
			if err := l.Replay(0, func(Record) error { return nil }); !errors.Is(err, ErrFailed) {
				t.Fatalf("replay after failure: %v", err)
			}
			if err := l.TruncateFront(2); !errors.Is(err, ErrFailed) {
				t.Fatalf("truncate after failure: %v", err)
			}
			if err := l.Err(); !errors.Is(err, ErrFailed) || !errors.Is(err, want) {
				t.Fatalf("Err after failure: %v", err)
			}
			if applied != 1 || l.LastIndex() != 1 {
				t.Fatalf("applied %d, last %d after failure", applied, l.LastIndex())
			}
			l.Close()
			// What was acknowledged survives.
			l = mustOpen(t, dir, Options{})
			defer l.Close()
			if recs := replayAll(t, l); len(recs) < 1 || !reflect.DeepEqual(recs[0].Event, testEvent(1, 1)) {
				t.Fatalf("after reopen: %v", recs)
			}
		})
	}
}

func TestClose(t *testing.T) {
	l := mustOpen(t, t.TempDir(), Options{NoSync: true})
	mustAppend(t, l, testEvent(0, 0))
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); !errors.Is(err, ErrClosed) {
		t.Errorf("second Close: %v", err)
	}
	if _, err := l.Append(context.Background(), testEvent(0, 1)); !errors.Is(err, ErrClosed) {
		t.Errorf("Append after Close: %v", err)
	}
	if err := l.Replay(0, func(Record) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Errorf("Replay after Close: %v", err)
	}
	if err := l.TruncateFront(1); !errors.Is(err, ErrClosed) {
		t.Errorf("TruncateFront after Close: %v", err)
	}
}

// TestCloseUnderLoad closes the log while appenders run: each Append either
// commits or returns ErrClosed, and what committed is there after reopen.
func TestCloseUnderLoad(t *testing.T) {
	dir := t.TempDir()
	l := mustOpen(t, dir, Options{NoSync: true})
	var ok atomic.Uint64
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				_, err := l.Append(context.Background(), testEvent(w, n))
				if errors.Is(err, ErrClosed) {
					return
				}
				if err != nil {
					t.Error(err)
					return
				}
				ok.Add(1)
			}
		}()
	}
	for ok.Load() < 200 {
		runtimeYield()
	}
	l.Close()
	wg.Wait()
	l = mustOpen(t, dir, Options{NoSync: true})
	defer l.Close()
	if l.LastIndex() != ok.Load() {
		t.Fatalf("%d appends succeeded, log holds %d", ok.Load(), l.LastIndex())
	}
}

func TestAppendContext(t *testing.T) {
	l := mustOpen(t, t.TempDir(), Options{NoSync: true})
	defer l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Append(ctx, testEvent(0, 0)); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled append: %v", err)
	}
	if _, err := l.Append(context.Background()); err == nil {
		t.Error("empty append succeeded")
	}
	if _, err := l.Append(context.Background(), strangeEvent{}); !errors.Is(err, ErrUnknownType) {
		t.Errorf("unregistered event: %v", err)
	}
	if l.LastIndex() != 0 {
		t.Errorf("last index %d after failed appends", l.LastIndex())
	}
}

// TestSegmentAccounting checks the committer's model of the WAL's tail
// segment (used to fsync the directory when a segment file is created)
// against the files.
func TestSegmentAccounting(t *testing.T) {
	dir := t.TempDir()
	l := mustOpen(t, dir, Options{NoSync: true, SegmentSize: 700})
	defer l.Close()
	for i := 0; i < 300; i++ {
		evs := make([]Event, 1+i%5)
		for j := range evs {
			evs[j] = samples[(i+j)%len(samples)]
		}
		mustAppend(t, l, evs...)
		if i == 150 {
			if err := l.TruncateFront(l.LastIndex() - 3); err != nil {
				t.Fatal(err)
			}
		}
		size, err := tailSegmentSize(dir)
		if err != nil {
			t.Fatal(err)
		}
		if l.tailSize != size {
			t.Fatalf("after append %d: model says tail has %d bytes, file has %d", i, l.tailSize, size)
		}
	}
}

func TestTruncateFront(t *testing.T) {
	dir := t.TempDir()
	opts := Options{NoSync: true, SegmentSize: 1024}
	l := mustOpen(t, dir, opts)
	for i := 0; i < 100; i++ {
		mustAppend(t, l, testEvent(0, i))
	}
	if err := l.TruncateFront(40); err != nil {
		t.Fatal(err)
	}
	if err := l.TruncateFront(10); err != nil { // already gone: no-op
		t.Fatal(err)
	}
	if err := l.TruncateFront(102); !errors.Is(err, ErrOutOfRange) {
		t.Fatalf("truncate past the end: %v", err)
	}
	if l.FirstIndex() != 40 || l.LastIndex() != 100 {
		t.Fatalf("first %d last %d", l.FirstIndex(), l.LastIndex())
	}
	if err := l.ReadRaw(39, 41, func(uint64, []byte) error { return nil }); !errors.Is(err, ErrOutOfRange) {
		t.Fatalf("ReadRaw of truncated records: %v", err)
	}
	var raw [][]byte
	if err := l.ReadRaw(40, 42, func(_ uint64, d []byte) error { raw = append(raw, append([]byte(nil), d...)); return nil }); err != nil {
		t.Fatal(err)
	}
	if ev, _, err := Decode(raw[2]); err != nil || !reflect.DeepEqual(ev, testEvent(0, 41)) {
		t.Fatalf("raw record 42 decodes to %v, %v", ev, err)
	}
	l.Close()

	l = mustOpen(t, dir, opts)
	recs := replayAll(t, l)
	if len(recs) != 61 || recs[0].Index != 40 || !reflect.DeepEqual(recs[0].Event, testEvent(0, 39)) {
		t.Fatalf("after reopen: %d records from %d", len(recs), recs[0].Index)
	}
	// Truncating everything keeps the next index.
	if err := l.TruncateFront(101); err != nil {
		t.Fatal(err)
	}
	if l.FirstIndex() != 0 || l.LastIndex() != 100 {
		t.Fatalf("emptied: first %d last %d", l.FirstIndex(), l.LastIndex())
	}
	l.Close()
	l = mustOpen(t, dir, opts)
	defer l.Close()
	if n := len(replayAll(t, l)); n != 0 || l.LastIndex() != 100 {
		t.Fatalf("emptied log reopened with %d records, last %d", n, l.LastIndex())
	}
	if got := mustAppend(t, l, testEvent(0, 100)); got != 101 || l.FirstIndex() != 101 {
		t.Fatalf("append to emptied log: %d, first %d", got, l.FirstIndex())
	}
}

func runtimeYield() { runtime.Gosched() }

// TestApplyRejection checks that a record the apply hook refuses stays in
// the log, that its Append returns ErrRejected wrapping the hook's reason
// and the record's index, and that the other records of the batch applied.
func TestApplyRejection(t *testing.T) {
	dir := t.TempDir()
	l := mustOpen(t, dir, Options{NoSync: true})
	reason := errors.New("upload is gone")
	var applied []uint64
	l.SetApply(func(r Record) error {
		applied = append(applied, r.Index)
		if ev, ok := r.Event.(ShardWritten); ok && ev.Region == "refuse" {
			return reason
		}
		return nil
	}, nil)
	mustAppend(t, l, testEvent(1, 1))
	last, err := l.Append(context.Background(), testEvent(2, 2), ShardWritten{Region: "refuse"}, testEvent(3, 3))
	if !errors.Is(err, ErrRejected) || !errors.Is(err, reason) {
		t.Fatalf("Append = %v, want ErrRejected wrapping %v", err, reason)
	}
	if last != 4 || !slices.Equal(applied, []uint64{1, 2, 3, 4}) {
		t.Fatalf("last %d, applied %v; want 4 and [1 2 3 4]", last, applied)
	}
	if next := mustAppend(t, l, testEvent(4, 4)); next != 5 {
		t.Fatalf("next index %d, want 5", next)
	}
	l.Close()
	l = mustOpen(t, dir, Options{NoSync: true})
	defer l.Close()
	var replayed int
	if err := l.Replay(1, func(r Record) error { replayed++; return nil }); err != nil || replayed != 5 {
		t.Fatalf("replayed %d records (%v), want 5: a refused record stays in the log", replayed, err)
	}
}
