package projections

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"

	"github.com/prismd/prismd/log"
)

// randomEvents generates n events of a plausible engine workload: PUTs whose
// shards land, fail, get corrupted and repaired; overwrites, deletes, copies;
// multipart uploads completed or aborted; abandoned PUTs purge-queued; purges.
func randomEvents(seed uint64, n int) []log.Event {
	r := rand.New(rand.NewPCG(seed, seed))
	s := New()
	var out []log.Event
	emit := func(ev log.Event) {
		out = append(out, ev)
		s.Apply(uint64(len(out)), int64(len(out)), ev)
	}
	emit(log.RegionAdded{Region: log.Region{Name: "a", Type: "mem"}})
	emit(log.AccessKeyCreated{AccessKey: "AK", SealedSecret: []byte{1, 2}, Buckets: []string{"b0"}})
	for _, b := range []string{"b0", "b1"} {
		emit(log.BucketCreated{Bucket: b, Created: 1})
		emit(log.BackendBucketReady{Bucket: b, Region: "a"})
	}
	emit(log.BucketPolicySet{Bucket: "b1", Policy: log.Policy{Mode: "erasure", DataShards: 4, ParityShards: 2}})
	next := 0
	newBlob := func(bucket, key, upload string) (log.BlobID, int) {
		next++
		id := bid(next)
		size := int64(r.IntN(3 << 20))
		ev := started(id, bucket, key, size)
		if r.IntN(2) == 0 {
			ev = startedRep(id, bucket, key, size)
		}
		ev.Upload = upload
		emit(ev)
		segs := int(segmentCount(size, ev.Layout))
		for seg := 0; seg < segs; seg++ {
			for sh, reg := range ev.Placement {
				switch r.IntN(10) {
				case 0:
					emit(log.ShardFailed{Blob: id, Segment: seg, Shard: sh, Region: reg})
				case 1:
				default:
					emit(log.ShardWritten{Blob: id, Segment: seg, Shard: sh, Region: reg})
				}
			}
		}
		return id, int(size)
	}
	keys := []string{"k0", "k1", "d/k2", "d/k3", "e/f/k4"}
	var uploads []string
	for len(out) < n {
		s.Publish()
		v := s.View()
		bucket := fmt.Sprint("b", r.IntN(2))
		key := keys[r.IntN(len(keys))]
		switch op := r.IntN(14); op {
		case 0, 1, 2:
			id, size := newBlob(bucket, key, "")
			emit(log.ObjectCommitted{Bucket: bucket, Key: key, Blob: id, Meta: log.ObjectMeta{Size: int64(size), ETag: testMD5, ContentType: "text/plain",
				UserMeta: map[string]string{"x": fmt.Sprint(r.IntN(3))}}})
		case 3:
			emit(log.ObjectDeleted{Bucket: bucket, Key: key})
		case 4:
			if o, ok := v.Object(bucket, key); ok {
				emit(log.ObjectCopied{Bucket: bucket, Key: keys[r.IntN(len(keys))], SrcBucket: bucket, SrcKey: key, Extents: o.Extents, Meta: o.Meta})
			}
		case 5:
			id := fmt.Sprint("u", len(out))
			uploads = append(uploads, id)
			emit(log.UploadCreated{Upload: id, Bucket: bucket, Key: key, Created: int64(len(out))})
		case 6:
			if len(uploads) > 0 {
				u := uploads[r.IntN(len(uploads))]
				if up, ok := v.Upload(u); ok {
					blob, size := newBlob(up.Bucket, up.Key, u)
					emit(log.PartCommitted{Upload: u, Number: r.IntN(4) + 1, Blob: blob, Size: int64(size), ETag: testMD5})
				}
			}
		case 7:
			if len(uploads) > 0 {
				u := uploads[r.IntN(len(uploads))]
				if up, ok := v.Upload(u); ok {
					if r.IntN(3) == 0 {
						emit(log.UploadAborted{Upload: u})
					} else {
						var parts []log.CompletedPart
						for _, p := range up.Parts {
							switch r.IntN(4) {
							case 0:
							case 1: // version 1: the number only
								parts = append(parts, log.CompletedPart{Number: p.Number})
							default:
								parts = append(parts, log.CompletedPart{Number: p.Number, Blob: p.Blob, Size: p.Size, ETag: p.ETag})
							}
						}
						emit(log.UploadCompleted{Upload: u, Bucket: up.Bucket, Key: up.Key, Parts: parts,
							Meta: log.ObjectMeta{Size: 1, ETag: testMD5 + fmt.Sprintf("-%d", len(parts)), PartSizes: []int64{1}}})
					}
				}
			}
		case 8:
			newBlob(bucket, key, "") // abandoned
			v.OpenBlobs(func(b Blob) bool {
				if r.IntN(2) == 0 {
					emit(log.PurgeQueued{Blob: b.ID, Reason: "abandoned"})
				}
				return true
			})
		case 9:
			v.PurgeQueue(func(p PurgeItem) bool {
				if len(p.Regions) > 0 && r.IntN(2) == 0 {
					emit(log.ShardsPurged{Blob: p.Blob.ID, Region: p.Regions[r.IntN(len(p.Regions))]})
				}
				return true
			})
		case 10:
			v.PendingShards(func(p PendingShard) bool {
				if r.IntN(2) == 0 {
					emit(log.ShardWritten{Blob: p.Blob, Segment: p.Segment, Shard: p.Shard, Region: p.Region})
				}
				return true
			})
		case 11:
			if o, ok := v.Object(bucket, key); ok && len(o.Extents) > 0 {
				b, ok := v.Blob(o.Extents[0].Blob)
				if ok {
					seg, sh := r.IntN(b.Segments), r.IntN(b.Shards)
					reg := b.ShardRegion(seg, sh)
					switch r.IntN(3) {
					case 0:
						emit(log.ShardCorrupt{Blob: b.ID, Segment: seg, Shard: sh, Region: reg})
					case 1:
						emit(log.ShardMissing{Blob: b.ID, Segment: seg, Shard: sh, Region: reg})
					default:
						emit(log.ShardRepaired{Blob: b.ID, Segment: seg, Shard: sh, Region: fmt.Sprint("z", r.IntN(2))})
					}
				}
			}
		case 12:
			emit(log.BucketVersioningSet{Bucket: bucket, Status: []string{log.VersioningEnabled, log.VersioningSuspended}[r.IntN(2)]})
		case 13:
			if vs := v.ListVersions(bucket, VersionQuery{Prefix: key}).Versions; len(vs) > 0 {
				x := vs[r.IntN(len(vs))]
				emit(log.ObjectVersionDeleted{Bucket: bucket, Key: x.Key, VersionID: x.VersionID})
			}
		}
		if r.IntN(50) == 0 {
			emit(log.SnapshotShipped{Index: uint64(len(out)), Region: "a"})
			emit(log.SegmentShipped{First: 1, Last: uint64(len(out)), Region: "a"})
		}
	}
	return out[:n]
}

