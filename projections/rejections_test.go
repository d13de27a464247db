package projections

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prismd/prismd/log"
)

// try applies one event at the next index and returns its rejection.
func (h *harness) try(ev log.Event) error {
	err := h.s.Apply(h.s.Applied()+1, int64(h.s.Applied()+1)*1000, ev)
	h.s.Publish()
	return err
}

// TestRejections checks every refusal of Apply: the event changes nothing
// (the state's snapshot bytes are the same but for the applied index) and
// the error says why.
func TestRejections(t *testing.T) {
	mp := func(n int, blob int) log.CompletedPart {
		return log.CompletedPart{Number: n, Blob: bid(blob), Size: 10, ETag: testMD5}
	}
	setup := func(h *harness) {
		evs := []log.Event{log.BucketCreated{Bucket: "b"}, log.BucketCreated{Bucket: "empty"}}
		evs = append(evs, putObject(bid(1), "b", "k", 10)...)
		up := startedRep(bid(2), "b", "mp", 10)
		up.Upload = "u"
		evs = append(evs, log.UploadCreated{Upload: "u", Bucket: "b", Key: "mp"}, up,
			log.PartCommitted{Upload: "u", Number: 1, Blob: bid(2), Size: 10, ETag: testMD5})
		evs = append(evs, startedRep(bid(3), "b", "k2", 10))
		h.apply(evs...)
	}
	cases := []struct {
		name string
		ev   log.Event
		want error
	}{
		{"create existing bucket", log.BucketCreated{Bucket: "b"}, ErrBucketExists},
		{"delete missing bucket", log.BucketDeleted{Bucket: "nope"}, ErrNoSuchBucket},
		{"delete bucket with objects", log.BucketDeleted{Bucket: "b"}, ErrBucketNotEmpty},
		{"policy of missing bucket", log.BucketPolicySet{Bucket: "nope", Policy: log.Policy{Mode: "replica"}}, ErrNoSuchBucket},
		{"commit into missing bucket", log.ObjectCommitted{Bucket: "nope", Key: "k", Blob: bid(3), Meta: log.ObjectMeta{Size: 10}}, ErrNoSuchBucket},
		{"commit of unknown blob", log.ObjectCommitted{Bucket: "b", Key: "k", Blob: bid(99), Meta: log.ObjectMeta{Size: 10}}, ErrBlobGone},
		{"if-none-match * on existing key", log.ObjectCommitted{Bucket: "b", Key: "k", Blob: bid(3), Meta: log.ObjectMeta{Size: 10},
			Cond: &log.Precondition{IfNoneMatch: "*"}}, ErrPreconditionFailed},
		{"if-none-match etag on existing key", log.ObjectCommitted{Bucket: "b", Key: "k", Blob: bid(3), Meta: log.ObjectMeta{Size: 10},
			Cond: &log.Precondition{IfNoneMatch: `"x", "` + testMD5 + `"`}}, ErrPreconditionFailed},
		{"if-match on absent key", log.ObjectCommitted{Bucket: "b", Key: "absent", Blob: bid(3), Meta: log.ObjectMeta{Size: 10},
			Cond: &log.Precondition{IfMatch: "*"}}, ErrNoSuchKey},
		{"if-match other etag", log.ObjectCommitted{Bucket: "b", Key: "k", Blob: bid(3), Meta: log.ObjectMeta{Size: 10},
			Cond: &log.Precondition{IfMatch: `"ffffffffffffffffffffffffffffffff"`}}, ErrPreconditionFailed},
		{"copy of a purged blob", log.ObjectCopied{Bucket: "b", Key: "c", Extents: []log.Extent{{Blob: bid(98), Size: 1}}}, ErrBlobGone},
		{"copy with failed condition", log.ObjectCopied{Bucket: "b", Key: "k", Extents: []log.Extent{{Blob: bid(1), Size: 10}},
			Cond: &log.Precondition{IfNoneMatch: "*"}}, ErrPreconditionFailed},
		{"delete in missing bucket", log.ObjectDeleted{Bucket: "nope", Key: "k"}, ErrNoSuchBucket},
		{"upload in missing bucket", log.UploadCreated{Upload: "u2", Bucket: "nope", Key: "k"}, ErrNoSuchBucket},
		{"part of unknown upload", log.PartCommitted{Upload: "gone", Number: 1, Blob: bid(3), Size: 10}, ErrNoSuchUpload},
		{"part with unknown blob", log.PartCommitted{Upload: "u", Number: 2, Blob: bid(97), Size: 10}, ErrBlobGone},
		{"complete unknown upload", log.UploadCompleted{Upload: "gone", Bucket: "b", Key: "mp", Parts: []log.CompletedPart{mp(1, 2)}}, ErrNoSuchUpload},
		{"complete under another key", log.UploadCompleted{Upload: "u", Bucket: "b", Key: "other", Parts: []log.CompletedPart{mp(1, 2)}}, ErrNoSuchUpload},
		{"complete a part that changed", log.UploadCompleted{Upload: "u", Bucket: "b", Key: "mp", Parts: []log.CompletedPart{mp(1, 3)}}, ErrPartMismatch},
		{"complete a part never uploaded", log.UploadCompleted{Upload: "u", Bucket: "b", Key: "mp", Parts: []log.CompletedPart{mp(1, 2), mp(2, 3)}}, ErrPartMismatch},
		{"complete with failed condition", log.UploadCompleted{Upload: "u", Bucket: "b", Key: "mp", Parts: []log.CompletedPart{mp(1, 2)},
			Cond: &log.Precondition{IfMatch: "*"}}, ErrNoSuchKey},
		{"abort unknown upload", log.UploadAborted{Upload: "gone"}, ErrNoSuchUpload},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			setup(h)
			before, _ := h.s.MarshalSnapshot()
			err := h.try(c.ev)
			if !errors.Is(err, c.want) {
				t.Fatalf("Apply = %v, want %v", err, c.want)
			}
			after, _ := h.s.MarshalSnapshot()
			if !bytes.Equal(stripApplied(t, before), stripApplied(t, after)) {
				t.Fatal("a refused event changed the state")
			}
		})
	}

	// The same checks pass when the state allows the write.
	h := newHarness(t)
	setup(h)
	for _, ev := range []log.Event{
		log.ObjectCommitted{Bucket: "b", Key: "new", Blob: bid(3), Meta: log.ObjectMeta{Size: 10, ETag: testMD5}, Cond: &log.Precondition{IfNoneMatch: "*"}},
		log.ObjectCopied{Bucket: "b", Key: "k", Extents: []log.Extent{{Blob: bid(3), Size: 10}}, Meta: log.ObjectMeta{Size: 10, ETag: testMD5},
			Cond: &log.Precondition{IfMatch: `"` + testMD5 + `"`}},
		log.UploadCompleted{Upload: "u", Bucket: "b", Key: "mp", Parts: []log.CompletedPart{mp(1, 2)}, Meta: log.ObjectMeta{Size: 10, ETag: testMD5 + "-1"},
			Cond: &log.Precondition{IfNoneMatch: "*"}},
		log.BucketDeleted{Bucket: "empty"},
	} {
		if err := h.try(ev); err != nil {
			t.Fatalf("%T: %v", ev, err)
		}
	}
}

