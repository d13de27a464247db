package projections

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/prismd/prismd/log"
)

func newVersionedHarness(t *testing.T, status string) *harness {
	h := &harness{t: t, s: New()}
	h.apply(log.BucketCreated{Bucket: "b"})
	if status != "" {
		if err := h.try(log.BucketVersioningSet{Bucket: "b", Status: status}); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

// versionsOf lists every version of the bucket as "key:id[:M][:L]".
func versionsOf(v *View, bucket string) []string {
	var out []string
	for _, x := range v.ListVersions(bucket, VersionQuery{Max: 1000}).Versions {
		s := x.Key + ":" + x.VersionID
		if x.DeleteMarker {
			s += ":M"
		}
		if x.IsLatest {
			s += ":L"
		}
		out = append(out, s)
	}
	return out
}

func TestVersioningSetRefusals(t *testing.T) {
	h := newVersionedHarness(t, "")
	if err := h.try(log.BucketVersioningSet{Bucket: "nope", Status: log.VersioningEnabled}); !errors.Is(err, ErrNoSuchBucket) {
		t.Fatalf("missing bucket: %v", err)
	}
	if err := h.try(log.BucketVersioningSet{Bucket: "b", Status: ""}); !errors.Is(err, ErrBadVersioning) {
		t.Fatalf("empty status: %v", err)
	}
	if b, _ := h.view().Bucket("b"); b.Versioning != "" {
		t.Fatalf("a refused status changed the bucket: %+v", b)
	}
}

func TestVersionIDs(t *testing.T) {
	for _, id := range []string{"", "NULL", "0000000000000000", "00000000000000Ab", "000000000000000g", "1", "ffffffffffffffff"} {
		if _, _, ok := ParseVersionID(id); ok {
			t.Errorf("%q parsed", id)
		}
	}
	for _, seq := range []uint64{1, 255, 1 << 40} {
		got, null, ok := ParseVersionID(FormatVersionID(seq))
		if !ok || null || got != seq {
			t.Errorf("%d: %d %v %v", seq, got, null, ok)
		}
	}
}

func TestVersionsEnabled(t *testing.T) {
	h := newVersionedHarness(t, "")
	h.apply(putObject(bid(1), "b", "k", 10)...) // the null version, written before versioning
	h.apply(log.BucketVersioningSet{Bucket: "b", Status: log.VersioningEnabled})
	h.apply(putObject(bid(2), "b", "k", 10)...)
	v2 := FormatVersionID(h.s.Applied())
	h.apply(putObject(bid(3), "b", "k", 10)...)
	v3 := FormatVersionID(h.s.Applied())
	v := h.view()
	if got, want := versionsOf(v, "b"), []string{"k:" + v3 + ":L", "k:" + v2, "k:null"}; !slices.Equal(got, want) {
		t.Fatalf("versions %v, want %v", got, want)
	}
	for i, id := range []log.BlobID{bid(1), bid(2), bid(3)} {
		if refs(t, v, id) != 1 {
			t.Fatalf("blob %d: %d refs", i+1, refs(t, v, id))
		}
	}
	if o, ok := v.Object("b", "k"); !ok || o.Extents[0].Blob != bid(3) {
		t.Fatalf("current %+v", o)
	}
	// A delete marker hides the key from plain lookups and listings.
	h.apply(log.ObjectDeleted{Bucket: "b", Key: "k"})
	marker := FormatVersionID(h.s.Applied())
	v = h.view()
	if _, ok := v.Object("b", "k"); ok || len(v.List("b", ListQuery{}).Objects) != 0 {
		t.Fatal("a key whose latest version is a delete marker is listed")
	}
	if l, ok := v.Latest("b", "k"); !ok || !l.DeleteMarker || l.VersionID != marker {
		t.Fatalf("latest %+v", l)
	}
	if v.BucketIsEmpty("b") || h.try(log.BucketDeleted{Bucket: "b"}) == nil {
		t.Fatal("a bucket holding only versions was deleted")
	}
	checkSnapshot(t, h.s)
	// Removing the marker makes the newest version current again.
	h.apply(log.ObjectVersionDeleted{Bucket: "b", Key: "k", VersionID: marker})
	if o, ok := h.view().Object("b", "k"); !ok || o.Extents[0].Blob != bid(3) {
		t.Fatalf("after removing the marker: %+v %v", o, ok)
	}
	// Removing a noncurrent version drops its data only.
	h.apply(log.ObjectVersionDeleted{Bucket: "b", Key: "k", VersionID: v2})
	v = h.view()
	if refs(t, v, bid(2)) != 0 || refs(t, v, bid(3)) != 1 || refs(t, v, bid(1)) != 1 {
		t.Fatalf("refs %d %d %d", refs(t, v, bid(1)), refs(t, v, bid(2)), refs(t, v, bid(3)))
	}
	// Removing the current version promotes the next one (null).
	h.apply(log.ObjectVersionDeleted{Bucket: "b", Key: "k", VersionID: v3})
	v = h.view()
	if got := versionsOf(v, "b"); !slices.Equal(got, []string{"k:null:L"}) {
		t.Fatalf("versions %v", got)
	}
	// Unknown versions change nothing.
	before := versionsOf(v, "b")
	h.apply(log.ObjectVersionDeleted{Bucket: "b", Key: "k", VersionID: v3},
		log.ObjectVersionDeleted{Bucket: "b", Key: "k", VersionID: "bogus"},
		log.ObjectVersionDeleted{Bucket: "b", Key: "other", VersionID: NullVersion})
	if got := versionsOf(h.view(), "b"); !slices.Equal(got, before) {
		t.Fatalf("versions %v, want %v", got, before)
	}
	h.apply(log.ObjectVersionDeleted{Bucket: "b", Key: "k", VersionID: NullVersion})
	if !h.view().BucketIsEmpty("b") || refs(t, h.view(), bid(1)) != 0 {
		t.Fatal("bucket not empty after every version was deleted")
	}
	if err := h.try(log.BucketDeleted{Bucket: "b"}); err != nil {
		t.Fatal(err)
	}
	checkSnapshot(t, h.s)
}

func TestVersionsSuspended(t *testing.T) {
	h := newVersionedHarness(t, log.VersioningEnabled)
	h.apply(putObject(bid(1), "b", "k", 10)...)
	v1 := FormatVersionID(h.s.Applied())
	h.apply(log.BucketVersioningSet{Bucket: "b", Status: log.VersioningSuspended})
	h.apply(putObject(bid(2), "b", "k", 10)...)
	h.apply(putObject(bid(3), "b", "k", 10)...) // overwrites the null version
	v := h.view()
	if got, want := versionsOf(v, "b"), []string{"k:null:L", "k:" + v1}; !slices.Equal(got, want) {
		t.Fatalf("versions %v, want %v", got, want)
	}
	if refs(t, v, bid(2)) != 0 || refs(t, v, bid(3)) != 1 || refs(t, v, bid(1)) != 1 {
		t.Fatal("the overwritten null version kept its data")
	}
	// A delete in a suspended bucket is a null delete marker replacing the null version.
	h.apply(log.ObjectDeleted{Bucket: "b", Key: "k"})
	v = h.view()
	if got, want := versionsOf(v, "b"), []string{"k:null:M:L", "k:" + v1}; !slices.Equal(got, want) {
		t.Fatalf("versions %v, want %v", got, want)
	}
	if refs(t, v, bid(3)) != 0 {
		t.Fatal("the null version replaced by a marker kept its data")
	}
	// Enabled again: new versions pile on top of the null marker.
	h.apply(log.BucketVersioningSet{Bucket: "b", Status: log.VersioningEnabled})
	h.apply(putObject(bid(4), "b", "k", 10)...)
	v4 := FormatVersionID(h.s.Applied())
	if got, want := versionsOf(h.view(), "b"), []string{"k:" + v4 + ":L", "k:null:M", "k:" + v1}; !slices.Equal(got, want) {
		t.Fatalf("versions %v, want %v", got, want)
	}
	checkSnapshot(t, h.s)
}

func TestVersionsUnversionedBucket(t *testing.T) {
	h := newVersionedHarness(t, "")
	h.apply(putObject(bid(1), "b", "a", 10)...)
	h.apply(putObject(bid(2), "b", "a", 10)...)
	h.apply(putObject(bid(3), "b", "c", 10)...)
	v := h.view()
	if got, want := versionsOf(v, "b"), []string{"a:null:L", "c:null:L"}; !slices.Equal(got, want) {
		t.Fatalf("versions %v, want %v", got, want)
	}
	if x, ok := v.ObjectVersion("b", "a", NullVersion); !ok || x.Extents[0].Blob != bid(2) {
		t.Fatalf("null version %+v", x)
	}
	if _, ok := v.ObjectVersion("b", "a", FormatVersionID(h.s.Applied())); ok {
		t.Fatal("a non-null version found in an unversioned bucket")
	}
	h.apply(log.ObjectDeleted{Bucket: "b", Key: "a"})
	if got := versionsOf(h.view(), "b"); !slices.Equal(got, []string{"c:null:L"}) {
		t.Fatalf("an unversioned delete left %v", got)
	}
}

// TestListVersionsPages walks every page size over keys with several
// versions, markers and common prefixes, and checks that the pages put
// together are the whole listing.
func TestListVersionsPages(t *testing.T) {
	h := newVersionedHarness(t, log.VersioningEnabled)
	n := 0
	for _, key := range []string{"a", "b/1", "b/2", "c", "d/x/1", "e"} {
		for i := 0; i < 3; i++ {
			n++
			h.apply(putObject(bid(n), "b", key, 10)...)
		}
		if key == "c" || key == "e" {
			h.apply(log.ObjectDeleted{Bucket: "b", Key: key})
		}
	}
	v := h.view()
	for _, q := range []VersionQuery{{}, {Delimiter: "/"}, {Prefix: "b/"}, {Prefix: "d", Delimiter: "/"}} {
		q.Max = 1000
		all := v.ListVersions("b", q)
		if all.Truncated {
			t.Fatal("truncated at 1000")
		}
		want := pageItems(all)
		for max := 1; max <= 4; max++ {
			var got []string
			pq := q
			pq.Max = max
			for range 100 {
				p := v.ListVersions("b", pq)
				got = append(got, pageItems(p)...)
				if !p.Truncated {
					break
				}
				pq.KeyMarker, pq.VersionIDMarker = p.NextKeyMarker, p.NextVersionIDMarker
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Fatalf("query %+v max %d:\n got %v\nwant %v", q, max, got, want)
			}
		}
	}
	if got := len(v.ListVersions("b", VersionQuery{}).Versions); got != 18+2 {
		t.Fatalf("%d versions, want 20", got)
	}
}

func pageItems(p VersionPage) []string {
	var out []string
	for _, x := range p.Versions {
		out = append(out, x.Key+"@"+x.VersionID)
	}
	for _, cp := range p.CommonPrefixes {
		out = append(out, "cp:"+cp)
	}
	slices.Sort(out) // versions and prefixes are returned separately
	return out
}

// TestVersionsReplayIdempotent applies the same events twice (by index)
// and from a snapshot taken midway: the listings agree.
func TestVersionsReplayIdempotent(t *testing.T) {
	var evs []log.Event
	evs = append(evs, log.BucketCreated{Bucket: "b"}, log.BucketVersioningSet{Bucket: "b", Status: log.VersioningEnabled})
	for i := 1; i <= 20; i++ {
		evs = append(evs, putObject(bid(i), "b", fmt.Sprintf("k%d", i%3), 10)...)
		if i%4 == 0 {
			evs = append(evs, log.ObjectDeleted{Bucket: "b", Key: fmt.Sprintf("k%d", i%3)})
		}
		if i == 10 {
			evs = append(evs, log.BucketVersioningSet{Bucket: "b", Status: log.VersioningSuspended})
		}
	}
	a := New()
	for i, ev := range evs {
		a.Apply(uint64(i+1), int64(i), ev)
		a.Apply(uint64(i+1), int64(i), ev) // again: a no-op
	}
	a.Publish()
	b := New()
	for i, ev := range evs[:len(evs)/2] {
		b.Apply(uint64(i+1), int64(i), ev)
	}
	data, err := b.MarshalSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	c, err := LoadSnapshot(data)
	if err != nil {
		t.Fatal(err)
	}
	for i := len(evs) / 2; i < len(evs); i++ {
		c.Apply(uint64(i+1), int64(i), evs[i])
	}
	c.Publish()
	if x, y := versionsOf(a.View(), "b"), versionsOf(c.View(), "b"); !slices.Equal(x, y) || len(x) == 0 {
		t.Fatalf("replayed %v, from snapshot %v", x, y)
	}
	checkSnapshot(t, a)
}

// TestTimelineVersionIDs: a TimelineStarted puts the timeline above the
// log index in new version ids, so they sort after every earlier id and
// never equal one an abandoned history gave; a timeline that does not
// move forward is refused.
func TestTimelineVersionIDs(t *testing.T) {
	s := New()
	i := uint64(0)
	ap := func(ev log.Event) error {
		i++
		return s.Apply(i, int64(i)*1000, ev)
	}
	ap(log.BucketCreated{Bucket: "b", Created: 1})
	ap(log.BucketVersioningSet{Bucket: "b", Status: log.VersioningEnabled})
	ap(log.ObjectDeleted{Bucket: "b", Key: "k"}) // a delete marker at index 3
	if err := ap(log.TimelineStarted{Timeline: 1}); !errors.Is(err, ErrBadTimeline) {
		t.Fatalf("timeline 1 again: %v", err)
	}
	if err := ap(log.TimelineStarted{Timeline: 3}); err != nil {
		t.Fatal(err)
	}
	if err := ap(log.TimelineStarted{Timeline: 2}); !errors.Is(err, ErrBadTimeline) {
		t.Fatalf("timeline going back: %v", err)
	}
	ap(log.ObjectDeleted{Bucket: "b", Key: "k"}) // index 7 on timeline 3
	s.Publish()
	v := s.View()
	vs := v.ListVersions("b", VersionQuery{})
	if len(vs.Versions) != 2 {
		t.Fatalf("versions %+v", vs.Versions)
	}
	newer, older := vs.Versions[0].VersionID, vs.Versions[1].VersionID
	if older != FormatVersionID(3) || newer != FormatVersionID(2<<timelineShift|7) || newer <= older {
		t.Fatalf("ids %s %s", newer, older)
	}
	if v.VersionSeq(7) != 2<<timelineShift|7 || v.Timeline() != 3 {
		t.Fatalf("seq %x timeline %d", v.VersionSeq(7), v.Timeline())
	}
}
