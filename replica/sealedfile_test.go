package replica

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
	"time"
)

func TestPutGetSealed(t *testing.T) {
	ctx := t.Context()
	s := NewMemStore()
	name := SegmentName(testGW, 1, 1, 10, time.Unix(1, 0))
	plain := pattern(200 << 10)
	err := PutSealed(ctx, s, name, testKey, int64(len(plain)), func(w io.Writer) error {
		_, err := io.Copy(w, bytes.NewReader(plain))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	infos, _ := s.List(ctx, "")
	if len(infos) != 1 || infos[0].Size != SealedSize(int64(len(plain))) {
		t.Fatalf("List = %+v", infos)
	}
	rc, err := GetSealed(ctx, s, name, testKey)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("GetSealed read %d bytes, %v", len(got), err)
	}
	// The header's kind must be the name's.
	other := SnapshotName(testGW, 1, 10, time.Unix(1, 0))
	sealed := sealBytes(t, pattern(10), KindSegment, chunkSize)
	if err := s.Put(ctx, other, bytes.NewReader(sealed), int64(len(sealed))); err != nil {
		t.Fatal(err)
	}
	if _, err := GetSealed(ctx, s, other, testKey); !errors.Is(err, ErrCorrupt) {
		t.Errorf("GetSealed of a segment under a snapshot's name: %v, want ErrCorrupt", err)
	}
	if _, err := GetSealed(ctx, s, OriginName(testGW, 2), testKey); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetSealed of a missing file: %v, want ErrNotFound", err)
	}
	for _, bad := range []string{LeaseName, "gateways/x"} {
		if err := PutSealed(ctx, s, bad, testKey, 0, func(io.Writer) error { return nil }); !errors.Is(err, ErrInvalidName) {
			t.Errorf("PutSealed(%q): %v, want ErrInvalidName", bad, err)
		}
	}
}

func TestPutSealedFailedWriteStoresNothing(t *testing.T) {
	ctx := t.Context()
	s := NewMemStore()
	name := OriginName(testGW, 2)
	boom := errors.New("snapshot view failed")
	for _, tc := range []struct {
		what  string
		write func(w io.Writer) error
		want  error
	}{
		{"failing write", func(w io.Writer) error { w.Write(pattern(100 << 10)); return boom }, boom},
		{"short write", func(w io.Writer) error { _, err := w.Write(pattern(99)); return err }, nil},
		{"long write", func(w io.Writer) error { _, err := w.Write(pattern(101)); return err }, nil},
	} {
		err := PutSealed(ctx, s, name, testKey, 100, tc.write)
		if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
			t.Errorf("%s: PutSealed = %v", tc.what, err)
		}
	}
	if infos, _ := s.List(ctx, ""); len(infos) != 0 {
		t.Errorf("failed PutSealed left %+v", infos)
	}
}

// refusingStore fails every Put without reading its body.
type refusingStore struct{ Store }

var errRefused = errors.New("region down")

func (refusingStore) Put(context.Context, string, io.Reader, int64) error { return errRefused }

func TestPutSealedStoreFailsEarly(t *testing.T) {
	// The writer goroutine must end although nobody reads its bytes.
	err := PutSealed(t.Context(), refusingStore{NewMemStore()}, OriginName(testGW, 2), testKey, 1<<20, func(w io.Writer) error {
		_, err := w.Write(pattern(1 << 20))
		return err
	})
	if !errors.Is(err, errRefused) {
		t.Errorf("PutSealed into a failing store: %v, want its error", err)
	}
}
