package log

import (
	"errors"
	"path/filepath"
	"testing"
	"time"
)

// TestCreateRaw rebuilds a log from another log's stored bytes, starting at
// an index after a snapshot: the records keep their indexes, times and
// bytes, and appends continue after them with times that do not go back.
func TestCreateRaw(t *testing.T) {
	src := mustOpen(t, t.TempDir(), Options{NoSync: true})
	defer src.Close()
	for i := range 300 {
		mustAppend(t, src, testEvent(i, i))
	}
	dir := filepath.Join(t.TempDir(), "restored")
	w, err := CreateRaw(dir, 101)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(102, nil); err == nil {
		t.Fatal("a record out of order was accepted")
	}
	err = src.ReadRaw(101, 300, func(index uint64, data []byte) error { return w.Write(index, data) })
	if err != nil {
		t.Fatal(err)
	}
	if last, err := w.Close(); err != nil || last != 300 {
		t.Fatalf("close: %d, %v", last, err)
	}
	if _, err := CreateRaw(dir, 1); err == nil {
		t.Fatal("CreateRaw over an existing log")
	}
	l := mustOpen(t, dir, Options{NoSync: true})
	defer l.Close()
	if l.FirstIndex() != 101 || l.LastIndex() != 300 {
		t.Fatalf("restored log holds [%d, %d]", l.FirstIndex(), l.LastIndex())
	}
	var want []Record
	src.Replay(101, func(r Record) error { want = append(want, r); return nil })
	n := 0
	l.Replay(1, func(r Record) error {
		if r != want[n] {
			t.Fatalf("record %d: %+v, want %+v", r.Index, r, want[n])
		}
		n++
		return nil
	})
	if n != 200 {
		t.Fatalf("replayed %d records", n)
	}
	if next := mustAppend(t, l, testEvent(1, 1)); next != 301 {
		t.Fatalf("next index %d", next)
	}
}

// TestCreateRawEmpty: a restore that ends with its snapshot leaves an empty
// log that continues after the snapshot's index, at a time not before it.
func TestCreateRawEmpty(t *testing.T) {
	dir := t.TempDir()
	w, err := CreateRaw(dir, 42)
	if err != nil {
		t.Fatal(err)
	}
	if last, err := w.Close(); err != nil || last != 41 {
		t.Fatalf("close: %d, %v", last, err)
	}
	if empty, err := Empty(dir); empty || err != nil {
		t.Fatalf("Empty = %v, %v", empty, err)
	}
	future := time.Now().Add(time.Hour).UnixNano()
	l := mustOpen(t, dir, Options{NoSync: true, NotBefore: future})
	defer l.Close()
	if l.FirstIndex() != 0 || l.LastIndex() != 41 {
		t.Fatalf("holds [%d, %d]", l.FirstIndex(), l.LastIndex())
	}
	if next := mustAppend(t, l, testEvent(1, 1)); next != 42 {
		t.Fatalf("next index %d", next)
	}
	l.Replay(42, func(r Record) error {
		if r.Time < future {
			t.Fatalf("time %d went back before %d", r.Time, future)
		}
		return nil
	})
	if _, err := CreateRaw(t.TempDir(), 0); err == nil {
		t.Fatal("first index 0")
	}
	if empty, err := Empty(filepath.Join(t.TempDir(), "none")); !empty || err != nil {
		t.Fatalf("Empty of a missing dir = %v, %v", empty, err)
	}
	var corrupt = []byte{1, 2, 3}
	w2, _ := CreateRaw(filepath.Join(t.TempDir(), "x"), 1)
	if err := w2.Write(1, corrupt); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("damaged record: %v", err)
	}
	w2.Close()
}