func applyAll(s *State, first uint64, evs []log.Event) {
	for i, ev := range evs {
		s.Apply(first+uint64(i), int64(first)+int64(i), ev)
	}
}

func TestSnapshotRoundTrip(t *testing.T) {
	for seed := uint64(1); seed <= 8; seed++ {
		evs := randomEvents(seed, 3000)
		all := New()
		applyAll(all, 1, evs)
		checkSnapshot(t, all)
		for _, cut := range []int{1, 500, 1700, 2999} {
			part := New()
			applyAll(part, 1, evs[:cut])
			data, err := part.MarshalSnapshot()
			if err != nil {
				t.Fatal(err)
			}
			l, err := LoadSnapshot(data)
			if err != nil {
				t.Fatalf("seed %d cut %d: %v", seed, cut, err)
			}
			applyAll(l, uint64(cut)+1, evs[cut:])
			a, _ := all.MarshalSnapshot()
			b, _ := l.MarshalSnapshot()
			if !bytes.Equal(a, b) {
				t.Fatalf("seed %d cut %d: snapshot+rest differs from applying all", seed, cut)
			}
			l.Publish()
			all.Publish()
			if !reflect.DeepEqual(l.View().Usage(), all.View().Usage()) {
				t.Fatalf("seed %d cut %d: usage differs", seed, cut)
			}
		}
	}
}

func TestApplyIdempotent(t *testing.T) {
	evs := randomEvents(7, 400)
	a, b := New(), New()
	for i, ev := range evs {
		idx := uint64(i + 1)
		a.Apply(idx, int64(idx), ev)
		b.Apply(idx, int64(idx), ev)
		b.Apply(idx, int64(idx), ev) // again: no-op
		if i > 0 {
			b.Apply(idx-1, 0, evs[i-1])
		}
	}
	x, _ := a.MarshalSnapshot()
	y, _ := b.MarshalSnapshot()
	if !bytes.Equal(x, y) {
		t.Fatal("re-applied indexes changed the state")
	}
}

func TestApplyGapPanics(t *testing.T) {
	s := New()
	s.Apply(5, 0, log.BucketCreated{Bucket: "b"}) // a fresh state accepts any first index
	s.Apply(6, 0, log.BucketCreated{Bucket: "c"})
	defer func() {
		if recover() == nil {
			t.Fatal("no panic on a gap")
		}
	}()
	s.Apply(8, 0, log.BucketCreated{Bucket: "d"})
}

