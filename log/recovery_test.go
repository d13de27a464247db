package log

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// writeLog writes n test events into dir, batches of batch events, and
// returns them. It leaves the log closed.
func writeLog(t testing.TB, dir string, opts Options, n, batch int) []Event {
	t.Helper()
	l := mustOpen(t, dir, opts)
	var evs []Event
	for i := 0; i < n; i += batch {
		var b []Event
		for j := i; j < min(n, i+batch); j++ {
			b = append(b, testEvent(j%5, j))
		}
		mustAppend(t, l, b...)
		evs = append(evs, b...)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return evs
}

// frameOffsets returns the byte offset of each frame of a segment file.
func frameOffsets(t testing.TB, data []byte) []int {
	var offs []int
	for off := 0; off < len(data); {
		size, k := binary.Uvarint(data[off:])
		if k <= 0 {
			t.Fatalf("bad frame at %d", off)
		}
		offs = append(offs, off)
		off += k + int(size)
	}
	return offs
}

// checkPrefix opens dir and checks it holds exactly want[:k] for some k >=
// atLeast, then that appending continues at k+1. It returns k.
func checkPrefix(t testing.TB, dir string, opts Options, want []Event, atLeast int) int {
	t.Helper()
	l, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer l.Close()
	recs := replayAll(t, l)
	if len(recs) < atLeast || len(recs) > len(want) {
		t.Fatalf("%d records, want between %d and %d", len(recs), atLeast, len(want))
	}
	for i, r := range recs {
		if r.Index != uint64(i+1) || !reflect.DeepEqual(r.Event, want[i]) {
			t.Fatalf("record %d is %d %#v, want %#v", i+1, r.Index, r.Event, want[i])
		}
	}
	if got := mustAppend(t, l, testEvent(9, 9)); got != uint64(len(recs)+1) {
		t.Fatalf("append after recovery got index %d, want %d", got, len(recs)+1)
	}
	return len(recs)
}

func copyDir(t testing.TB, src string) string {
	t.Helper()
	dst := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), data, 0o640); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func lastSegmentFile(t testing.TB, dir string) string {
	t.Helper()
	path, _, ok, err := lastSegment(dir)
	if err != nil || !ok {
		t.Fatalf("no segment in %s: %v", dir, err)
	}
	return path
}

// TestTornTail cuts the last segment at every byte of its last record, and
// of the last batch of three: Open keeps every earlier record.
func TestTornTail(t *testing.T) {
	opts := Options{NoSync: true, SegmentSize: 4096}
	src := t.TempDir()
	want := writeLog(t, src, opts, 120, 3)
	data, err := os.ReadFile(lastSegmentFile(t, src))
	if err != nil {
		t.Fatal(err)
	}
	offs := frameOffsets(t, data)
	lastBatch := offs[len(offs)-3]
	for cut := lastBatch; cut < len(data); cut++ {
		dir := copyDir(t, src)
		if err := os.Truncate(lastSegmentFile(t, dir), int64(cut)); err != nil {
			t.Fatal(err)
		}
		checkPrefix(t, dir, opts, want, len(want)-3)
	}
}

// TestTornTailGarbage appends what a crash can leave after the last
// complete record: zeros (a preallocated block), a half-written record, or
// random bytes.
func TestTornTailGarbage(t *testing.T) {
	opts := Options{NoSync: true, SegmentSize: 4096}
	src := t.TempDir()
	want := writeLog(t, src, opts, 50, 1)
	rec, _ := Encode(samples[7], goldenTime)
	frame := binary.AppendUvarint(nil, uint64(len(rec)))
	frame = append(frame, rec...)
	for name, tail := range map[string][]byte{
		"zeros":          make([]byte, 4096),
		"half record":    frame[:len(frame)/2],
		"random":         []byte("\x93\x07\xff\x00garbage\x94\x12\xc4"),
		"bad checksum":   append(frame[:len(frame)-1:len(frame)-1], frame[len(frame)-1]^1),
		"huge length":    binary.AppendUvarint(nil, 1<<40),
		"varint overrun": bytes.Repeat([]byte{0xff}, 12),
	} {
		t.Run(name, func(t *testing.T) {
			dir := copyDir(t, src)
			f, err := os.OpenFile(lastSegmentFile(t, dir), os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.Write(tail)
			f.Close()
			if n := checkPrefix(t, dir, opts, want, len(want)); n != len(want) {
				t.Fatalf("%d records survived, want %d", n, len(want))
			}
		})
	}
}

// TestMiddleDamage damages records followed by valid ones: never silently
// skipped, always ErrCorrupt naming the record.
func TestMiddleDamage(t *testing.T) {
	opts := Options{NoSync: true, SegmentSize: 2048}
	src := t.TempDir()
	writeLog(t, src, opts, 100, 1)
	for {
		data, _ := os.ReadFile(lastSegmentFile(t, src))
		if len(frameOffsets(t, data)) >= 3 {
			break
		}
		writeLog(t, src, opts, 1, 1)
	}
	segs, _ := filepath.Glob(filepath.Join(src, "0*"))
	if len(segs) < 3 {
		t.Fatalf("want several segments, have %d", len(segs))
	}

	damage := func(t *testing.T, seg string, frame int, at func(data []byte, off int) int) (string, uint64) {
		dir := copyDir(t, src)
		path := filepath.Join(dir, filepath.Base(seg))
		data, _ := os.ReadFile(path)
		offs := frameOffsets(t, data)
		data[at(data, offs[frame])] ^= 0x40
		os.WriteFile(path, data, 0o640)
		index := segIndex(t, seg) + uint64(frame)
		return dir, index
	}
	inBody := func(data []byte, off int) int { return off + 8 }
	inLength := func(data []byte, off int) int { return off }

	for _, c := range []struct {
		name string
		seg  string
		at   func([]byte, int) int
	}{
		{"body in last segment", segs[len(segs)-1], inBody},
		{"length in last segment", segs[len(segs)-1], inLength},
		{"body in first segment", segs[0], inBody},
		{"length in first segment", segs[0], inLength},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir, index := damage(t, c.seg, 1, c.at)
			l, err := Open(dir, opts)
			if err == nil {
				var recs []Record
				recs, err = replayCompared(t, l, 0)
				l.Close()
				var seen uint64
				if len(recs) > 0 {
					seen = recs[len(recs)-1].Index
				}
				if err != nil && seen != index-1 {
					t.Errorf("replay stopped after %d, damage at %d", seen, index)
				}
			}
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("damage at record %d: err = %v", index, err)
			}
			if !strings.Contains(err.Error(), "record "+strconv.FormatUint(index, 10)) {
				t.Errorf("error does not name record %d: %v", index, err)
			}
		})
	}
}