// stripApplied returns a snapshot's bytes without its header (which holds
// the applied index and time).
func stripApplied(t *testing.T, snap []byte) []byte {
	t.Helper()
	l, err := LoadSnapshot(snap)
	if err != nil {
		t.Fatal(err)
	}
	l.t.applied, l.t.time = 0, 0
	data, err := l.MarshalSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestCompletedUploadsRemembered checks that a completed upload is kept
// for an hour of log time, at most completedMax of them, and through a
// snapshot.
func TestCompletedUploadsRemembered(t *testing.T) {
	s := New()
	index := uint64(0)
	apply := func(at time.Duration, evs ...log.Event) {
		for _, ev := range evs {
			index++
			if err := s.Apply(index, int64(at), ev); err != nil {
				t.Fatalf("%T: %v", ev, err)
			}
		}
		s.Publish()
	}
	apply(0, log.BucketCreated{Bucket: "b"})
	complete := func(at time.Duration, id string) {
		up := startedRep(bid(int(index)+1000), "b", id, 10)
		up.Upload = id
		parts := []log.CompletedPart{{Number: 1, Blob: up.Blob, Size: 10, ETag: testMD5}}
		apply(at, log.UploadCreated{Upload: id, Bucket: "b", Key: id}, up,
			log.PartCommitted{Upload: id, Number: 1, Blob: up.Blob, Size: 10, ETag: testMD5},
			log.UploadCompleted{Upload: id, Bucket: "b", Key: id, Parts: parts, Meta: log.ObjectMeta{Size: 10, ETag: "e-" + id}})
	}
	complete(time.Minute, "first")
	complete(30*time.Minute, "second")
	c, ok := s.View().CompletedUpload("first")
	want := PartsDigest([]log.CompletedPart{{Number: 1, ETag: `"` + testMD5 + `"`}})
	if !ok || c.Bucket != "b" || c.Key != "first" || c.ETag != "e-first" || c.Parts != want || c.Completed != int64(time.Minute) {
		t.Fatalf("CompletedUpload(first) = %+v, %v", c, ok)
	}
	checkSnapshot(t, s)
	data, _ := s.MarshalSnapshot()
	loaded, err := LoadSnapshot(data)
	if err != nil {
		t.Fatal(err)
	}
	if c2, ok := loaded.View().CompletedUpload("first"); !ok || c2 != c {
		t.Fatalf("after snapshot: %+v, %v", c2, ok)
	}
	// An hour after it, the first is forgotten at the next completion; the second is kept.
	complete(time.Minute+time.Hour+time.Second, "third")
	if _, ok := s.View().CompletedUpload("first"); ok {
		t.Fatal("first still remembered after an hour")
	}
	if _, ok := s.View().CompletedUpload("second"); !ok {
		t.Fatal("second forgotten too early")
	}
}

// TestRegionLoss checks the events that make a region's shards count as
// lost: BackendBucketLost (one bucket), RegionRemoved and RegionUpdated
// with a new location (everything), and that a same-place update loses
// nothing.
func TestRegionLoss(t *testing.T) {
	setup := func(h *harness) {
		evs := []log.Event{log.BucketCreated{Bucket: "b"}, log.BucketCreated{Bucket: "c"},
			log.RegionAdded{Region: log.Region{Name: "a", Type: "fs", Path: "/a"}},
			log.BackendBucketReady{Bucket: "b", Region: "a"}, log.BackendBucketReady{Bucket: "b", Region: "b"},
			log.BackendBucketReady{Bucket: "c", Region: "a"}}
		evs = append(evs, putObject(bid(1), "b", "k1", 10)...)
		evs = append(evs, putObject(bid(2), "c", "k2", 10)...)
		// A multipart part in b, and a deleted object waiting for purge.
		up := startedRep(bid(3), "b", "mp", 10)
		up.Upload = "u"
		evs = append(evs, log.UploadCreated{Upload: "u", Bucket: "b", Key: "mp"}, up)
		evs = append(evs, writeAll(bid(3), 1, place3)...)
		evs = append(evs, log.PartCommitted{Upload: "u", Number: 1, Blob: bid(3), Size: 10, ETag: testMD5})
		evs = append(evs, putObject(bid(4), "b", "gone", 10)...)
		evs = append(evs, log.ObjectDeleted{Bucket: "b", Key: "gone"})
		h.apply(evs...)
	}
	state := func(v *View, id int, shard int) string {
		b, ok := v.Blob(bid(id))
		if !ok {
			return "forgotten"
		}
		return b.ShardState(0, shard)
	}
	// place3 is a, b, c: shard 0 of every blob is on region "a".
	t.Run("backend bucket lost", func(t *testing.T) {
		h := newHarness(t)
		setup(h)
		v := h.apply(log.BackendBucketLost{Bucket: "b", Region: "a"})
		if got := []string{state(v, 1, 0), state(v, 1, 1), state(v, 3, 0), state(v, 2, 0)}; got[0] != "missing" || got[1] != "stored" || got[2] != "missing" || got[3] != "stored" {
			t.Fatalf("shard states %v, want [missing stored missing stored]", got)
		}
		if b, _ := v.Bucket("b"); b.ReadyOn("a") || !b.ReadyOn("b") {
			t.Fatalf("ready %v", b.Ready)
		}
		if c, _ := v.Bucket("c"); !c.ReadyOn("a") {
			t.Fatal("bucket c lost its readiness too")
		}
		items := purgeItems(v)
		if regs := items[bid(4)]; len(regs) != 2 || regs[0] != "b" || regs[1] != "c" {
			t.Fatalf("purge regions of the deleted blob %v, want [b c]", regs)
		}
		checkSnapshot(t, h.s)
	})
	t.Run("region removed", func(t *testing.T) {
		h := newHarness(t)
		setup(h)
		v := h.apply(log.RegionRemoved{Name: "a"})
		if got := []string{state(v, 1, 0), state(v, 2, 0), state(v, 3, 0), state(v, 1, 1)}; got[0] != "missing" || got[1] != "missing" || got[2] != "missing" || got[3] != "stored" {
			t.Fatalf("shard states %v", got)
		}
		if b, _ := v.Bucket("c"); b.ReadyOn("a") {
			t.Fatal("a removed region is still ready")
		}
		checkSnapshot(t, h.s)
	})
	t.Run("region moved", func(t *testing.T) {
		h := newHarness(t)
		setup(h)
		v := h.apply(log.RegionUpdated{Region: log.Region{Name: "a", Type: "fs", Path: "/a"}})
		if state(v, 1, 0) != "stored" {
			t.Fatal("an update in place lost shards")
		}
		v = h.apply(log.RegionUpdated{Region: log.Region{Name: "a", Type: "fs", Path: "/elsewhere"}})
		if state(v, 1, 0) != "missing" || state(v, 2, 0) != "missing" {
			t.Fatal("a region moved elsewhere still holds its shards")
		}
		checkSnapshot(t, h.s)
	})
}

// goldenState is the state pinned by testdata/snapshot.v*.bin: a record
// of every kind (the same events for every format version).
func goldenState() *State {
	s := New()
	ap := func(evs ...log.Event) { applyNext(s, evs...) }
	ap(log.BucketCreated{Bucket: "b", Created: 5, Location: "eu"}, log.BackendBucketReady{Bucket: "b", Region: "a"},
		log.RegionAdded{Region: log.Region{Name: "r", Type: "fs", Path: "/r"}}, log.AccessKeyCreated{AccessKey: "K", SealedSecret: []byte{1, 2}})
	ap(putObject(bid(1), "b", "kept", 10)...)
	ap(putObject(bid(2), "b", "deleted", 10)...)
	ap(log.ObjectDeleted{Bucket: "b", Key: "deleted"})
	up := startedRep(bid(3), "b", "mp", 10)
	up.Upload = "u"
	ap(log.UploadCreated{Upload: "u", Bucket: "b", Key: "mp", Created: 7}, up)
	ap(writeAll(bid(3), 1, place3)...)
	ap(log.PartCommitted{Upload: "u", Number: 1, Blob: bid(3), Size: 10, ETag: testMD5})
	return s
}

// addGoldenVersions adds what snapshot version 4 pins: a versioned bucket
// with a noncurrent version, a current one and a delete marker.
func addGoldenVersions(s *State) {
	ap := func(evs ...log.Event) { applyNext(s, evs...) }
	ap(log.BucketCreated{Bucket: "v", Created: 9}, log.BucketVersioningSet{Bucket: "v", Status: log.VersioningEnabled})
	ap(putObject(bid(4), "v", "k", 10)...)
	ap(putObject(bid(5), "v", "k", 10)...)
	ap(log.ObjectDeleted{Bucket: "v", Key: "gone"})
}

// addGoldenConfigs adds what version 5 of the snapshot carries: bucket
// configuration documents, and an object with tags and an object lock.
func addGoldenConfigs(s *State) {
	ap := func(evs ...log.Event) {
		if err := applyNext(s, evs...); err != nil {
			panic(err)
		}
	}
	ap(log.BucketConfigSet{Bucket: "v", Name: log.ConfigCORS, Doc: []byte("<CORSConfiguration/>")},
		log.BucketConfigSet{Bucket: "v", Name: log.ConfigLifecycle, Doc: []byte("<LifecycleConfiguration/>")})
	evs := putObject(bid(6), "b", "locked", 10)
	c := evs[len(evs)-1].(log.ObjectCommitted)
	c.Meta.Tags = map[string]string{"team": "blue"}
	c.Meta.LockMode, c.Meta.LockUntil, c.Meta.LegalHold = "COMPLIANCE", 4102444800000000000, true
	ap(evs[:len(evs)-1]...)
	// Apply refuses lock settings in a bucket without object lock (lock.go);
	// the snapshot still carries them, so the commit is applied by hand.
	i := s.Applied() + 1
	s.index, s.now = i, int64(i)*1000
	s.putObject(c.Bucket, c.Key, s.newObject(c.Meta, []log.Extent{{Blob: c.Blob, Size: c.Meta.Size}}))
	s.t.applied, s.t.time = i, s.now
	ap(log.TimelineStarted{Timeline: 2})
}

// addGoldenAccess adds what version 4 of the snapshot carries for access:
// an owned bucket with a grant, a policy, a public access block, an object ACL.
func addGoldenAccess(s *State) {
	if err := applyNext(s,
		log.BucketCreated{Bucket: "owned", Created: 6, Owner: "K", Ownership: "ObjectWriter",
			Grants: []log.Grant{{Grantee: "group:AllUsers", Permission: "READ"}}},
		log.BucketAccessPolicySet{Bucket: "b", Policy: `{"Version":"2012-10-17","Statement":[]}`},
		log.PublicAccessBlockSet{Bucket: "b", Block: &log.PublicAccessBlock{IgnorePublicAcls: true}},
		log.ObjectACLSet{Bucket: "b", Key: "kept", Blob: bid(1), Grants: []log.Grant{{Grantee: "group:AllUsers", Permission: "READ"}}},
	); err != nil {
		panic(err)
	}
}

// addGoldenOwner adds what version 6 of the snapshot carries: an object
// owned by the key that wrote it.
func addGoldenOwner(s *State) {
	evs := putObject(bid(7), "owned", "mine", 10)
	c := evs[len(evs)-1].(log.ObjectCommitted)
	c.Meta.Owner = "K2"
	evs[len(evs)-1] = c
	if err := applyNext(s, evs...); err != nil {
		panic(err)
	}
}

// addGoldenHash adds what version 7 of the snapshot carries: a blob whose
// layout names its block hash.
func addGoldenHash(s *State) {
	evs := putObject(bid(8), "b", "xxh3", 10)
	ps := evs[0].(log.PutStarted)
	ps.Layout.Hash = log.HashXXH3
	evs[0] = ps
	if err := applyNext(s, evs...); err != nil {
		panic(err)
	}
}

func addGoldenKeys(s *State) {
	evs := putObject(bid(9), "b", "fanout", 10)
	ps := evs[0].(log.PutStarted)
	ps.Layout.Hash, ps.Layout.Keys = log.HashXXH3, log.KeysFanout
	evs[0] = ps
	if err := applyNext(s, evs...); err != nil {
		panic(err)
	}
}

var updateGolden = flag.Bool("update", false, "rewrite testdata/snapshot.v<current>.bin")

// TestSnapshotGolden pins the bytes of the current snapshot format, and
// checks that the snapshots of every earlier format version (written by
// the code of their time) still load into the same state.
func TestSnapshotGolden(t *testing.T) {
	want := goldenState()
	unversioned := want.Applied()
	addGoldenAccess(want)
	addGoldenVersions(want)
	v4applied := want.Applied()
	addGoldenConfigs(want)
	v5applied := want.Applied()
	addGoldenOwner(want)
	v6applied := want.Applied()
	addGoldenHash(want)
	v7applied := want.Applied()
	addGoldenKeys(want)
	data, err := want.MarshalSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	current := filepath.Join("testdata", fmt.Sprintf("snapshot.v%d.bin", snapVersion))
	if *updateGolden {
		os.WriteFile(current, data, 0o644)
	}
	if golden, err := os.ReadFile(current); err != nil || !bytes.Equal(golden, data) {
		t.Fatalf("the snapshot format changed without a new version (or run go test -run TestSnapshotGolden -update): %v", err)
	}
	for v := 1; v <= snapVersion; v++ {
		old, err := os.ReadFile(filepath.Join("testdata", fmt.Sprintf("snapshot.v%d.bin", v)))
		if err != nil {
			t.Fatal(err)
		}
		s, err := LoadSnapshot(old)
		if err != nil {
			t.Fatalf("version %d: %v", v, err)
		}
		got := s.View()
		if _, ok := got.Object("b", "kept"); !ok {
			t.Errorf("version %d: object lost", v)
		}
		if _, ok := got.Object("b", "deleted"); ok {
			t.Errorf("version %d: deleted object back", v)
		}
		if u, ok := got.Upload("u"); !ok || len(u.Parts) != 1 || u.Parts[0].Blob != bid(3) {
			t.Errorf("version %d: upload %+v", v, u)
		}
		queued := 0
		got.PurgeQueue(func(p PurgeItem) bool {
			queued++
			if p.Blob.ID != bid(2) || (v >= 3) != (p.Queued != 0) {
				t.Errorf("version %d: purge item %+v", v, p)
			}
			return true
		})
		applied := want.Applied()
		switch v {
		case 4:
			applied = v4applied
		case 5:
			applied = v5applied
		case 6:
			applied = v6applied
		case 7:
			applied = v7applied
		}
		if v < 4 {
			applied = unversioned
		} else {
			vs := got.ListVersions("v", VersionQuery{})
			if b, _ := got.Bucket("v"); b.Versioning != log.VersioningEnabled || len(vs.Versions) != 3 ||
				!vs.Versions[0].DeleteMarker || vs.Versions[0].Key != "gone" || vs.Versions[2].IsLatest || !vs.Versions[1].IsLatest {
				t.Errorf("version %d: versioned bucket %+v: %+v", v, b, vs)
			}
		}
		if b, _ := got.Bucket("b"); queued != 1 || !b.ReadyOn("a") || got.Applied() != applied {
			t.Errorf("version %d: %d queued, bucket %+v, applied %d", v, queued, b, got.Applied())
		}
		if _, ok := got.AccessKey("K"); !ok {
			t.Errorf("version %d: access key lost", v)
		}
		if _, ok := got.Region("r"); !ok {
			t.Errorf("version %d: region lost", v)
		}
		if v < 4 {
			continue
		}
		if a, _ := got.Access("owned"); a.Owner != "K" || a.Ownership != "ObjectWriter" || len(a.Grants) != 1 {
			t.Errorf("version %d: access of owned %+v", v, a)
		}
		if a, _ := got.Access("b"); a.Policy == "" || a.Block == nil || !a.Block.IgnorePublicAcls {
			t.Errorf("version %d: access of b %+v", v, a)
		}
		if g, ok := got.ObjectACL("b", "kept"); !ok || len(g) != 1 {
			t.Errorf("version %d: object acl %v", v, g)
		}
		if v < 5 {
			continue
		}
		if got.Timeline() != 2 {
			t.Errorf("version %d: timeline %d", v, got.Timeline())
		}
		if doc, ok := got.BucketConfig("v", log.ConfigCORS); !ok || string(doc) != "<CORSConfiguration/>" {
			t.Errorf("version %d: cors %q", v, doc)
		}
		if o, ok := got.Object("b", "locked"); !ok || o.Meta.Tags["team"] != "blue" || o.Meta.LockMode != "COMPLIANCE" ||
			o.Meta.LockUntil != 4102444800000000000 || !o.Meta.LegalHold {
			t.Errorf("version %d: locked object %+v", v, o.Meta)
		}
		if v < 6 {
			continue
		}
		if o, ok := got.Object("owned", "mine"); !ok || o.Meta.Owner != "K2" {
			t.Errorf("version %d: owned object %+v", v, o.Meta)
		}
		if v >= 7 {
			if b, ok := got.Blob(bid(8)); !ok || b.Layout.Hash != log.HashXXH3 {
				t.Errorf("version %d: blob of an XXH3 layout %+v", v, b)
			}
		}
		// A layout of before version 7 loads as HighwayHash-128.
		if b, ok := got.Blob(bid(7)); !ok || b.Layout.Hash != log.HashHighway || b.Layout.Keys != log.KeysNested {
			t.Errorf("version %d: blob written before XXH3 %+v", v, b)
		}
		// A layout of before version 8 loads with nested keys.
		if b, ok := got.Blob(bid(8)); v >= 7 && (!ok || b.Layout.Keys != log.KeysNested) {
			t.Errorf("version %d: blob written before fanout keys %+v", v, b)
		}
		if v >= 8 {
			if b, ok := got.Blob(bid(9)); !ok || b.Layout.Keys != log.KeysFanout || b.Layout.Hash != log.HashXXH3 {
				t.Errorf("version %d: blob of a fanout layout %+v", v, b)
			}
		}
	}
	// A version from the future is refused.
	future := bytes.Clone(data)
	i := bytes.Index(future, []byte(snapMagic))
	future[i+len(snapMagic)] = snapVersion + 1
	if _, err := LoadSnapshot(future); !errors.Is(err, ErrBadSnapshot) {
		t.Fatalf("version %d: %v", snapVersion+1, err)
	}
}

// TestObjectACLFollowsTheObject: an ACL names the object it was set on;
// it is refused for another one and forgotten when the key is rewritten.
func TestObjectACLFollowsTheObject(t *testing.T) {
	s := New()
	ap := func(evs ...log.Event) error { return applyNext(s, evs...) }
	ap(log.BucketCreated{Bucket: "b", Created: 1})
	ap(putObject(bid(1), "b", "k", 10)...)
	pub := []log.Grant{{Grantee: "group:AllUsers", Permission: "READ"}}
	if err := ap(log.ObjectACLSet{Bucket: "b", Key: "k", Blob: bid(2), Grants: pub}); !errors.Is(err, ErrNoSuchKey) {
		t.Fatalf("acl for another object: %v", err)
	}
	if err := ap(log.ObjectACLSet{Bucket: "b", Key: "k", Blob: bid(1), Grants: pub}); err != nil {
		t.Fatal(err)
	}
	s.Publish()
	if g, ok := s.View().ObjectACL("b", "k"); !ok || len(g) != 1 {
		t.Fatalf("acl %v %v", g, ok)
	}
	checkSnapshot(t, s)
	ap(putObject(bid(3), "b", "k", 10)...)
	s.Publish()
	if g, ok := s.View().ObjectACL("b", "k"); ok {
		t.Fatalf("a new object kept the old one's acl %v", g)
	}
}

// TestUploadGrantsFollowCompletion: the ACL an upload was created with is
// the completed object's, set by the completion itself, and an upload in
// a snapshot keeps it.
func TestUploadGrantsFollowCompletion(t *testing.T) {
	s := New()
	ap := func(evs ...log.Event) {
		if err := applyNext(s, evs...); err != nil {
			t.Fatal(err)
		}
	}
	pub := []log.Grant{{Grantee: "group:AllUsers", Permission: "READ"}}
	ap(log.BucketCreated{Bucket: "b", Created: 1},
		log.UploadCreated{Upload: "u", Bucket: "b", Key: "mp", Created: 5, Grants: pub},
		func() log.Event { ev := startedRep(bid(1), "b", "mp", 10); ev.Upload = "u"; return ev }(),
		log.PartCommitted{Upload: "u", Number: 1, Blob: bid(1), Size: 10, ETag: testMD5})
	data, err := s.MarshalSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	if s, err = LoadSnapshot(data); err != nil {
		t.Fatal(err)
	}
	ap(log.UploadCompleted{Upload: "u", Bucket: "b", Key: "mp",
		Parts: []log.CompletedPart{{Number: 1, Blob: bid(1), Size: 10, ETag: testMD5}},
		Meta:  log.ObjectMeta{Size: 10, ETag: testMD5 + "-1", PartSizes: []int64{10}}})
	s.Publish()
	if g, ok := s.View().ObjectACL("b", "mp"); !ok || len(g) != 1 || g[0] != pub[0] {
		t.Fatalf("completed object's ACL %v %v", g, ok)
	}
}
