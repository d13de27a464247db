package log

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestSnapshotRoundTrip(t *testing.T) {
	for _, payload := range [][]byte{nil, []byte("projections"), bytes.Repeat([]byte{0xab}, 3<<20+5)} {
		var buf bytes.Buffer
		if err := EncodeSnapshot(&buf, 1234, 987654321, payload); err != nil {
			t.Fatal(err)
		}
		index, ts, got, err := DecodeSnapshot(&buf)
		if err != nil || index != 1234 || ts != 987654321 || !bytes.Equal(got, payload) {
			t.Fatalf("decoded %d at %d, %d bytes, %v", index, ts, len(got), err)
		}
	}
}

// TestSnapshotStreams: a writer fed in small pieces writes what one call
// writes, and a reader read in small pieces yields the payload.
func TestSnapshotStreams(t *testing.T) {
	payload := bytes.Repeat([]byte("0123456789"), 300_000)
	var one, many bytes.Buffer
	EncodeSnapshot(&one, 5, 6, payload)
	w := NewSnapshotWriter(&many, 5, 6)
	for p := payload; len(p) > 0; p = p[min(len(p), 777):] {
		w.Write(p[:min(len(p), 777)])
	}
	if err := w.Close(); err != nil || !bytes.Equal(one.Bytes(), many.Bytes()) {
		t.Fatalf("piecewise writes differ: %v", err)
	}
	r, err := NewSnapshotReader(bytes.NewReader(one.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	var got []byte
	buf := make([]byte, 333)
	for {
		n, err := r.Read(buf)
		got = append(got, buf[:n]...)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(got, payload) {
		t.Fatal("payload read in pieces differs")
	}
}

// TestSnapshotDamage flips every byte and cuts at every length: always
// ErrCorrupt.
func TestSnapshotDamage(t *testing.T) {
	var buf bytes.Buffer
	EncodeSnapshot(&buf, 77, 88, []byte("a small projection state"))
	good := buf.Bytes()
	for i := range good {
		bad := bytes.Clone(good)
		bad[i] ^= 0x01
		if _, _, _, err := DecodeSnapshot(bytes.NewReader(bad)); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("flip at %d: %v", i, err)
		}
		if _, _, _, err := DecodeSnapshot(bytes.NewReader(good[:i])); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("cut at %d: %v", i, err)
		}
	}
	// A frame claiming an enormous length, or a length that overflows,
	// fails without allocating it.
	for _, frame := range [][]byte{binary.AppendUvarint(nil, 1<<40), bytes.Repeat([]byte{0xff}, 11)} {
		bad := append(bytes.Clone(good[:28]), frame...)
		if _, _, _, err := DecodeSnapshot(bytes.NewReader(bad)); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("frame % x: %v", frame, err)
		}
	}
}

// v1Snapshot encodes payload in the version 1 format.
func v1Snapshot(index uint64, payload []byte) []byte {
	var b []byte
	b = append(b, snapshotMagic...)
	b = binary.LittleEndian.AppendUint32(b, 1)
	b = binary.LittleEndian.AppendUint64(b, index)
	b = binary.LittleEndian.AppendUint64(b, uint64(len(payload)))
	b = append(b, payload...)
	sum := sha256.Sum256(b)
	return append(b, sum[:]...)
}

// TestSnapshotVersion1 reads snapshots written before the streaming format.
func TestSnapshotVersion1(t *testing.T) {
	for _, payload := range [][]byte{nil, []byte("old projections")} {
		index, ts, got, err := DecodeSnapshot(bytes.NewReader(v1Snapshot(42, payload)))
		if err != nil || index != 42 || ts != 0 || !bytes.Equal(got, payload) {
			t.Fatalf("version 1: %d %d %q %v", index, ts, got, err)
		}
	}
	old := v1Snapshot(42, []byte("old projections"))
	old[len(old)-1] ^= 1
	if _, _, _, err := DecodeSnapshot(bytes.NewReader(old)); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("damaged version 1: %v", err)
	}
	huge := v1Snapshot(42, nil)[:28]
	copy(huge[20:], []byte{0, 0, 0, 0, 0, 0, 0, 0x3f})
	if _, _, _, err := DecodeSnapshot(bytes.NewReader(huge)); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("huge length: %v", err)
	}
}

func writeSnap(t *testing.T, dir string, index uint64, payload []byte) {
	t.Helper()
	if err := WriteSnapshot(dir, index, int64(index)*10, func(w io.Writer) error { _, err := w.Write(payload); return err }); err != nil {
		t.Fatal(err)
	}
}

// loadLatest returns the index and payload LoadLatestSnapshot hands over.
func loadLatest(dir string) (uint64, []byte, error) {
	var index uint64
	var payload []byte
	err := LoadLatestSnapshot(dir, func(s *SnapshotReader) error {
		b, err := io.ReadAll(s)
		index, payload = s.Index, b
		return err
	})
	return index, payload, err
}

