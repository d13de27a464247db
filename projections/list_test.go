package projections

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/prismd/prismd/log"
)

// listReference is the brute-force ListObjects over a sorted key set.
func listReference(keys []string, q ListQuery) (entries []string, truncated bool) {
	limit := q.Max
	if limit <= 0 {
		limit = 1000
	}
	seen := map[string]bool{}
	var all []string
	for _, k := range keys {
		if !strings.HasPrefix(k, q.Prefix) {
			continue
		}
		e := k
		if cp, ok := commonPrefix(k, q.Prefix, q.Delimiter); ok {
			e = cp
		}
		// After inside a group (not the group itself): the group shows up
		// if a key after After is in it, as S3 rolls keys up after filtering.
		if k <= q.After || e == q.After || seen[e] {
			continue
		}
		seen[e] = true
		all = append(all, e)
	}
	if len(all) > limit {
		return all[:limit], true
	}
	return all, false
}

func pageEntries(p ListPage) []string {
	var out []string
	for _, o := range p.Objects {
		out = append(out, o.Key)
	}
	out = append(out, p.CommonPrefixes...)
	slices.Sort(out)
	return out
}

func randomKeys(r *rand.Rand, n int) []string {
	parts := []string{"a", "b", "a/", "b/", "/", "x/y", "é", "\xff", "a/b/", "c"}
	set := map[string]bool{}
	for len(set) < n {
		var b strings.Builder
		for j := r.IntN(5) + 1; j > 0; j-- {
			b.WriteString(parts[r.IntN(len(parts))])
		}
		set[b.String()] = true
	}
	return slices.Sorted(func(yield func(string) bool) {
		for k := range set {
			if !yield(k) {
				return
			}
		}
	})
}

func TestListMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	h := newHarness(t)
	keys := randomKeys(r, 400)
	evs := []log.Event{log.BucketCreated{Bucket: "b"}, log.BucketCreated{Bucket: "a"}, log.BucketCreated{Bucket: "c"}}
	for i, k := range keys {
		evs = append(evs, putObject(bid(i), "b", k, 1)...)
	}
	// Neighbouring buckets must not leak into the listing.
	evs = append(evs, putObject(bid(9000), "a", "zzz", 1)...)
	evs = append(evs, putObject(bid(9001), "c", "", 1)...)
	evs = append(evs, putObject(bid(9002), "c", "a", 1)...)
	v := h.apply(evs...)

	queries := []ListQuery{{}, {Delimiter: "/"}, {Prefix: "a"}, {Prefix: "a/", Delimiter: "/"}, {Prefix: "zz"}, {Delimiter: "b"}, {Delimiter: "/", Max: 1}}
	for i := 0; i < 300; i++ {
		q := ListQuery{Max: r.IntN(20)}
		if r.IntN(2) == 0 {
			q.Prefix = keys[r.IntN(len(keys))][:1]
		}
		if r.IntN(2) == 0 {
			q.Delimiter = []string{"/", "a", "b/"}[r.IntN(3)]
		}
		if r.IntN(2) == 0 {
			k := keys[r.IntN(len(keys))]
			q.After = k[:r.IntN(len(k)+1)]
		}
		queries = append(queries, q)
	}
	for _, q := range queries {
		// One page against the reference.
		want, wantTrunc := listReference(keys, q)
		p := v.List("b", q)
		if len(want) > 0 && p.Next != want[len(want)-1] {
			t.Fatalf("List(%+v).Next = %q, want %q", q, p.Next, want[len(want)-1])
		}
		want = slices.Sorted(slices.Values(want))
		if got := pageEntries(p); !reflect.DeepEqual(got, want) || p.Truncated != wantTrunc {
			t.Fatalf("List(%+v) = %q truncated=%v, want %q truncated=%v", q, got, p.Truncated, want, wantTrunc)
		}
		// All pages together equal the whole listing.
		full, _ := listReference(keys, ListQuery{Prefix: q.Prefix, Delimiter: q.Delimiter, Max: 1 << 30})
		var got []string
		pq := ListQuery{Prefix: q.Prefix, Delimiter: q.Delimiter, Max: max(q.Max, 1)}
		for n := 0; ; n++ {
			p := v.List("b", pq)
			got = append(got, pageEntries(p)...)
			if !p.Truncated {
				break
			}
			if n > len(keys) {
				t.Fatalf("pagination of %+v does not end", q)
			}
			pq.After = p.Next
		}
		if !reflect.DeepEqual(got, full) {
			t.Fatalf("pages of %+v = %q, want %q", pq, got, full)
		}
	}
}

