package backendtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/prismd/prismd/backends"
)

func testRoundTrip(t *testing.T, b backends.Backend) {
	bucket := newBucket(t, b)
	for _, size := range []int{0, 1, 1 << 20, 3<<20 + 4097, 5 << 20} {
		key := "rt/" + strings.Repeat("x", size%7) + "obj"
		data := randBytes(size)
		put(t, b, bucket, key, data)
		got := mustGet(t, b, bucket, key)
		if !bytes.Equal(got, data) {
			t.Errorf("size %d: Get returned %d bytes, not the %d put", size, len(got), len(data))
		}
		info, err := b.Stat(t.Context(), bucket, key)
		if err != nil {
			t.Fatalf("Stat: %v", err)
		}
		if info.Size != int64(size) || info.Key != key {
			t.Errorf("Stat = %+v, want key %q size %d", info, key, size)
		}
	}
}

func testRanges(t *testing.T, b backends.Backend) {
	bucket := newBucket(t, b)
	data := randBytes(1000)
	put(t, b, bucket, "r", data)
	for _, tc := range []struct {
		offset, length int64
		want           []byte
	}{
		{0, -1, data},
		{0, 1000, data},
		{0, 10, data[:10]},
		{10, 20, data[10:30]},
		{500, -1, data[500:]},
		{999, -1, data[999:]},
		{999, 1, data[999:]},
		{990, 100, data[990:]}, // truncated at the end
		{0, 5000, data},
		{0, 0, []byte{}},
		{10, 0, []byte{}},
		{1000, -1, []byte{}}, // offset == size: empty
		{1000, 5, []byte{}},
		{1000, 0, []byte{}},
	} {
		got, err := get(t, b, bucket, "r", tc.offset, tc.length)
		if err != nil {
			t.Errorf("Get(%d, %d): %v", tc.offset, tc.length, err)
			continue
		}
		if !bytes.Equal(got, tc.want) {
			t.Errorf("Get(%d, %d): got %d bytes, want %d (or different content)", tc.offset, tc.length, len(got), len(tc.want))
		}
	}
	for _, tc := range []struct{ offset, length int64 }{{1001, -1}, {1001, 1}, {5000, 10}, {-1, 10}, {-1, -1}} {
		_, err := get(t, b, bucket, "r", tc.offset, tc.length)
		wantErr(t, "Get out of range", err, backends.ErrInvalidRange)
	}
	_, err := get(t, b, bucket, "missing", 10, 10)
	wantErr(t, "ranged Get of a missing key", err, backends.ErrNotFound)
}

func testRangesEmptyObject(t *testing.T, b backends.Backend) {
	bucket := newBucket(t, b)
	put(t, b, bucket, "empty", nil)
	for _, tc := range []struct{ offset, length int64 }{{0, -1}, {0, 0}, {0, 10}} {
		got, err := get(t, b, bucket, "empty", tc.offset, tc.length)
		if err != nil || len(got) != 0 {
			t.Errorf("Get(%d, %d) of empty object = %d bytes, %v; want 0, nil", tc.offset, tc.length, len(got), err)
		}
	}
	_, err := get(t, b, bucket, "empty", 1, -1)
	wantErr(t, "Get(1, -1) of empty object", err, backends.ErrInvalidRange)
}

func testOverwrite(t *testing.T, b backends.Backend) {
	bucket := newBucket(t, b)
	first, second := randBytes(3000), randBytes(17)
	put(t, b, bucket, "o/k", first)
	put(t, b, bucket, "o/k", second)
	if got := mustGet(t, b, bucket, "o/k"); !bytes.Equal(got, second) {
		t.Errorf("after overwrite Get returned %d bytes, want the second body (%d bytes)", len(got), len(second))
	}
	info, err := b.Stat(t.Context(), bucket, "o/k")
	if err != nil || info.Size != int64(len(second)) {
		t.Errorf("Stat after overwrite = %+v, %v; want size %d", info, err, len(second))
	}
	if keys := listKeys(t, b, bucket, ""); len(keys) != 1 {
		t.Errorf("List after overwrite = %q, want one key", keys)
	}
}

func testStat(t *testing.T, b backends.Backend) {
	bucket := newBucket(t, b)
	before := time.Now().Add(-time.Minute)
	put(t, b, bucket, "s/t", randBytes(1234))
	info, err := b.Stat(t.Context(), bucket, "s/t")
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	if info.Key != "s/t" || info.Size != 1234 {
		t.Errorf("Stat = %+v, want key s/t size 1234", info)
	}
	if info.ModTime.Before(before) || info.ModTime.After(time.Now().Add(time.Minute)) {
		t.Errorf("Stat ModTime = %v, want about now", info.ModTime)
	}
}

