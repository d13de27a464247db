package log

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func TestSnapshotRoundTrip(t *testing.T) {
	for _, payload := range [][]byte{nil, []byte("projections"), bytes.Repeat([]byte{0xab}, 3<<20)} {
		var buf bytes.Buffer
		if err := EncodeSnapshot(&buf, 1234, payload); err != nil {
			t.Fatal(err)
		}
		index, got, err := DecodeSnapshot(&buf)
		if err != nil || index != 1234 || !bytes.Equal(got, payload) {
			t.Fatalf("decoded %d, %d bytes, %v", index, len(got), err)
		}
	}
}

// TestSnapshotDamage flips every byte and cuts at every length: always
// ErrCorrupt.
func TestSnapshotDamage(t *testing.T) {
	var buf bytes.Buffer
	EncodeSnapshot(&buf, 77, []byte("a small projection state"))
	good := buf.Bytes()
	for i := range good {
		bad := bytes.Clone(good)
		bad[i] ^= 0x01
		if _, _, err := DecodeSnapshot(bytes.NewReader(bad)); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("flip at %d: %v", i, err)
		}
		if _, _, err := DecodeSnapshot(bytes.NewReader(good[:i])); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("cut at %d: %v", i, err)
		}
	}
	// A header claiming an enormous payload fails without allocating it.
	huge := bytes.Clone(good[:snapshotHeader])
	copy(huge[20:], []byte{0, 0, 0, 0, 0, 0, 0, 0x3f})
	if _, _, err := DecodeSnapshot(bytes.NewReader(huge)); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("huge length: %v", err)
	}
}

func TestWriteLatestSnapshot(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "snap")
	if _, _, err := LatestSnapshot(dir); !errors.Is(err, ErrNoSnapshot) {
		t.Fatalf("missing dir: %v", err)
	}
	for _, index := range []uint64{10, 20, 30} {
		if err := WriteSnapshot(dir, index, []byte{byte(index)}); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := snapshots(dir); len(got) != 2 || got[0] != 30 || got[1] != 20 {
		t.Fatalf("kept %v, want [30 20]", got)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Fatalf("dir holds %d files, want 2", len(entries))
	}
	index, payload, err := LatestSnapshot(dir)
	if err != nil || index != 30 || !bytes.Equal(payload, []byte{30}) {
		t.Fatalf("latest: %d %v %v", index, payload, err)
	}

	// The newest is damaged: fall back to the older one.
	newest := filepath.Join(dir, snapshotName(30))
	data, _ := os.ReadFile(newest)
	data[len(data)-1] ^= 1
	os.WriteFile(newest, data, 0o640)
	if index, payload, err := LatestSnapshot(dir); err != nil || index != 20 || !bytes.Equal(payload, []byte{20}) {
		t.Fatalf("fallback: %d %v %v", index, payload, err)
	}

	// A file whose name and content disagree is damage too.
	os.Rename(filepath.Join(dir, snapshotName(20)), filepath.Join(dir, snapshotName(25)))
	if _, _, err := LatestSnapshot(dir); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("all damaged: %v", err)
	}

	// A temporary file left by a crash is ignored, then cleaned up.
	os.WriteFile(filepath.Join(dir, "."+snapshotName(40)+".123.tmp"), []byte("partial"), 0o640)
	if err := WriteSnapshot(dir, 50, []byte("new")); err != nil {
		t.Fatal(err)
	}
	if tmps, _ := filepath.Glob(filepath.Join(dir, ".*.tmp")); len(tmps) != 0 {
		t.Errorf("temporary files left: %v", tmps)
	}
	if index, _, err := LatestSnapshot(dir); err != nil || index != 50 {
		t.Fatalf("after rewrite: %d %v", index, err)
	}
}

func FuzzDecodeSnapshot(f *testing.F) {
	var buf bytes.Buffer
	EncodeSnapshot(&buf, 5, []byte("state"))
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		index, payload, err := DecodeSnapshot(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("not ErrCorrupt: %v", err)
			}
			return
		}
		var out bytes.Buffer
		EncodeSnapshot(&out, index, payload)
		if !bytes.HasPrefix(data, out.Bytes()) {
			t.Fatal("decoded snapshot re-encodes differently")
		}
	})
}

// TestSnapshotNamesNeedPrefixAndSuffix checks that only snap-<20 digits>.prsm
// files count as snapshots: a file with the suffix but not the prefix (an
// operator's copy, "backup-000…30.prsm") is never taken for one.
func TestSnapshotNamesNeedPrefixAndSuffix(t *testing.T) {
	dir := t.TempDir()
	if err := WriteSnapshot(dir, 10, []byte{10}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{
		fmt.Sprintf("%020d%s", 30, snapshotSuffix),                   // no prefix
		fmt.Sprintf("copy-%020d%s", 40, snapshotSuffix),              // another prefix
		fmt.Sprintf("%s%020d.bak", snapshotPrefix, 50),               // no suffix
		fmt.Sprintf("%s%019d%s", snapshotPrefix, 60, snapshotSuffix), // 19 digits
	} {
		var buf bytes.Buffer
		if err := EncodeSnapshot(&buf, 99, []byte{99}); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	got, err := snapshots(dir)
	if err != nil || len(got) != 1 || got[0] != 10 {
		t.Fatalf("snapshots = %v, %v; want [10]", got, err)
	}
	if index, _, err := LatestSnapshot(dir); err != nil || index != 10 {
		t.Fatalf("latest = %d, %v; want 10", index, err)
	}
}
