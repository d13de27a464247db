package projections

import (
	"bytes"
	"encoding/binary"
	"errors"
	"reflect"
	"testing"

	"github.com/prismd/prismd/log"
)

// harness applies events at consecutive indexes.
type harness struct {
	t *testing.T
	s *State
}

func newHarness(t *testing.T) *harness { return &harness{t: t, s: New()} }

func (h *harness) apply(evs ...log.Event) *View {
	for _, ev := range evs {
		i := h.s.Applied() + 1
		h.s.Apply(i, int64(i)*1000, ev)
	}
	h.s.Publish()
	return h.s.View()
}

func (h *harness) view() *View { h.s.Publish(); return h.s.View() }

func bid(n int) log.BlobID {
	var id log.BlobID
	binary.BigEndian.PutUint64(id[8:], uint64(n))
	return id
}

var (
	ec42    = log.Layout{K: 4, M: 2, BlockSize: 1 << 16, SegmentSize: 1 << 20}
	rep3    = log.Layout{K: 1, M: 2, BlockSize: 1 << 16, SegmentSize: 1 << 20}
	place6  = []string{"r0", "r1", "r2", "r3", "r4", "r5"}
	place3  = []string{"a", "b", "c"}
	testMD5 = "0123456789abcdef0123456789abcdef"
)

func started(id log.BlobID, bucket, key string, size int64) log.PutStarted {
	return log.PutStarted{Blob: id, Bucket: bucket, Key: key, Layout: ec42, Placement: place6, Size: size}
}

func startedRep(id log.BlobID, bucket, key string, size int64) log.PutStarted {
	return log.PutStarted{Blob: id, Bucket: bucket, Key: key, Layout: rep3, Placement: place3, Size: size}
}

// writeAll returns ShardWritten events for every shard of a blob on its placement.
func writeAll(id log.BlobID, segs int, placement []string) []log.Event {
	var evs []log.Event
	for seg := 0; seg < segs; seg++ {
		for i, r := range placement {
			evs = append(evs, log.ShardWritten{Blob: id, Segment: seg, Shard: i, Region: r})
		}
	}
	return evs
}

func committed(bucket, key string, id log.BlobID, size int64) log.ObjectCommitted {
	return log.ObjectCommitted{Bucket: bucket, Key: key, Blob: id, Meta: log.ObjectMeta{Size: size, ETag: testMD5, ModTime: 42}}
}

// putObject returns the events of a complete PUT.
func putObject(id log.BlobID, bucket, key string, size int64) []log.Event {
	evs := []log.Event{startedRep(id, bucket, key, size)}
	evs = append(evs, writeAll(id, 1, place3)...)
	return append(evs, committed(bucket, key, id, size))
}

func purgeItems(v *View) map[log.BlobID][]string {
	out := map[log.BlobID][]string{}
	v.PurgeQueue(func(p PurgeItem) bool { out[p.Blob.ID] = p.Regions; return true })
	return out
}

func openBlobs(v *View) []log.BlobID {
	var out []log.BlobID
	v.OpenBlobs(func(b Blob) bool { out = append(out, b.ID); return true })
	return out
}

func pendingShards(v *View) []PendingShard {
	var out []PendingShard
	v.PendingShards(func(p PendingShard) bool { out = append(out, p); return true })
	return out
}

func refs(t *testing.T, v *View, id log.BlobID) int {
	t.Helper()
	b, ok := v.Blob(id)
	if !ok {
		return -1
	}
	return b.Refs
}

// checkSnapshot verifies that the state survives a snapshot round trip and
// that the incrementally kept counters equal the ones derived from scratch.
func checkSnapshot(t *testing.T, s *State) {
	t.Helper()
	data, err := s.MarshalSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	l, err := LoadSnapshot(data)
	if err != nil {
		t.Fatalf("LoadSnapshot: %v", err)
	}
	data2, err := l.MarshalSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, data2) {
		t.Fatalf("snapshot differs after round trip")
	}
	s.Publish()
	v, lv := s.View(), l.View()
	if l.Applied() != s.Applied() {
		t.Fatalf("applied %d, want %d", l.Applied(), s.Applied())
	}
	if !reflect.DeepEqual(lv.Usage(), v.Usage()) {
		t.Fatalf("usage after load %v, kept %v", lv.Usage(), v.Usage())
	}
	a1, a2, a3, a4, a5 := v.Counts()
	b1, b2, b3, b4, b5 := lv.Counts()
	if [5]int{a1, a2, a3, a4, a5} != [5]int{b1, b2, b3, b4, b5} {
		t.Fatalf("counts after load %v, kept %v", [5]int{b1, b2, b3, b4, b5}, [5]int{a1, a2, a3, a4, a5})
	}
	if !reflect.DeepEqual(pendingShards(lv), pendingShards(v)) || !reflect.DeepEqual(purgeItems(lv), purgeItems(v)) ||
		!reflect.DeepEqual(openBlobs(lv), openBlobs(v)) {
		t.Fatalf("work lists differ after load")
	}
	v.t.blobs.Scan(func(r *blobRec) bool {
		b1, _ := v.Blob(r.id)
		b2, ok := lv.Blob(r.id)
		if !ok || b1.Refs != b2.Refs || b1.Committed != b2.Committed || b1.Purging != b2.Purging || b1.Pending != b2.Pending {
			t.Fatalf("blob %x: kept %+v, loaded %+v", r.id, b1, b2)
		}
		return true
	})
}

// applyNext applies evs at the indexes after the state's last (time: the
// index × 1000) and returns their refusals, joined. A refused event still
// takes its index, as in the log.
func applyNext(s *State, evs ...log.Event) error {
	var errs []error
	for _, ev := range evs {
		i := s.Applied() + 1
		errs = append(errs, s.Apply(i, int64(i)*1000, ev))
	}
	return errors.Join(errs...)
}