func TestLoadedSnapshotGapPanics(t *testing.T) {
	s := New()
	s.Apply(10, 0, log.BucketCreated{Bucket: "b"})
	data, _ := s.MarshalSnapshot()
	l, err := LoadSnapshot(data)
	if err != nil {
		t.Fatal(err)
	}
	if l.Applied() != 10 {
		t.Fatalf("applied %d", l.Applied())
	}
	defer func() {
		if recover() == nil {
			t.Fatal("no panic on a gap after LoadSnapshot")
		}
	}()
	l.Apply(12, 0, log.BucketCreated{Bucket: "c"})
}

func TestPointerEvents(t *testing.T) {
	h := newHarness(t)
	v := h.apply(&log.BucketCreated{Bucket: "b"}, &log.PutStarted{Blob: bid(1), Bucket: "b", Key: "k", Layout: rep3, Placement: place3, Size: 1},
		&log.ObjectCommitted{Bucket: "b", Key: "k", Blob: bid(1), Meta: log.ObjectMeta{Size: 1, ETag: testMD5}})
	if _, ok := v.Object("b", "k"); !ok {
		t.Fatal("pointer events not applied")
	}
	// A nil pointer event changes nothing (and does not panic).
	v = h.apply((*log.BucketDeleted)(nil))
	if _, ok := v.Object("b", "k"); !ok {
		t.Fatal("a nil event changed the state")
	}
}

// TestConcurrentReaders queries published Views while Apply runs; run with -race.
func TestConcurrentReaders(t *testing.T) {
	evs := randomEvents(3, 4000)
	s := New()
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				v := s.View()
				before, _ := v.MarshalSnapshot()
				v.List("b0", ListQuery{Delimiter: "/"})
				v.List("b1", ListQuery{})
				v.ListUploads("b0", UploadQuery{})
				v.PendingShards(func(p PendingShard) bool { return true })
				v.PurgeQueue(func(p PurgeItem) bool { return true })
				v.OpenBlobs(func(b Blob) bool { b.ShardRegion(0, 0); return true })
				v.Usage()
				v.Object("b0", "k0")
				v.Buckets()
				after, _ := v.MarshalSnapshot()
				if !bytes.Equal(before, after) {
					t.Error("a published View changed")
					return
				}
			}
		}()
	}
	for i, ev := range evs {
		s.Apply(uint64(i+1), 0, ev)
		if i%7 == 0 {
			s.Publish()
		}
	}
	close(stop)
	wg.Wait()
}

func TestObjectMetaRoundTrip(t *testing.T) {
	metas := []log.ObjectMeta{
		{Size: 1, ETag: testMD5, ModTime: 5},
		{Size: 2, ETag: testMD5 + "-12", ContentType: "image/png", PartSizes: []int64{1, 1}, PartSums: []map[string]string{{"CRC32": "x"}, nil}},
		{Size: 3, ETag: "0123456789ABCDEF0123456789ABCDEF", Headers: map[string]string{"Cache-Control": "no-cache"},
			UserMeta: map[string]string{"a": "1", "b": ""}, Checksums: map[string]string{"CRC32": "AAAAAA=="}},
		{Size: 4, ETag: testMD5 + "-0"},
		{Size: 5, ETag: "", ContentType: string(make([]byte, 300))},
	}
	h := newHarness(t)
	evs := []log.Event{log.BucketCreated{Bucket: "b"}}
	for i, m := range metas {
		evs = append(evs, startedRep(bid(i), "b", fmt.Sprint(i), m.Size), log.ObjectCommitted{Bucket: "b", Key: fmt.Sprint(i), Blob: bid(i), Meta: m})
	}
	evs = append(evs, log.ObjectCopied{Bucket: "b", Key: "multi", Extents: []log.Extent{{Blob: bid(1), Size: 1}, {Blob: bid(2), Size: 1}}, Meta: metas[1]})
	evs = append(evs, log.ObjectCopied{Bucket: "b", Key: "empty", Extents: nil, Meta: log.ObjectMeta{ETag: testMD5}})
	v := h.apply(evs...)
	for i, m := range metas {
		o, ok := v.Object("b", fmt.Sprint(i))
		if !ok || !reflect.DeepEqual(o.Meta, m) || !reflect.DeepEqual(o.Extents, []log.Extent{{Blob: bid(i), Size: m.Size}}) {
			t.Errorf("object %d: %+v, want meta %+v", i, o, m)
		}
	}
	if o, _ := v.Object("b", "multi"); len(o.Extents) != 2 || !reflect.DeepEqual(o.Meta, metas[1]) {
		t.Errorf("multi: %+v", o)
	}
	if o, _ := v.Object("b", "empty"); len(o.Extents) != 0 {
		t.Errorf("empty: %+v", o)
	}
	checkSnapshot(t, h.s)
	data, _ := h.s.MarshalSnapshot()
	l, _ := LoadSnapshot(data)
	for i, m := range metas {
		if o, _ := l.View().Object("b", fmt.Sprint(i)); !reflect.DeepEqual(o.Meta, m) {
			t.Errorf("loaded object %d: %+v, want %+v", i, o.Meta, m)
		}
	}
	if o, _ := l.View().Object("b", "empty"); len(o.Extents) != 0 {
		t.Errorf("loaded empty: %+v", o)
	}
}

