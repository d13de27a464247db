package projections

import (
	"reflect"
	"testing"

	"github.com/prismd/prismd/log"
)

func TestRefcountLifecycle(t *testing.T) {
	type step struct {
		evs []log.Event
		// expectations after the step; nil maps/slices are not checked
		refs  map[int]int // blob → refs (-1: forgotten)
		purge []int       // blobs in the purge queue (exactly)
		open  []int       // open blobs (exactly)
	}
	part := func(upload string, n, blob int) log.PartCommitted {
		return log.PartCommitted{Upload: upload, Number: n, Blob: bid(blob), Size: 10, ETag: testMD5}
	}
	upStart := func(blob int, upload string) log.Event {
		ev := startedRep(bid(blob), "b", "mp", 10)
		ev.Upload = upload
		return ev
	}
	purged := func(blob int) []log.Event {
		var evs []log.Event
		for _, r := range place3 {
			evs = append(evs, log.ShardsPurged{Blob: bid(blob), Region: r})
		}
		return evs
	}
	cat := func(groups ...[]log.Event) []log.Event {
		var out []log.Event
		for _, g := range groups {
			out = append(out, g...)
		}
		return out
	}
	bucket := []log.Event{log.BucketCreated{Bucket: "b", Created: 1}}
	tests := []struct {
		name  string
		steps []step
	}{
		{"overwrite", []step{
			{evs: cat(bucket, putObject(bid(1), "b", "k", 10)), refs: map[int]int{1: 1}, purge: []int{}, open: []int{}},
			{evs: putObject(bid(2), "b", "k", 10), refs: map[int]int{1: 0, 2: 1}, purge: []int{1}},
			{evs: purged(1), refs: map[int]int{1: -1, 2: 1}, purge: []int{}},
		}},
		{"rewrite same blob keeps it", []step{
			{evs: cat(bucket, putObject(bid(1), "b", "k", 10)), refs: map[int]int{1: 1}},
			{evs: []log.Event{committed("b", "k", bid(1), 10)}, refs: map[int]int{1: 1}, purge: []int{}},
		}},
		{"delete", []step{
			{evs: cat(bucket, putObject(bid(1), "b", "k", 10))},
			{evs: []log.Event{log.ObjectDeleted{Bucket: "b", Key: "k"}}, refs: map[int]int{1: 0}, purge: []int{1}},
			{evs: []log.Event{log.ObjectDeleted{Bucket: "b", Key: "k"}}, refs: map[int]int{1: 0}, purge: []int{1}},
		}},
		{"copy, delete source, delete copy", []step{
			{evs: cat(bucket, putObject(bid(1), "b", "src", 10))},
			{evs: []log.Event{log.ObjectCopied{Bucket: "b", Key: "dst", SrcBucket: "b", SrcKey: "src",
				Extents: []log.Extent{{Blob: bid(1), Size: 10}}, Meta: log.ObjectMeta{Size: 10, ETag: testMD5}}},
				refs: map[int]int{1: 2}},
			{evs: []log.Event{log.ObjectDeleted{Bucket: "b", Key: "src"}}, refs: map[int]int{1: 1}, purge: []int{}},
			{evs: []log.Event{log.ObjectDeleted{Bucket: "b", Key: "dst"}}, refs: map[int]int{1: 0}, purge: []int{1}},
		}},
		{"multipart replace part, complete with unused part", []step{
			{evs: cat(bucket, []log.Event{
				log.UploadCreated{Upload: "u", Bucket: "b", Key: "mp", Created: 5},
				upStart(1, "u"), upStart(2, "u"), upStart(3, "u"),
			}), open: []int{1, 2, 3}},
			{evs: []log.Event{part("u", 1, 1), part("u", 2, 2)}, refs: map[int]int{1: 1, 2: 1, 3: 0}, open: []int{3}},
			{evs: []log.Event{part("u", 1, 3)}, refs: map[int]int{1: 0, 2: 1, 3: 1}, purge: []int{1}, open: []int{}},
			{evs: []log.Event{upStart(4, "u"), part("u", 3, 4)}, refs: map[int]int{4: 1}},
			{evs: []log.Event{log.UploadCompleted{Upload: "u", Bucket: "b", Key: "mp",
				Parts: []log.CompletedPart{{Number: 1, Blob: bid(3), Size: 10, ETag: testMD5}, {Number: 2, Blob: bid(2), Size: 10, ETag: testMD5}},
				Meta:  log.ObjectMeta{Size: 20, ETag: testMD5 + "-2", PartSizes: []int64{10, 10}}}},
				refs: map[int]int{2: 1, 3: 1, 4: 0}, purge: []int{1, 4}},
			{evs: []log.Event{log.ObjectDeleted{Bucket: "b", Key: "mp"}}, refs: map[int]int{2: 0, 3: 0}, purge: []int{1, 2, 3, 4}},
		}},
		{"abort", []step{
			{evs: cat(bucket, []log.Event{log.UploadCreated{Upload: "u", Bucket: "b", Key: "mp"}, upStart(1, "u"), part("u", 1, 1)}),
				refs: map[int]int{1: 1}},
			{evs: []log.Event{log.UploadAborted{Upload: "u"}}, refs: map[int]int{1: 0}, purge: []int{1}},
			{evs: []log.Event{part("u", 2, 1)}, refs: map[int]int{1: 0}, purge: []int{1}}, // late part of an aborted upload
		}},
		{"bucket delete aborts uploads", []step{
			{evs: cat(bucket, []log.Event{log.UploadCreated{Upload: "u", Bucket: "b", Key: "mp"}, upStart(1, "u"), part("u", 1, 1)})},
			{evs: []log.Event{log.BucketDeleted{Bucket: "b"}}, refs: map[int]int{1: 0}, purge: []int{1}},
		}},
		{"purge queued open blob", []step{
			{evs: cat(bucket, []log.Event{startedRep(bid(1), "b", "k", 10)}), open: []int{1}, purge: []int{}},
			{evs: []log.Event{log.PurgeQueued{Blob: bid(1), Reason: "abandoned"}}, open: []int{}, purge: []int{1}},
			{evs: purged(1)[:2], purge: []int{1}},
			{evs: purged(1)[2:], refs: map[int]int{1: -1}, purge: []int{}},
		}},
		{"purge queued referenced blob is ignored", []step{
			{evs: cat(bucket, putObject(bid(1), "b", "k", 10))},
			{evs: []log.Event{log.PurgeQueued{Blob: bid(1)}}, refs: map[int]int{1: 1}, purge: []int{}},
			{evs: []log.Event{log.ShardsPurged{Blob: bid(1), Region: "a"}}, refs: map[int]int{1: 1}, purge: []int{}},
		}},
		{"commit of a queued blob takes it out of the queue", []step{
			{evs: cat(bucket, []log.Event{startedRep(bid(1), "b", "k", 10)}, writeAll(bid(1), 1, place3),
				[]log.Event{log.PurgeQueued{Blob: bid(1)}, log.ShardsPurged{Blob: bid(1), Region: "a"}}), purge: []int{1}},
			{evs: []log.Event{committed("b", "k", bid(1), 10)}, refs: map[int]int{1: 1}, purge: []int{}},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			for i, st := range tc.steps {
				v := h.apply(st.evs...)
				for b, want := range st.refs {
					if got := refs(t, v, bid(b)); got != want {
						t.Errorf("step %d: blob %d refs %d, want %d", i, b, got, want)
					}
				}
				if st.purge != nil {
					got := purgeItems(v)
					if len(got) != len(st.purge) {
						t.Errorf("step %d: purge queue %v, want %v", i, got, st.purge)
					}
					for _, b := range st.purge {
						if _, ok := got[bid(b)]; !ok {
							t.Errorf("step %d: blob %d not in purge queue", i, b)
						}
					}
				}
				if st.open != nil {
					want := []log.BlobID{}
					for _, b := range st.open {
						want = append(want, bid(b))
					}
					if got := append([]log.BlobID{}, openBlobs(v)...); !reflect.DeepEqual(got, want) {
						t.Errorf("step %d: open %v, want %v", i, got, want)
					}
				}
				checkSnapshot(t, h.s)
			}
		})
	}
}