func TestWriteLatestSnapshot(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "snap")
	if _, _, err := loadLatest(dir); !errors.Is(err, ErrNoSnapshot) {
		t.Fatalf("missing dir: %v", err)
	}
	for _, index := range []uint64{10, 20, 30} {
		writeSnap(t, dir, index, []byte{byte(index)})
	}
	if got, _ := Snapshots(dir); len(got) != 2 || got[0] != 30 || got[1] != 20 {
		t.Fatalf("kept %v, want [30 20]", got)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Fatalf("dir holds %d files, want 2", len(entries))
	}
	index, payload, err := loadLatest(dir)
	if err != nil || index != 30 || !bytes.Equal(payload, []byte{30}) {
		t.Fatalf("latest: %d %v %v", index, payload, err)
	}

	// The newest is damaged: fall back to the older one.
	newest := filepath.Join(dir, SnapshotName(30))
	data, _ := os.ReadFile(newest)
	data[len(data)-1] ^= 1
	os.WriteFile(newest, data, 0o640)
	if index, payload, err := loadLatest(dir); err != nil || index != 20 || !bytes.Equal(payload, []byte{20}) {
		t.Fatalf("fallback: %d %v %v", index, payload, err)
	}
	// Both damaged: ErrCorrupt.
	older := filepath.Join(dir, SnapshotName(20))
	os.WriteFile(older, []byte("garbage"), 0o640)
	if _, _, err := loadLatest(dir); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("all damaged: %v", err)
	}
	// The loader's own failure also falls back.
	writeSnap(t, dir, 40, []byte("good"))
	writeSnap(t, dir, 50, []byte("new"))
	tries := 0
	err = LoadLatestSnapshot(dir, func(s *SnapshotReader) error {
		tries++
		if s.Index == 50 {
			return errors.New("cannot load")
		}
		_, err := io.ReadAll(s)
		return err
	})
	if err != nil || tries != 2 {
		t.Fatalf("loader failure: %v after %d tries", err, tries)
	}
	// A snapshot whose file name and index disagree is refused.
	var buf bytes.Buffer
	EncodeSnapshot(&buf, 7, 0, []byte("x"))
	os.WriteFile(filepath.Join(dir, SnapshotName(60)), buf.Bytes(), 0o640)
	if index, _, err := loadLatest(dir); err != nil || index != 50 {
		t.Fatalf("misnamed snapshot: %d %v", index, err)
	}
}

func FuzzDecodeSnapshot(f *testing.F) {
	var buf bytes.Buffer
	EncodeSnapshot(&buf, 5, 6, []byte("state"))
	f.Add(buf.Bytes())
	f.Add(v1Snapshot(5, []byte("state")))
	f.Add([]byte("PRSMSNAP"))
	f.Fuzz(func(t *testing.T, data []byte) {
		index, ts, payload, err := DecodeSnapshot(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error is not ErrCorrupt: %v", err)
			}
			return
		}
		if len(payload) > len(data) {
			t.Fatalf("payload of %d bytes from %d bytes", len(payload), len(data))
		}
		var out bytes.Buffer
		EncodeSnapshot(&out, index, ts, payload)
		i2, t2, p2, err := DecodeSnapshot(&out)
		if err != nil || i2 != index || t2 != ts || !bytes.Equal(p2, payload) {
			t.Fatalf("re-encoded snapshot differs: %v", err)
		}
	})
}

// TestSnapshotNamesNeedPrefixAndSuffix checks that only snap-<20 digits>.prsm
// files count as snapshots: a file with the suffix but not the prefix (an
// operator's copy, "backup-000…30.prsm") is never taken for one.
func TestSnapshotNamesNeedPrefixAndSuffix(t *testing.T) {
	dir := t.TempDir()
	writeSnap(t, dir, 10, []byte{10})
	for _, name := range []string{
		fmt.Sprintf("%020d%s", 30, snapshotSuffix),                   // no prefix
		fmt.Sprintf("copy-%020d%s", 40, snapshotSuffix),              // another prefix
		fmt.Sprintf("%s%020d.bak", snapshotPrefix, 50),               // no suffix
		fmt.Sprintf("%s%019d%s", snapshotPrefix, 60, snapshotSuffix), // 19 digits
	} {
		var buf bytes.Buffer
		if err := EncodeSnapshot(&buf, 99, 0, []byte{99}); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	got, err := Snapshots(dir)
	if err != nil || len(got) != 1 || got[0] != 10 {
		t.Fatalf("snapshots = %v, %v; want [10]", got, err)
	}
	if index, _, err := loadLatest(dir); err != nil || index != 10 {
		t.Fatalf("latest = %d, %v; want 10", index, err)
	}
}