func testNotFound(t *testing.T, b backends.Backend) {
	bucket := newBucket(t, b)
	put(t, b, bucket, "dir/present", []byte("x"))
	for _, key := range []string{"absent", "dir/absent", "dir", "dir/present/below"} {
		_, err := get(t, b, bucket, key, 0, -1)
		wantErr(t, "Get("+key+")", err, backends.ErrNotFound)
		_, err = b.Stat(t.Context(), bucket, key)
		wantErr(t, "Stat("+key+")", err, backends.ErrNotFound)
	}
}

func testNoSuchBucket(t *testing.T, b backends.Backend) {
	ctx := t.Context()
	bucket := bucketName() // never created
	if implicitBuckets(b) {
		_, err := get(t, b, bucket, "k", 0, -1)
		wantErr(t, "Get in an implicit bucket", err, backends.ErrNotFound)
		_, err = b.Stat(ctx, bucket, "k")
		wantErr(t, "Stat in an implicit bucket", err, backends.ErrNotFound)
		if keys := listKeys(t, b, bucket, ""); len(keys) != 0 {
			t.Errorf("List of an unused implicit bucket = %q", keys)
		}
		if err := b.DeleteBucket(ctx, bucket); err != nil {
			t.Errorf("DeleteBucket of an unused implicit bucket: %v", err)
		}
		return
	}
	err := b.Put(ctx, bucket, "k", strings.NewReader("x"), 1)
	wantErr(t, "Put", err, backends.ErrNoSuchBucket)
	_, err = get(t, b, bucket, "k", 0, -1)
	wantErr(t, "Get", err, backends.ErrNoSuchBucket)
	_, err = b.Stat(ctx, bucket, "k")
	wantErr(t, "Stat", err, backends.ErrNoSuchBucket)
	_, err = b.Delete(ctx, bucket, []string{"k"})
	wantErr(t, "Delete", err, backends.ErrNoSuchBucket)
	err = b.List(ctx, bucket, "", func(backends.ObjectInfo) bool { return true })
	wantErr(t, "List", err, backends.ErrNoSuchBucket)
	err = b.DeleteBucket(ctx, bucket)
	wantErr(t, "DeleteBucket", err, backends.ErrNoSuchBucket)
}

// failingReader yields n bytes and then err.
type failingReader struct {
	n   int
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n == 0 {
		return 0, f.err
	}
	k := min(len(p), f.n)
	clear(p[:k])
	f.n -= k
	return k, nil
}

func testBadBody(t *testing.T, b backends.Backend) {
	bucket := newBucket(t, b)
	ctx := t.Context()
	old := randBytes(100)
	put(t, b, bucket, "existing", old)
	errBoom := errors.New("reader failed")
	for _, key := range []string{"fresh/key", "existing"} {
		// Small bodies, and large ones that end (or fail) after whole
		// MiBs and in a tail, as a backend may write those differently.
		for _, size := range []int{100 << 10, 2<<20 + 5} {
			err := b.Put(ctx, bucket, key, opaqueReader{bytes.NewReader(randBytes(size - 1))}, int64(size))
			wantErr(t, fmt.Sprintf("Put of %d bytes with a short body", size), err, backends.ErrShortBody)
			err = b.Put(ctx, bucket, key, opaqueReader{bytes.NewReader(randBytes(size - 6))}, int64(size))
			wantErr(t, fmt.Sprintf("Put of %d bytes with a body short of its tail", size), err, backends.ErrShortBody)
			err = b.Put(ctx, bucket, key, opaqueReader{bytes.NewReader(randBytes(size + 1))}, int64(size))
			wantErr(t, fmt.Sprintf("Put of %d bytes with a long body", size), err, backends.ErrShortBody)
			if err := b.Put(ctx, bucket, key, &failingReader{n: size / 2, err: errBoom}, int64(size)); err == nil {
				t.Errorf("Put of %d bytes with a failing reader succeeded", size)
			}
		}
		err := b.Put(ctx, bucket, key, opaqueReader{bytes.NewReader(nil)}, 10)
		wantErr(t, "Put with an empty body", err, backends.ErrShortBody)
		err = b.Put(ctx, bucket, key, opaqueReader{strings.NewReader("x")}, 0)
		wantErr(t, "Put of size 0 with a 1-byte body", err, backends.ErrShortBody)
	}
	assertAbsent(t, b, bucket, "fresh/key")
	if got := mustGet(t, b, bucket, "existing"); !bytes.Equal(got, old) {
		t.Errorf("failed Puts changed an existing object (%d bytes, want %d)", len(got), len(old))
	}
	if keys := listKeys(t, b, bucket, ""); len(keys) != 1 {
		t.Errorf("List after failed puts = %q, want [existing]", keys)
	}
}