func TestPurgeRegions(t *testing.T) {
	h := newHarness(t)
	evs := []log.Event{log.BucketCreated{Bucket: "b"}, startedRep(bid(1), "b", "k", 10)}
	evs = append(evs, writeAll(bid(1), 1, place3)...)
	evs = append(evs,
		committed("b", "k", bid(1), 10),
		log.ShardCorrupt{Blob: bid(1), Segment: 0, Shard: 1, Region: "b"},
		log.ShardRepaired{Blob: bid(1), Segment: 0, Shard: 1, Region: "z"},
		log.ObjectDeleted{Bucket: "b", Key: "k"},
	)
	v := h.apply(evs...)
	if got := purgeItems(v)[bid(1)]; !reflect.DeepEqual(got, []string{"a", "b", "c", "z"}) {
		t.Fatalf("purge regions %v, want a b c z (b held the corrupt copy, z the repair)", got)
	}
	if u := v.Usage(); u["z"].Shards != 1 || u["b"].Shards != 0 {
		t.Fatalf("usage %v", u)
	}
	v = h.apply(log.ShardsPurged{Blob: bid(1), Region: "z"}, log.ShardsPurged{Blob: bid(1), Region: "a"})
	if got := purgeItems(v)[bid(1)]; !reflect.DeepEqual(got, []string{"b", "c"}) {
		t.Fatalf("purge regions %v", got)
	}
	checkSnapshot(t, h.s)
	// A write landing late on a purged region makes it due again.
	v = h.apply(log.ShardWritten{Blob: bid(1), Segment: 0, Shard: 0, Region: "a"})
	if got := purgeItems(v)[bid(1)]; !reflect.DeepEqual(got, []string{"a", "b", "c"}) {
		t.Fatalf("purge regions %v", got)
	}
	v = h.apply(log.ShardsPurged{Blob: bid(1), Region: "a"}, log.ShardsPurged{Blob: bid(1), Region: "b"}, log.ShardsPurged{Blob: bid(1), Region: "c"})
	if _, ok := v.Blob(bid(1)); ok {
		t.Fatal("blob not forgotten")
	}
	if u := v.Usage(); len(u) != 0 {
		t.Fatalf("usage left after purge: %v", u)
	}
	checkSnapshot(t, h.s)
}

