package log

import (
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/tidwall/wal"
)

// replayCompared replays l from from on the calling goroutine, then through
// the pipeline with small batches, and fails the test unless both give the
// same records and the same error. It returns them.
func replayCompared(t testing.TB, l *Log, from uint64) ([]Record, error) {
	t.Helper()
	var want []Record
	wantErr := l.replay(from, func(r Record) error { want = append(want, r); return nil }, 1, replayBatchSize)
	for _, c := range []struct{ workers, batch int }{{2, 1}, {3, 5}, {4, 64}} {
		var got []Record
		err := l.replay(from, func(r Record) error { got = append(got, r); return nil }, c.workers, c.batch)
		if fmt.Sprint(err) != fmt.Sprint(wantErr) {
			t.Fatalf("replay from %d, %d workers, batches of %d: err = %v, sequential replay: %v", from, c.workers, c.batch, err, wantErr)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("replay from %d, %d workers, batches of %d: %d records differ from the %d of sequential replay",
				from, c.workers, c.batch, len(got), len(want))
		}
	}
	return want, wantErr
}

func TestReplayPipeline(t *testing.T) {
	l := mustOpen(t, t.TempDir(), Options{NoSync: true, SegmentSize: 4096})
	defer l.Close()
	var want []Event
	for i := range 100 {
		evs := []Event{testEvent(i, 1), samples[i%len(samples)], testEvent(i, 2)}
		mustAppend(t, l, evs...)
		want = append(want, evs...)
	}
	for _, from := range []uint64{0, 1, 2, 150, 299, 300, 301, 1000} {
		recs, err := replayCompared(t, l, from)
		if err != nil {
			t.Fatal(err)
		}
		start := max(from, 1)
		if len(recs) != max(len(want)-int(start)+1, 0) {
			t.Fatalf("from %d: %d records", from, len(recs))
		}
		for i, r := range recs {
			if r.Index != start+uint64(i) || !reflect.DeepEqual(r.Event, want[r.Index-1]) {
				t.Fatalf("from %d: record %d is %d %#v", from, i, r.Index, r.Event)
			}
		}
	}

	// fn's error stops the replay at once and is returned as is.
	stop := errors.New("stop")
	for _, workers := range []int{1, 2, 4} {
		var seen []uint64
		err := l.replay(1, func(r Record) error {
			seen = append(seen, r.Index)
			if r.Index == 123 {
				return stop
			}
			return nil
		}, workers, 4)
		if err != stop || len(seen) != 123 || seen[122] != 123 {
			t.Fatalf("%d workers: err = %v after %d records", workers, err, len(seen))
		}
	}
}

// TestReplayPipelineUndecodable: a record whose checksum holds but whose
// event does not decode stops the replay with ErrUnknownType or ErrCorrupt
// naming it, after every record before it, however the batches fall.
func TestReplayPipelineUndecodable(t *testing.T) {
	for _, c := range []struct {
		name string
		bad  []byte
		want error
	}{
		{"unknown type", sealed([]byte{0x94, 99, 1, 0xd3, 0, 0, 0, 0, 0, 0, 0, 0, 0x80}), ErrUnknownType},
		{"bad payload", sealed([]byte{0x94, 13, 1, 0xd3, 0, 0, 0, 0, 0, 0, 0, 0, 0x81, 0xc1}), ErrCorrupt},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			w, err := wal.Open(dir, &wal.Options{NoSync: true, SegmentSize: 2048})
			if err != nil {
				t.Fatal(err)
			}
			for i := uint64(1); i <= 200; i++ {
				data, _ := Encode(testEvent(int(i), int(i)), goldenTime)
				if i == 77 {
					data = c.bad
				}
				if err := w.Write(i, data); err != nil {
					t.Fatal(err)
				}
			}
			w.Close()
			l := mustOpen(t, filepath.Clean(dir), Options{NoSync: true})
			defer l.Close()
			recs, err := replayCompared(t, l, 0)
			if !errors.Is(err, c.want) || len(recs) != 76 {
				t.Fatalf("%d records, err = %v", len(recs), err)
			}
		})
	}
}
