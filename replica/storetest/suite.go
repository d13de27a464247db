package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/prismd/prismd/replica"
)

// Run runs the conformance suite against stores made by newStore.
func Run(t *testing.T, newStore func(t *testing.T) replica.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s replica.Store)
	}{
		{"PutGetReplace", testPutGetReplace},
		{"List", testList},
		{"ListEmpty", testListEmpty},
		{"BadBody", testBadBody},
		{"CanceledContext", testCanceledContext},
		{"NotFound", testNotFound},
		{"Delete", testDelete},
		{"DeleteMany", testDeleteMany},
		{"InvalidNames", testInvalidNames},
		{"Large", testLarge},
		{"Concurrent", testConcurrent},
		{"ConcurrentSameName", testConcurrentSameName},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newStore(t))
		})
	}
}

func randBytes(n int) []byte {
	p := make([]byte, n)
	_, _ = rand.NewChaCha8([32]byte{byte(n), byte(n >> 8)}).Read(p)
	return p
}

// opaque hides every method of r but Read (no Seek, no WriteTo, no Len).
func opaque(r io.Reader) io.Reader { return iotest.HalfReader(r) }

func put(t *testing.T, s replica.Store, name string, data []byte) {
	t.Helper()
	if err := s.Put(t.Context(), name, opaque(bytes.NewReader(data)), int64(len(data))); err != nil {
		t.Fatalf("Put(%q, %d bytes): %v", name, len(data), err)
	}
}

func get(ctx context.Context, s replica.Store, name string) ([]byte, error) {
	rc, err := s.Get(ctx, name)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

func mustGet(t *testing.T, s replica.Store, name string) []byte {
	t.Helper()
	data, err := get(t.Context(), s, name)
	if err != nil {
		t.Fatalf("Get(%q): %v", name, err)
	}
	return data
}

func names(t *testing.T, s replica.Store, prefix string) []string {
	t.Helper()
	infos, err := s.List(t.Context(), prefix)
	if err != nil {
		t.Fatalf("List(%q): %v", prefix, err)
	}
	out := []string{}
	for _, fi := range infos {
		out = append(out, fi.Name)
	}
	return out
}

func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: got error %v, want %v", what, err, target)
	}
}

func testPutGetReplace(t *testing.T, s replica.Store) {
	for _, size := range []int{0, 1, 1000} {
		data := randBytes(size)
		put(t, s, "gateways/gw/f", data)
		if got := mustGet(t, s, "gateways/gw/f"); !bytes.Equal(got, data) {
			t.Errorf("Get after a Put of %d bytes returned %d other bytes", size, len(got))
		}
	}
	if got := names(t, s, ""); !slices.Equal(got, []string{"gateways/gw/f"}) {
		t.Errorf("List after replacing = %q, want one file", got)
	}
}

func testList(t *testing.T, s replica.Store) {
	// '-' and '.' sort before '/', '0' after it: byte order differs from a
	// naive directory walk.
	all := []string{"a/b", "a/c/d", "a-c", "a.b", "a0", "ab", "b", "z/y/x", "a/c/e_f", "A"}
	sizes := map[string]int64{}
	for _, i := range rand.Perm(len(all)) {
		sizes[all[i]] = int64(len(all[i]) * 3)
		put(t, s, all[i], randBytes(len(all[i])*3))
	}
	sorted := slices.Clone(all)
	slices.Sort(sorted)
	for _, prefix := range []string{"", "a", "a/", "a/c", "a/c/", "a/c/e_f", "a-", "z/y/", "zz", "A"} {
		var want []string
		for _, n := range sorted {
			if strings.HasPrefix(n, prefix) {
				want = append(want, n)
			}
		}
		infos, err := s.List(t.Context(), prefix)
		if err != nil {
			t.Fatalf("List(%q): %v", prefix, err)
		}
		var got []string
		for _, fi := range infos {
			got = append(got, fi.Name)
			if fi.Size != sizes[fi.Name] {
				t.Errorf("List(%q): %q has size %d, want %d", prefix, fi.Name, fi.Size, sizes[fi.Name])
			}
			if fi.ModTime.IsZero() {
				t.Errorf("List(%q): %q has no ModTime", prefix, fi.Name)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("List(%q) = %q, want %q", prefix, got, want)
		}
	}
}

func testListEmpty(t *testing.T, s replica.Store) {
	for _, prefix := range []string{"", "gateways/"} {
		infos, err := s.List(t.Context(), prefix)
		if err != nil || len(infos) != 0 {
			t.Errorf("List(%q) of an empty store = %v, %v; want nothing, nil", prefix, infos, err)
		}
	}
}

func testBadBody(t *testing.T, s replica.Store) {
	ctx := t.Context()
	old := randBytes(100)
	put(t, s, "existing", old)
	for _, name := range []string{"fresh", "existing"} {
		for _, tc := range []struct {
			what string
			r    io.Reader
			size int64
		}{
			{"short body", opaque(bytes.NewReader(randBytes(99 << 10))), 100 << 10},
			{"long body", opaque(bytes.NewReader(randBytes(100<<10 + 1))), 100 << 10},
			{"empty body", opaque(bytes.NewReader(nil)), 10},
			{"1 byte for size 0", opaque(strings.NewReader("x")), 0},
			{"failing reader", io.MultiReader(bytes.NewReader(make([]byte, 50<<10)), iotest.ErrReader(errors.New("reader failed"))), 100 << 10},
		} {
			if err := s.Put(ctx, name, tc.r, tc.size); err == nil {
				t.Errorf("Put(%q) with a %s succeeded", name, tc.what)
			}
		}
	}
	if _, err := get(ctx, s, "fresh"); !errors.Is(err, replica.ErrNotFound) {
		t.Errorf("Get of a name whose Puts all failed: %v, want ErrNotFound", err)
	}
	if got := mustGet(t, s, "existing"); !bytes.Equal(got, old) {
		t.Errorf("failed Puts changed an existing file (%d bytes, want %d)", len(got), len(old))
	}
	if got := names(t, s, ""); !slices.Equal(got, []string{"existing"}) {
		t.Errorf("List after failed Puts = %q, want [existing]", got)
	}
}

func testCanceledContext(t *testing.T, s replica.Store) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := s.Put(ctx, "canceled", strings.NewReader("x"), 1); err == nil {
		t.Errorf("Put with a canceled context succeeded")
	}
	if got := names(t, s, ""); len(got) != 0 {
		t.Errorf("List after a canceled Put = %q", got)
	}
}