func TestPendingShards(t *testing.T) {
	h := newHarness(t)
	const size = 3<<20 + 100 // 4 segments under ec42
	v := h.apply(log.BucketCreated{Bucket: "b"}, started(bid(1), "b", "k", size))
	b, _ := v.Blob(bid(1))
	if b.Segments != 4 || b.Shards != 6 || b.Pending != 24 || b.Committed || b.Refs != 0 {
		t.Fatalf("blob %+v", b)
	}
	if n := len(pendingShards(v)); n != 0 {
		t.Fatalf("open blob has %d pending shards listed; want 0", n)
	}
	// Quorum written, then commit.
	var evs []log.Event
	for seg := 0; seg < 4; seg++ {
		for sh := 0; sh < 4; sh++ {
			evs = append(evs, log.ShardWritten{Blob: bid(1), Segment: seg, Shard: sh, Region: place6[sh]})
		}
	}
	evs = append(evs, log.ShardFailed{Blob: bid(1), Segment: 0, Shard: 4, Region: "r4", Error: "timeout"})
	evs = append(evs, log.ObjectCommitted{Bucket: "b", Key: "k", Blob: bid(1), Meta: log.ObjectMeta{Size: size, ETag: testMD5}})
	v = h.apply(evs...)
	ps := pendingShards(v)
	if len(ps) != 8 {
		t.Fatalf("pending %d, want 8: %v", len(ps), ps)
	}
	if ps[0] != (PendingShard{Blob: bid(1), Segment: 0, Shard: 4, Region: "r4", Reason: "failed"}) ||
		ps[1] != (PendingShard{Blob: bid(1), Segment: 0, Shard: 5, Region: "r5", Reason: "unwritten"}) {
		t.Fatalf("pending %v", ps[:2])
	}
	u := v.Usage()
	shard := int64((1<<20 + 3) / 4)
	last := int64((100 + 3) / 4)
	if u["r0"] != (RegionUsage{Shards: 4, Bytes: 3*shard + last}) || u["r4"] != (RegionUsage{Pending: 4}) {
		t.Fatalf("usage %v", u)
	}
	checkSnapshot(t, h.s)

	// Completion writes the rest; shard 5 of segment 2 goes to r9 instead.
	evs = nil
	for seg := 0; seg < 4; seg++ {
		for sh := 4; sh < 6; sh++ {
			r := place6[sh]
			if seg == 2 && sh == 5 {
				r = "r9"
			}
			evs = append(evs, log.ShardWritten{Blob: bid(1), Segment: seg, Shard: sh, Region: r})
		}
	}
	v = h.apply(evs...)
	if ps := pendingShards(v); len(ps) != 0 {
		t.Fatalf("pending %v", ps)
	}
	b, _ = v.Blob(bid(1))
	if b.ShardRegion(2, 5) != "r9" || b.ShardRegion(1, 5) != "r5" || b.Pending != 0 {
		t.Fatalf("shard regions %q %q", b.ShardRegion(2, 5), b.ShardRegion(1, 5))
	}
	if _, _, _, pending, _ := v.Counts(); pending != 0 {
		t.Fatalf("pending count %d", pending)
	}
	checkSnapshot(t, h.s)

	// Scrub finds a corrupt and a missing shard; a stale report is ignored.
	v = h.apply(
		log.ShardCorrupt{Blob: bid(1), Segment: 1, Shard: 0, Region: "r0"},
		log.ShardMissing{Blob: bid(1), Segment: 2, Shard: 5, Region: "r9"},
		log.ShardMissing{Blob: bid(1), Segment: 3, Shard: 1, Region: "elsewhere"},
	)
	ps = pendingShards(v)
	want := []PendingShard{
		{Blob: bid(1), Segment: 1, Shard: 0, Region: "r0", Reason: "corrupt"},
		{Blob: bid(1), Segment: 2, Shard: 5, Region: "r9", Reason: "missing"},
	}
	if !reflect.DeepEqual(ps, want) {
		t.Fatalf("pending %v, want %v", ps, want)
	}
	if u := v.Usage(); u["r0"].Shards != 3 || u["r0"].Pending != 1 || u["r9"].Shards != 0 {
		t.Fatalf("usage %v", u)
	}
	checkSnapshot(t, h.s)

	// Repair the corrupt shard on another region.
	v = h.apply(log.ShardRepaired{Blob: bid(1), Segment: 1, Shard: 0, Region: "r7"},
		log.ShardRepaired{Blob: bid(1), Segment: 2, Shard: 5, Region: "r9"})
	if ps := pendingShards(v); len(ps) != 0 {
		t.Fatalf("pending %v", ps)
	}
	b, _ = v.Blob(bid(1))
	if b.ShardRegion(1, 0) != "r7" || b.ShardState(1, 0) != "stored" {
		t.Fatalf("repaired shard on %q (%s)", b.ShardRegion(1, 0), b.ShardState(1, 0))
	}
	if u := v.Usage(); u["r7"] != (RegionUsage{Shards: 1, Bytes: shard}) {
		t.Fatalf("usage %v", u)
	}
	checkSnapshot(t, h.s)
	// Out-of-range and unknown-blob shard events change nothing.
	usage, blob := v.Usage(), v.t.getBlob(bid(1))
	v = h.apply(log.ShardWritten{Blob: bid(1), Segment: 9, Shard: 0, Region: "x"},
		log.ShardCorrupt{Blob: bid(1), Segment: 0, Shard: 6, Region: "x"},
		log.ShardWritten{Blob: bid(99), Segment: 0, Shard: 0, Region: "x"})
	if !reflect.DeepEqual(v.Usage(), usage) || v.t.getBlob(bid(1)) != blob {
		t.Fatal("out-of-range shard events changed the state")
	}
}

func TestBlobKeySharesObjectKey(t *testing.T) {
	h := newHarness(t)
	v := h.apply(append([]log.Event{log.BucketCreated{Bucket: "b"}}, putObject(bid(1), "b", "some/key", 1)...)...)
	r := v.t.getBlob(bid(1))
	var objKey string
	v.t.objects.Scan(func(k string, _ *objRec) bool { objKey = k; return false })
	if !unsafeSameData(r.key, objKey[2:]) {
		t.Fatal("blob key does not share the object key's bytes")
	}
	if r.x != nil {
		t.Fatalf("fully written blob keeps extra %+v", r.x)
	}
}