func TestBucketsRegionsKeys(t *testing.T) {
	h := newHarness(t)
	pol := log.Policy{Mode: "erasure", DataShards: 4, ParityShards: 2}
	v := h.apply(
		log.BucketCreated{Bucket: "z", Created: 7, Location: "eu"},
		log.BucketCreated{Bucket: "a", Created: 8, Policy: &log.Policy{Mode: "replica"}},
		log.BucketPolicySet{Bucket: "z", Policy: pol},
		log.BucketPolicySet{Bucket: "nope", Policy: pol},
		log.RegionAdded{Region: log.Region{Name: "r2", Type: "s3"}},
		log.RegionAdded{Region: log.Region{Name: "r1", Type: "fs"}},
		log.RegionUpdated{Region: log.Region{Name: "r1", Type: "fs", Path: "/x"}},
		log.BackendBucketReady{Bucket: "z", Region: "r2"},
		log.BackendBucketReady{Bucket: "z", Region: "r1"},
		log.BackendBucketReady{Bucket: "z", Region: "r2"},
		log.RegionAdded{Region: log.Region{Name: "r3"}},
		log.RegionRemoved{Name: "r3"},
		log.AccessKeyCreated{AccessKey: "K1", ReadOnly: true},
		log.AccessKeyCreated{AccessKey: "K2"},
		log.AccessKeyRevoked{AccessKey: "K2"},
		log.SnapshotShipped{Index: 10, Region: "r1"},
		log.SnapshotShipped{Index: 5, Region: "r1"},
		log.SegmentShipped{First: 1, Last: 20, Region: "r1"},
	)
	bs := v.Buckets()
	if len(bs) != 2 || bs[0].Name != "a" || bs[1].Name != "z" || bs[0].Policy.Mode != "replica" {
		t.Fatalf("buckets %+v", bs)
	}
	z, _ := v.Bucket("z")
	if *z.Policy != pol || !reflect.DeepEqual(z.Ready, []string{"r1", "r2"}) || !z.ReadyOn("r1") || z.ReadyOn("r3") || z.Location != "eu" || z.Created != 7 {
		t.Fatalf("bucket %+v", z)
	}
	if rs := v.Regions(); len(rs) != 2 || rs[0].Name != "r1" || rs[0].Path != "/x" {
		t.Fatalf("regions %+v", rs)
	}
	if _, ok := v.Region("r3"); ok {
		t.Fatal("removed region")
	}
	if ks := v.AccessKeys(); len(ks) != 1 || !ks[0].ReadOnly {
		t.Fatalf("keys %+v", ks)
	}
	if snap, seg := v.Shipped("r1"); snap != 10 || seg != 20 {
		t.Fatalf("shipped %d %d", snap, seg)
	}
	checkSnapshot(t, h.s)
	v = h.apply(log.BucketDeleted{Bucket: "z"})
	if _, ok := v.Bucket("z"); ok {
		t.Fatal("deleted bucket")
	}
}

func FuzzSnapshot(f *testing.F) {
	for _, n := range []int{0, 50, 400} {
		s := New()
		applyAll(s, 1, randomEvents(uint64(n)+1, n))
		data, _ := s.MarshalSnapshot()
		f.Add(data)
	}
	f.Add([]byte{})
	f.Add([]byte{0x94, 0xb2})
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := LoadSnapshot(data)
		if err != nil {
			return
		}
		// What loads must marshal, reload identically and answer queries.
		a, err := s.MarshalSnapshot()
		if err != nil {
			t.Fatal(err)
		}
		l, err := LoadSnapshot(a)
		if err != nil {
			t.Fatalf("reload: %v", err)
		}
		if b, _ := l.MarshalSnapshot(); !bytes.Equal(a, b) {
			t.Fatal("reload differs")
		}
		v := s.View()
		v.List("b0", ListQuery{Delimiter: "/"})
		v.ListVersions("b0", VersionQuery{Delimiter: "/", KeyMarker: "d/k2", VersionIDMarker: "null"})
		v.PendingShards(func(PendingShard) bool { return true })
		v.PurgeQueue(func(PurgeItem) bool { return true })
		v.Usage()
	})
}
