package replica

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"testing"

	plog "github.com/prismd/prismd/log"
)

// writeSegment writes records as the segment first..first+len-1.
func writeSegment(t testing.TB, first uint64, records [][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := NewSegmentWriter(&buf, first, first+uint64(len(records))-1)
	for i, r := range records {
		if err := w.Add(first+uint64(i), r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func readAllSegment(data []byte) (first, last uint64, records [][]byte, err error) {
	first, last, err = ReadSegment(bytes.NewReader(data), func(index uint64, data []byte) error {
		records = append(records, bytes.Clone(data))
		return nil
	})
	return first, last, records, err
}

func testRecords(n int) [][]byte {
	var records [][]byte
	for i := range n {
		records = append(records, bytes.Repeat([]byte{byte(i + 1)}, 1+i*61))
	}
	return records
}

// TestSegmentOfLogRecords ships records of a real log, as ReadRaw hands
// them, and decodes what ReadSegment returns with log.Decode.
func TestSegmentOfLogRecords(t *testing.T) {
	l, err := plog.Open(t.TempDir(), plog.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var events []plog.Event
	for i := range 20 {
		events = append(events, plog.ShardWritten{Blob: plog.BlobID{byte(i)}, Segment: i, Shard: i % 3, Region: fmt.Sprintf("r%d", i)})
	}
	if _, err := l.Append(t.Context(), events...); err != nil {
		t.Fatal(err)
	}
	const first, last = 4, 17
	size := int64(SegmentOverhead)
	if err := l.ReadRaw(first, last, func(_ uint64, data []byte) error {
		size += SegmentRecordSize(len(data))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w := NewSegmentWriter(&buf, first, last)
	if err := l.ReadRaw(first, last, w.Add); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if int64(buf.Len()) != size {
		t.Errorf("segment has %d bytes, SegmentOverhead and SegmentRecordSize say %d", buf.Len(), size)
	}
	next := uint64(first)
	gotFirst, gotLast, err := ReadSegment(&buf, func(index uint64, data []byte) error {
		ev, _, err := plog.Decode(data)
		if err != nil {
			return err
		}
		if index != next || !reflect.DeepEqual(ev, events[index-1]) {
			return fmt.Errorf("record %d (want %d) decodes to %+v", index, next, ev)
		}
		next++
		return nil
	})
	if err != nil || gotFirst != first || gotLast != last || next != last+1 {
		t.Fatalf("ReadSegment = [%d, %d], %v after %d records", gotFirst, gotLast, err, next-first)
	}
}

func TestSegmentRoundTrip(t *testing.T) {
	for _, n := range []int{1, 2, 7} {
		records := testRecords(n)
		records = append(records, bytes.Repeat([]byte{9}, 300)) // a two-byte length
		data := writeSegment(t, 1000, records)
		first, last, got, err := readAllSegment(data)
		if err != nil || first != 1000 || last != 1000+uint64(n) || !reflect.DeepEqual(got, records) {
			t.Errorf("%d records: ReadSegment = [%d, %d], %d records, %v", n+1, first, last, len(got), err)
		}
	}
	// The largest index.
	const max = ^uint64(0)
	data := writeSegment(t, max-1, testRecords(2))
	if first, last, _, err := readAllSegment(data); err != nil || first != max-1 || last != max {
		t.Errorf("segment ending at the largest index: [%d, %d], %v", first, last, err)
	}
}

func TestSegmentWriterRefuses(t *testing.T) {
	var buf bytes.Buffer
	for _, tc := range []struct {
		what string
		do   func() error
	}{
		{"first 0", func() error { return NewSegmentWriter(&buf, 0, 3).Add(0, []byte("x")) }},
		{"first > last", func() error { return NewSegmentWriter(&buf, 5, 3).Close() }},
		{"index not next", func() error { return NewSegmentWriter(&buf, 5, 9).Add(6, []byte("x")) }},
		{"empty record", func() error { return NewSegmentWriter(&buf, 5, 9).Add(5, nil) }},
		{"record too large", func() error { return NewSegmentWriter(&buf, 5, 9).Add(5, make([]byte, MaxRecordSize+1)) }},
		{"record past last", func() error {
			w := NewSegmentWriter(&buf, 5, 5)
			w.Add(5, []byte("x"))
			return w.Add(6, []byte("x"))
		}},
		{"close before last", func() error {
			w := NewSegmentWriter(&buf, 5, 6)
			w.Add(5, []byte("x"))
			return w.Close()
		}},
		{"add after close", func() error {
			w := NewSegmentWriter(&buf, 5, 5)
			w.Add(5, []byte("x"))
			w.Close()
			return w.Add(6, []byte("x"))
		}},
	} {
		if err := tc.do(); err == nil {
			t.Errorf("%s: no error", tc.what)
		}
	}
}

func TestSegmentCorruption(t *testing.T) {
	records := testRecords(3)
	data := writeSegment(t, 10, records)
	wantCorrupt := func(what string, data []byte) {
		t.Helper()
		if first, last, _, err := readAllSegment(data); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: ReadSegment = [%d, %d], %v; want ErrCorrupt", what, first, last, err)
		}
	}
	for i := range data {
		flipped := bytes.Clone(data)
		flipped[i] ^= 0x10
		wantCorrupt(fmt.Sprintf("byte %d flipped", i), flipped)
	}
	for n := range len(data) {
		wantCorrupt(fmt.Sprintf("truncated to %d bytes", n), data[:n])
	}
	wantCorrupt("extra byte", append(bytes.Clone(data), 0))
	// Well-formed but wrong: checksums recomputed over a bad structure.
	rehash := func(body []byte) []byte {
		sum := sha256.Sum256(body)
		return append(body, sum[:]...)
	}
	header := func(first, last uint64) []byte {
		return binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64([]byte(segmentMagic), first), last)
	}
	wantCorrupt("first 0", rehash(append(header(0, 0), 1, 'x')))
	wantCorrupt("first > last", rehash(append(header(3, 2), 1, 'x')))
	wantCorrupt("zero length", rehash(append(header(1, 1), 0)))
	wantCorrupt("length over 64 MiB", rehash(append(header(1, 1), 0x81, 0x80, 0x80, 0x20, 'x')))
	wantCorrupt("length not minimal", rehash(append(header(1, 1), 0x81, 0x00, 'x')))
	wantCorrupt("length overflows", rehash(append(header(1, 1), bytes.Repeat([]byte{0xff}, 11)...)))
	wantCorrupt("record missing", rehash(append(header(1, 2), 1, 'x')))
	wantCorrupt("length past the end", rehash(append(header(1, 1), 5, 'x')))
	if _, _, _, err := readAllSegment(rehash(append(header(1, 1), 1, 'x'))); err != nil {
		t.Fatalf("the well-formed control case fails: %v", err)
	}
}

func TestSegmentCallbackError(t *testing.T) {
	data := writeSegment(t, 1, testRecords(3))
	stop := errors.New("stop")
	_, _, err := ReadSegment(bytes.NewReader(data), func(index uint64, _ []byte) error {
		if index == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || errors.Is(err, ErrCorrupt) {
		t.Errorf("ReadSegment with a failing callback: %v", err)
	}
}

func TestSegmentSealed(t *testing.T) {
	records := testRecords(50)
	plain := writeSegment(t, 1, records)
	sealed := sealBytes(t, plain, KindSegment, 64)
	_, r, err := Open(bytes.NewReader(sealed), testKey)
	if err != nil {
		t.Fatal(err)
	}
	var got [][]byte
	if _, last, err := ReadSegment(r, func(_ uint64, d []byte) error { got = append(got, bytes.Clone(d)); return nil }); err != nil || last != 50 {
		t.Fatalf("ReadSegment of a sealed segment: %d, %v", last, err)
	}
	// A sealed segment cut at a chunk boundary is corrupt, not short.
	_, r, _ = Open(bytes.NewReader(sealed[:sealHeader+5*(64+tagSize)]), testKey)
	if _, _, err := ReadSegment(r, func(uint64, []byte) error { return nil }); !errors.Is(err, ErrCorrupt) {
		t.Errorf("ReadSegment of a cut sealed segment: %v", err)
	}
}

func FuzzReadSegment(f *testing.F) {
	f.Add(writeSegment(f, 1, testRecords(1)))
	f.Add(writeSegment(f, 7, testRecords(4)))
	f.Add([]byte(segmentMagic))
	f.Fuzz(func(t *testing.T, data []byte) {
		var records [][]byte
		next := uint64(0)
		first, last, err := ReadSegment(bytes.NewReader(data), func(index uint64, d []byte) error {
			if next != 0 && index != next {
				t.Fatalf("record %d after %d", index, next-1)
			}
			if len(d) == 0 || len(d) > MaxRecordSize {
				t.Fatalf("record of %d bytes", len(d))
			}
			next = index + 1
			records = append(records, bytes.Clone(d))
			return nil
		})
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error that is not ErrCorrupt: %v", err)
			}
			return
		}
		// A payload that verifies is the one the writer makes of its records.
		if again := writeSegment(t, first, records); !bytes.Equal(again, data) || last != first+uint64(len(records))-1 {
			t.Fatalf("verified payload [%d, %d] differs from its re-encoding", first, last)
		}
	})
}