// trickleReader yields data in chunks of 1..7 bytes, pausing now and then.
type trickleReader struct {
	data []byte
	i    int
}

func (r *trickleReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	r.i++
	if r.i%997 == 0 {
		time.Sleep(time.Millisecond)
	}
	if r.i%5 == 0 {
		return 0, nil // allowed, if discouraged, by io.Reader
	}
	n := copy(p[:min(len(p), 1+r.i%7)], r.data)
	r.data = r.data[n:]
	return n, nil
}

func testStreaming(t *testing.T, b backends.Backend) {
	bucket := newBucket(t, b)
	data := randBytes(64 << 10)
	if err := b.Put(t.Context(), bucket, "trickle", &trickleReader{data: data}, int64(len(data))); err != nil {
		t.Fatalf("Put from a trickling reader: %v", err)
	}
	if got := mustGet(t, b, bucket, "trickle"); !bytes.Equal(got, data) {
		t.Errorf("trickled object differs (%d bytes, want %d)", len(got), len(data))
	}
	// A body delivered through a pipe by a writer that waits: Put must
	// consume it as it comes rather than need it all up front.
	pr, pw := io.Pipe()
	go func() {
		for i := 0; i < 16; i++ {
			if _, err := pw.Write(data[i*4096 : (i+1)*4096]); err != nil {
				return
			}
			time.Sleep(time.Millisecond)
		}
		pw.Close()
	}()
	if err := b.Put(t.Context(), bucket, "piped", pr, int64(len(data))); err != nil {
		t.Fatalf("Put from a pipe: %v", err)
	}
	if got := mustGet(t, b, bucket, "piped"); !bytes.Equal(got, data) {
		t.Errorf("piped object differs")
	}
}

func testKeyNames(t *testing.T, b backends.Backend) {
	bucket := newBucket(t, b)
	keys := []string{
		"b/3f2a9c0d1e/0/1",
		"deep/a/b/c/d/e/f/g",
		"with space/and more spaces",
		"ünïcödé/日本語/файл",
		"plus+sign",
		"percent%2Fencoded",
		"query?x=1&y=2",
		"colon:semi;comma,",
		"tilde~star*paren(1)'quote'",
		"dots.in.name/...ok",
		"emoji-😀",
		"equals=hash#",
	}
	for i, k := range keys {
		put(t, b, bucket, k, []byte(k+string(rune('a'+i))))
	}
	for i, k := range keys {
		if got := string(mustGet(t, b, bucket, k)); got != k+string(rune('a'+i)) {
			t.Errorf("Get(%q) = %q", k, got)
		}
	}
	got := listKeys(t, b, bucket, "")
	if len(got) != len(keys) {
		t.Errorf("List = %q, want %d keys", got, len(keys))
	}
	errs, err := b.Delete(t.Context(), bucket, keys)
	if err != nil {
		t.Fatalf("Delete: %v", err)
	}
	for i, e := range errs {
		if e != nil {
			t.Errorf("Delete(%q): %v", keys[i], e)
		}
	}
	if got := listKeys(t, b, bucket, ""); len(got) != 0 {
		t.Errorf("List after Delete = %q", got)
	}
}

func testCanceledContext(t *testing.T, b backends.Backend) {
	bucket := newBucket(t, b)
	put(t, b, bucket, "k", []byte("data"))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := b.Put(ctx, bucket, "k2", strings.NewReader("data"), 4); err == nil {
		t.Errorf("Put with a canceled context succeeded")
	}
	if rc, err := b.Get(ctx, bucket, "k", 0, -1); err == nil {
		// Some backends only notice on the first Read.
		if _, err := io.ReadAll(rc); err == nil {
			t.Errorf("Get with a canceled context succeeded")
		}
		rc.Close()
	}
	if err := b.List(ctx, bucket, "", func(backends.ObjectInfo) bool { return true }); err == nil {
		t.Errorf("List with a canceled context succeeded")
	}
	assertAbsent(t, b, bucket, "k2")
}