func testNotFound(t *testing.T, s replica.Store) {
	put(t, s, "dir/present", []byte("x"))
	for _, name := range []string{"absent", "dir/absent", "dir"} {
		_, err := get(t.Context(), s, name)
		wantErr(t, "Get("+name+")", err, replica.ErrNotFound)
	}
}

func testDelete(t *testing.T, s replica.Store) {
	for i := range 5 {
		put(t, s, fmt.Sprintf("d/%d/x", i), []byte{byte(i)})
	}
	del := []string{"d/0/x", "absent", "d/2/x", "d/4/x", "d/9/never"}
	for range 2 { // deleting again succeeds too
		if err := s.Delete(t.Context(), del...); err != nil {
			t.Fatalf("Delete(%q): %v", del, err)
		}
		if got, want := names(t, s, ""), []string{"d/1/x", "d/3/x"}; !slices.Equal(got, want) {
			t.Errorf("List after Delete = %q, want %q", got, want)
		}
	}
	if err := s.Delete(t.Context()); err != nil {
		t.Errorf("Delete of no names: %v", err)
	}
	_, err := get(t.Context(), s, "d/0/x")
	wantErr(t, "Get of a deleted file", err, replica.ErrNotFound)
}

func testDeleteMany(t *testing.T, s replica.Store) {
	var all []string
	for i := range 1234 {
		all = append(all, fmt.Sprintf("many/%02d/%04d", i%50, i))
	}
	parallel(t, 8, len(all), func(i int) error {
		return s.Put(t.Context(), all[i], strings.NewReader("k"), 1)
	})
	if got := names(t, s, "many/"); len(got) != len(all) {
		t.Fatalf("List = %d files, want %d", len(got), len(all))
	}
	if err := s.Delete(t.Context(), all...); err != nil {
		t.Fatalf("Delete of %d files: %v", len(all), err)
	}
	if got := names(t, s, ""); len(got) != 0 {
		t.Errorf("List after deleting all = %d files", len(got))
	}
}

func testInvalidNames(t *testing.T, s replica.Store) {
	ctx := t.Context()
	for _, name := range []string{
		"", "/abs", "../escape", "a/../b", "a/./b", ".", "..", "a//b", "a/", ".hidden", "a/.b",
		"sp ace", "nul\x00", `back\slash`, "é", "a?b", "a+b", strings.Repeat("x", 256),
	} {
		err := s.Put(ctx, name, strings.NewReader("x"), 1)
		wantErr(t, fmt.Sprintf("Put(%q)", name), err, replica.ErrInvalidName)
		_, err = s.Get(ctx, name)
		wantErr(t, fmt.Sprintf("Get(%q)", name), err, replica.ErrInvalidName)
		err = s.Delete(ctx, "fine", name)
		wantErr(t, fmt.Sprintf("Delete(%q)", name), err, replica.ErrInvalidName)
	}
	for _, prefix := range []string{"sp ace", "é", `a\b`} {
		_, err := s.List(ctx, prefix)
		wantErr(t, fmt.Sprintf("List(%q)", prefix), err, replica.ErrInvalidName)
	}
	if got := names(t, s, ""); len(got) != 0 {
		t.Errorf("List after refused names = %q", got)
	}
}

// patternReader yields n bytes of a pattern without holding them.
type patternReader struct{ off, n int64 }

func (r *patternReader) Read(p []byte) (int, error) {
	if r.off == r.n {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), r.n-r.off)]
	for i := range p {
		p[i] = patternByte(r.off + int64(i))
	}
	r.off += int64(len(p))
	return len(p), nil
}

func patternByte(i int64) byte { return byte(i*7 + i>>11) }

func testLarge(t *testing.T, s replica.Store) {
	const size = 5 << 20
	// Through a pipe, so Put must consume the body as it comes.
	pr, pw := io.Pipe()
	go func() {
		_, err := io.Copy(pw, &patternReader{n: size})
		pw.CloseWithError(err)
	}()
	if err := s.Put(t.Context(), "large/file", pr, size); err != nil {
		t.Fatalf("Put of %d bytes through a pipe: %v", size, err)
	}
	pr.Close()
	rc, err := s.Get(t.Context(), "large/file")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	buf := make([]byte, 64<<10)
	var off int64
	for {
		n, err := rc.Read(buf)
		for i := range n {
			if buf[i] != patternByte(off+int64(i)) {
				t.Fatalf("byte %d differs", off+int64(i))
			}
		}
		off += int64(n)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("read at %d: %v", off, err)
		}
	}
	if off != size {
		t.Errorf("read %d bytes, want %d", off, size)
	}
}
