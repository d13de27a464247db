package projections

import (
	"errors"
	"maps"
	"testing"

	"github.com/prismd/prismd/log"
)

// TestObjectTagsSet: tags replace those of the version named, current or
// not, keep its data references, survive a snapshot, and are refused for
// a missing version or a delete marker.
func TestObjectTagsSet(t *testing.T) {
	s := New()
	ap := func(evs ...log.Event) error { return applyNext(s, evs...) }
	ap(log.BucketCreated{Bucket: "b", Created: 1}, log.BucketVersioningSet{Bucket: "b", Status: log.VersioningEnabled})
	ap(putObject(bid(1), "b", "k", 10)...)
	s.Publish()
	v1, _ := s.View().Latest("b", "k")
	ap(putObject(bid(2), "b", "k", 20)...)
	s.Publish()
	v2, _ := s.View().Latest("b", "k")
	tags := map[string]string{"a": "1"}
	if err := ap(log.ObjectTagsSet{Bucket: "b", Key: "k", VersionID: v1.VersionID, Tags: tags}); err != nil {
		t.Fatal(err)
	}
	if err := ap(log.ObjectTagsSet{Bucket: "b", Key: "k", VersionID: v2.VersionID, Tags: map[string]string{"b": "2"}}); err != nil {
		t.Fatal(err)
	}
	tags["a"] = "changed after apply"
	s.Publish()
	v := s.View()
	if x, _ := v.ObjectVersion("b", "k", v1.VersionID); !maps.Equal(x.Meta.Tags, map[string]string{"a": "1"}) || x.Meta.Size != 10 {
		t.Fatalf("v1 %+v", x.Meta)
	}
	if x, _ := v.Latest("b", "k"); !maps.Equal(x.Meta.Tags, map[string]string{"b": "2"}) || x.VersionID != v2.VersionID || x.Meta.Size != 20 {
		t.Fatalf("latest %+v", x)
	}
	if refs(t, v, bid(1)) != 1 || refs(t, v, bid(2)) != 1 {
		t.Fatal("tags changed the data references")
	}
	checkSnapshot(t, s)
	if err := ap(log.ObjectTagsSet{Bucket: "b", Key: "k", VersionID: v2.VersionID}); err != nil {
		t.Fatal(err)
	}
	s.Publish()
	if x, _ := s.View().Latest("b", "k"); x.Meta.Tags != nil {
		t.Fatalf("removed tags: %v", x.Meta.Tags)
	}
	ap(log.ObjectDeleted{Bucket: "b", Key: "k"})
	s.Publish()
	marker, _ := s.View().Latest("b", "k")
	for _, tc := range []struct {
		name string
		ev   log.ObjectTagsSet
		want error
	}{
		{"marker", log.ObjectTagsSet{Bucket: "b", Key: "k", VersionID: marker.VersionID, Tags: tags}, ErrNoSuchKey},
		{"missing version", log.ObjectTagsSet{Bucket: "b", Key: "k", VersionID: FormatVersionID(999), Tags: tags}, ErrNoSuchKey},
		{"missing key", log.ObjectTagsSet{Bucket: "b", Key: "nope", VersionID: NullVersion, Tags: tags}, ErrNoSuchKey},
		{"missing bucket", log.ObjectTagsSet{Bucket: "nope", Key: "k", VersionID: NullVersion, Tags: tags}, ErrNoSuchBucket},
	} {
		if err := ap(tc.ev); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}