func TestListDetails(t *testing.T) {
	h := newHarness(t)
	evs := []log.Event{log.BucketCreated{Bucket: "b"}}
	evs = append(evs, putObject(bid(1), "b", "dir/a", 1)...)
	evs = append(evs, putObject(bid(2), "b", "dir/b", 1)...)
	evs = append(evs, putObject(bid(3), "b", "file", 1)...)
	v := h.apply(evs...)
	p := v.List("b", ListQuery{Delimiter: "/", Max: 1})
	if !reflect.DeepEqual(p.CommonPrefixes, []string{"dir/"}) || !p.Truncated || p.Next != "dir/" {
		t.Fatalf("page %+v", p)
	}
	p = v.List("b", ListQuery{Delimiter: "/", After: p.Next})
	if len(p.Objects) != 1 || p.Objects[0].Key != "file" || p.Truncated || p.Objects[0].Meta.ETag != testMD5 {
		t.Fatalf("page %+v", p)
	}
	if !v.BucketIsEmpty("none") || v.BucketIsEmpty("b") || len(v.List("bb", ListQuery{}).Objects) != 0 {
		t.Fatal("emptiness")
	}
}

func TestListUploads(t *testing.T) {
	h := newHarness(t)
	evs := []log.Event{log.BucketCreated{Bucket: "b"}}
	type up struct {
		key     string
		created int64
		id      string
	}
	var ups []up
	for i, k := range []string{"a", "a", "a/x", "a/y", "b", "c/d", "c/e", "c/e"} {
		u := up{k, int64(100 - i), fmt.Sprintf("u%02d", i)}
		ups = append(ups, u)
		evs = append(evs, log.UploadCreated{Upload: u.id, Bucket: "b", Key: u.key, Created: u.created})
	}
	evs = append(evs, log.UploadCreated{Upload: "other", Bucket: "bb", Key: "a"})
	v := h.apply(evs...)
	slices.SortFunc(ups, func(a, b up) int {
		if c := strings.Compare(a.key, b.key); c != 0 {
			return c
		}
		return int(a.created - b.created)
	})
	// Paging one at a time without a delimiter visits every upload in order.
	var got []string
	q := UploadQuery{Max: 1}
	for {
		p := v.ListUploads("b", q)
		for _, u := range p.Uploads {
			got = append(got, u.ID)
		}
		if !p.Truncated {
			break
		}
		q.KeyMarker, q.UploadIDMarker = p.NextKeyMarker, p.NextUploadIDMarker
	}
	var want []string
	for _, u := range ups {
		want = append(want, u.id)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("uploads %v, want %v", got, want)
	}
	// With a delimiter.
	p := v.ListUploads("b", UploadQuery{Delimiter: "/"})
	if !reflect.DeepEqual(p.CommonPrefixes, []string{"a/", "c/"}) || len(p.Uploads) != 3 || p.Truncated {
		t.Fatalf("page %+v", p)
	}
	p = v.ListUploads("b", UploadQuery{Delimiter: "/", Max: 3})
	if !p.Truncated || p.NextKeyMarker != "a/" || p.NextUploadIDMarker != "" {
		t.Fatalf("page %+v", p)
	}
	p = v.ListUploads("b", UploadQuery{Delimiter: "/", KeyMarker: p.NextKeyMarker})
	if len(p.Uploads) != 1 || p.Uploads[0].Key != "b" || !reflect.DeepEqual(p.CommonPrefixes, []string{"c/"}) {
		t.Fatalf("page %+v", p)
	}
	// KeyMarker alone skips every upload of that key; a vanished UploadIDMarker falls back to id order.
	p = v.ListUploads("b", UploadQuery{KeyMarker: "a"})
	if p.Uploads[0].Key != "a/x" {
		t.Fatalf("page %+v", p)
	}
	p = v.ListUploads("b", UploadQuery{KeyMarker: "a", UploadIDMarker: "u00x"})
	if p.Uploads[0].ID != "u01" {
		t.Fatalf("page %+v", p)
	}
	p = v.ListUploads("b", UploadQuery{Prefix: "c/"})
	if len(p.Uploads) != 3 {
		t.Fatalf("page %+v", p)
	}
}
