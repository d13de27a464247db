package backendtest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/prismd/prismd/backends"
)

// listKeySet is chosen so that lexical key order differs from a naive
// directory walk ('-' and '.' sort before '/', '0' after it).
var listKeySet = []string{
	"a/b", "a/b!", "a/c/d", "a-c", "a.b", "a0", "ab", "b", "z/y/x", "é", "a/c/e/f",
}

func testList(t *testing.T, b backends.Backend) {
	bucket := newBucket(t, b)
	sizes := map[string]int64{}
	for _, i := range rand.Perm(len(listKeySet)) {
		k := listKeySet[i]
		sizes[k] = int64(len(k) * 3)
		put(t, b, bucket, k, randBytes(len(k)*3))
	}
	sorted := slices.Clone(listKeySet)
	slices.Sort(sorted)
	for _, prefix := range []string{"", "a", "a/", "a/c", "a/c/", "a/c/e/f", "a-", "z/y/", "é", "zz", "a/b"} {
		var want []string
		for _, k := range sorted {
			if strings.HasPrefix(k, prefix) {
				want = append(want, k)
			}
		}
		var got []string
		err := b.List(t.Context(), bucket, prefix, func(oi backends.ObjectInfo) bool {
			got = append(got, oi.Key)
			if oi.Size != sizes[oi.Key] {
				t.Errorf("List: %q has size %d, want %d", oi.Key, oi.Size, sizes[oi.Key])
			}
			if oi.ModTime.IsZero() {
				t.Errorf("List: %q has no ModTime", oi.Key)
			}
			return true
		})
		if err != nil {
			t.Fatalf("List(%q): %v", prefix, err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("List(%q) = %q, want %q", prefix, got, want)
		}
	}
	var got []string
	err := b.List(t.Context(), bucket, "", func(oi backends.ObjectInfo) bool {
		got = append(got, oi.Key)
		return len(got) < 3
	})
	if err != nil || !slices.Equal(got, sorted[:3]) {
		t.Errorf("List stopping after 3 = %q, %v; want %q, nil", got, err, sorted[:3])
	}
}

func testDelete(t *testing.T, b backends.Backend) {
	bucket := newBucket(t, b)
	for i := range 5 {
		put(t, b, bucket, fmt.Sprintf("d/%d/x", i), []byte{byte(i)})
	}
	keys := []string{"d/0/x", "absent", "d/2/x", "d/4/x", "d/9/never"}
	errs, err := b.Delete(t.Context(), bucket, keys)
	if err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if len(errs) != len(keys) {
		t.Fatalf("Delete returned %d errors for %d keys", len(errs), len(keys))
	}
	for i, e := range errs {
		if e != nil {
			t.Errorf("Delete(%q): %v", keys[i], e)
		}
	}
	if got, want := listKeys(t, b, bucket, ""), []string{"d/1/x", "d/3/x"}; !slices.Equal(got, want) {
		t.Errorf("List after Delete = %q, want %q", got, want)
	}
	// Deleting again, and deleting nothing, both succeed.
	if errs, err := b.Delete(t.Context(), bucket, keys); err != nil || len(errs) != len(keys) {
		t.Errorf("second Delete = %v, %v", errs, err)
	}
	if errs, err := b.Delete(t.Context(), bucket, nil); err != nil || len(errs) != 0 {
		t.Errorf("Delete(nil) = %v, %v", errs, err)
	}
}

func testDeleteBatch1000(t *testing.T, b backends.Backend) {
	bucket := newBucket(t, b)
	keys := make([]string, 1000)
	for i := range keys {
		keys[i] = fmt.Sprintf("batch/%03d/%d", i%100, i)
	}
	parallel(t, 16, len(keys), func(i int) error {
		return b.Put(t.Context(), bucket, keys[i], strings.NewReader("k"), 1)
	})
	if got := listKeys(t, b, bucket, "batch/"); len(got) != 1000 {
		t.Fatalf("List = %d keys, want 1000", len(got))
	}
	errs, err := b.Delete(t.Context(), bucket, keys)
	if err != nil {
		t.Fatalf("Delete of 1000 keys: %v", err)
	}
	if len(errs) != 1000 {
		t.Fatalf("Delete returned %d errors, want 1000", len(errs))
	}
	for i, e := range errs {
		if e != nil {
			t.Errorf("Delete(%q): %v", keys[i], e)
		}
	}
	if got := listKeys(t, b, bucket, ""); len(got) != 0 {
		t.Errorf("List after deleting all = %d keys", len(got))
	}
}