func segIndex(t testing.TB, path string) uint64 {
	n, err := strconv.ParseUint(filepath.Base(path), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestDamagedLastRecord: a bit flip in the last record is
// indistinguishable from a torn write, so the record is dropped.
func TestDamagedLastRecord(t *testing.T) {
	opts := Options{NoSync: true}
	dir := t.TempDir()
	want := writeLog(t, dir, opts, 10, 1)
	path := lastSegmentFile(t, dir)
	data, _ := os.ReadFile(path)
	data[len(data)-2] ^= 1
	os.WriteFile(path, data, 0o640)
	if n := checkPrefix(t, dir, opts, want, 9); n != 9 {
		t.Fatalf("%d records, want 9", n)
	}
}

// pristine caches, per record count, the files writeLog produces, so that
// each fuzz run writes files rather than appending records.
var pristine = struct {
	sync.Mutex
	files map[int]map[string][]byte
	evs   map[int][]Event
}{files: map[int]map[string][]byte{}, evs: map[int][]Event{}}

// pristineLog returns a fresh copy of a log of n test events, in batches of 2.
func pristineLog(t *testing.T, n int) (string, []Event) {
	pristine.Lock()
	defer pristine.Unlock()
	files, ok := pristine.files[n]
	if !ok {
		src := t.TempDir()
		pristine.evs[n] = writeLog(t, src, Options{NoSync: true, SegmentSize: 1024}, n, 2)
		entries, err := os.ReadDir(src)
		if err != nil {
			t.Fatal(err)
		}
		files = map[string][]byte{}
		for _, e := range entries {
			if files[e.Name()], err = os.ReadFile(filepath.Join(src, e.Name())); err != nil {
				t.Fatal(err)
			}
		}
		pristine.files[n] = files
	}
	dir := t.TempDir()
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o640); err != nil {
			t.Fatal(err)
		}
	}
	return dir, pristine.evs[n]
}

// FuzzReplayDamagedTail writes records, then cuts the last segment, appends
// garbage and flips a byte near the end, as the fuzzer chooses. Open and
// Replay must either give a prefix of the records written or ErrCorrupt;
// never panic, never invent a record.
func FuzzReplayDamagedTail(f *testing.F) {
	f.Add(uint8(10), uint16(0), []byte(nil), uint16(0), uint8(0))
	f.Add(uint8(30), uint16(7), []byte{0, 0, 0, 0}, uint16(0), uint8(0))
	f.Add(uint8(30), uint16(0), []byte(nil), uint16(40), uint8(0x10))
	f.Add(uint8(3), uint16(100), []byte{0x94, 0x0b}, uint16(3), uint8(0x80))
	f.Fuzz(func(t *testing.T, n uint8, cut uint16, garbage []byte, flip uint16, mask uint8) {
		opts := Options{NoSync: true, SegmentSize: 1024}
		dir, want := pristineLog(t, int(n%60)+1)
		path := lastSegmentFile(t, dir)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		data = data[:len(data)-int(cut)%(min(len(data), 400)+1)]
		data = append(data, garbage...)
		if mask != 0 && len(data) > 0 {
			data[len(data)-1-int(flip)%min(len(data), 400)] ^= mask
		}
		if err := os.WriteFile(path, data, 0o640); err != nil {
			t.Fatal(err)
		}

		l, err := Open(dir, opts)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("open: %v", err)
			}
			return
		}
		defer l.Close()
		got, err := replayCompared(t, l, 0)
		if err != nil && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("replay: %v", err)
		}
		if len(got) > len(want) {
			t.Fatalf("%d records replayed, %d written", len(got), len(want))
		}
		for i, r := range got {
			if r.Index != uint64(i+1) || !reflect.DeepEqual(r.Event, want[i]) {
				t.Fatalf("record %d is %d %#v, want %#v", i+1, r.Index, r.Event, want[i])
			}
		}
		if err == nil {
			if uint64(len(got)) != l.LastIndex() {
				t.Fatalf("replayed %d, last index %d", len(got), l.LastIndex())
			}
			if index := mustAppend(t, l, testEvent(7, 7)); index != uint64(len(got)+1) {
				t.Fatalf("append after recovery: %d", index)
			}
		}
	})
}
