package projections

import (
	"errors"
	"testing"

	"github.com/prismd/prismd/log"
)

// far is a retention date after every event time the harness gives.
const far = int64(1) << 60

// newLockHarness returns a bucket "b" created with object lock, and the
// version id of "k" put with meta's lock settings.
func newLockHarness(t *testing.T, lock func(m *log.ObjectMeta)) (*harness, string) {
	t.Helper()
	h := newHarness(t)
	if err := h.try(log.BucketCreated{Bucket: "b", ObjectLock: true}); err != nil {
		t.Fatal(err)
	}
	evs := putObject(bid(1), "b", "k", 10)
	c := evs[len(evs)-1].(log.ObjectCommitted)
	lock(&c.Meta)
	evs[len(evs)-1] = c
	h.apply(evs[:len(evs)-1]...)
	if err := h.try(c); err != nil {
		t.Fatal(err)
	}
	x, _ := h.view().Latest("b", "k")
	return h, x.VersionID
}

// tryAt applies ev as written at unixNano.
func (h *harness) tryAt(unixNano int64, ev log.Event) error {
	err := h.s.Apply(h.s.Applied()+1, unixNano, ev)
	h.s.Publish()
	return err
}

func compliance(m *log.ObjectMeta) { m.LockMode, m.LockUntil = log.LockCompliance, far }
func governance(m *log.ObjectMeta) { m.LockMode, m.LockUntil = log.LockGovernance, far }

func TestBucketCreatedWithLock(t *testing.T) {
	h := newHarness(t)
	h.apply(log.BucketCreated{Bucket: "b", ObjectLock: true}, log.BucketCreated{Bucket: "plain"})
	v := h.view()
	if b, _ := v.Bucket("b"); b.Versioning != log.VersioningEnabled || !v.ObjectLockEnabled("b") {
		t.Fatalf("lock bucket: %+v lock %v", b, v.ObjectLockEnabled("b"))
	}
	if v.ObjectLockEnabled("plain") || v.ObjectLockEnabled("none") {
		t.Fatal("plain bucket has object lock")
	}
	if err := h.try(log.BucketVersioningSet{Bucket: "b", Status: log.VersioningSuspended}); !errors.Is(err, ErrInvalidBucketState) {
		t.Fatalf("suspend: %v", err)
	}
	if err := h.try(log.BucketConfigSet{Bucket: "b", Name: log.ConfigObjectLock}); !errors.Is(err, ErrInvalidBucketState) {
		t.Fatalf("remove lock: %v", err)
	}
	// Turning lock on needs versioning enabled; then it stays.
	if err := h.try(log.BucketConfigSet{Bucket: "plain", Name: log.ConfigObjectLock, Doc: log.ObjectLockEnabledDoc}); !errors.Is(err, ErrInvalidBucketState) {
		t.Fatalf("lock on unversioned: %v", err)
	}
	h.apply(log.BucketVersioningSet{Bucket: "plain", Status: log.VersioningEnabled})
	if err := h.try(log.BucketConfigSet{Bucket: "plain", Name: log.ConfigObjectLock, Doc: log.ObjectLockEnabledDoc}); err != nil {
		t.Fatalf("lock on versioned: %v", err)
	}
	if err := h.try(log.BucketVersioningSet{Bucket: "plain", Status: log.VersioningSuspended}); !errors.Is(err, ErrInvalidBucketState) {
		t.Fatalf("suspend after lock: %v", err)
	}
}

func TestLockSettingsNeedLockBucket(t *testing.T) {
	h := newHarness(t)
	h.apply(log.BucketCreated{Bucket: "plain"}, log.BucketCreated{Bucket: "b", ObjectLock: true})
	evs := putObject(bid(1), "plain", "k", 10)
	h.apply(evs[:len(evs)-1]...)
	for _, lock := range []func(*log.ObjectMeta){compliance, func(m *log.ObjectMeta) { m.LegalHold = true }} {
		c := committed("plain", "k", bid(1), 10)
		lock(&c.Meta)
		if err := h.try(c); !errors.Is(err, ErrNoObjectLock) {
			t.Fatalf("locked put in plain bucket: %v", err)
		}
		u := log.UploadCreated{Upload: "u", Bucket: "plain", Key: "k", Meta: c.Meta}
		if err := h.try(u); !errors.Is(err, ErrNoObjectLock) {
			t.Fatalf("locked upload in plain bucket: %v", err)
		}
	}
	for _, bad := range []log.ObjectMeta{{LockMode: "FOREVER", LockUntil: far}, {LockMode: log.LockCompliance}, {LockUntil: far}} {
		c := committed("b", "k", bid(1), 10)
		c.Meta.LockMode, c.Meta.LockUntil = bad.LockMode, bad.LockUntil
		if err := h.try(c); !errors.Is(err, ErrBadRetention) {
			t.Fatalf("retention %+v: %v", bad, err)
		}
	}
	if _, ok := h.view().Object("plain", "k"); ok {
		t.Fatal("a refused commit stored the object")
	}
	if err := h.try(log.ObjectLegalHoldSet{Bucket: "plain", Key: "k", VersionID: NullVersion, On: true}); !errors.Is(err, ErrNoObjectLock) {
		t.Fatalf("legal hold in plain bucket: %v", err)
	}
	if err := h.try(log.ObjectRetentionSet{Bucket: "plain", Key: "k", VersionID: NullVersion, Mode: log.LockGovernance, Until: far}); !errors.Is(err, ErrNoObjectLock) {
		t.Fatalf("retention in plain bucket: %v", err)
	}
}

func TestLockedVersionSurvivesDeletes(t *testing.T) {
	for name, lock := range map[string]func(*log.ObjectMeta){
		"compliance": compliance,
		"governance": governance,
		"legal hold": func(m *log.ObjectMeta) { m.LegalHold = true },
		"governance and hold": func(m *log.ObjectMeta) {
			governance(m)
			m.LegalHold = true
		},
	} {
		t.Run(name, func(t *testing.T) {
			h, id := newLockHarness(t, lock)
			// A delete without a version id is a delete marker: allowed.
			if err := h.try(log.ObjectDeleted{Bucket: "b", Key: "k"}); err != nil {
				t.Fatal(err)
			}
			if err := h.try(log.ObjectVersionDeleted{Bucket: "b", Key: "k", VersionID: id}); !errors.Is(err, ErrObjectLocked) {
				t.Fatalf("delete version: %v", err)
			}
			bypass := h.try(log.ObjectVersionDeleted{Bucket: "b", Key: "k", VersionID: id, Bypass: true})
			if name == "governance" {
				if bypass != nil {
					t.Fatalf("governance bypass refused: %v", bypass)
				}
				return
			}
			if !errors.Is(bypass, ErrObjectLocked) {
				t.Fatalf("bypass of %s: %v", name, bypass)
			}
			v := h.view()
			if x, ok := v.ObjectVersion("b", "k", id); !ok || x.DeleteMarker {
				t.Fatalf("locked version gone: %+v %v", x, ok)
			}
			// Its data is referenced: never queued for purge.
			if q := purgeItems(v); len(q) != 0 {
				t.Fatalf("purge queue %v", q)
			}
			// Removing the region its shards are on loses shards, not the version.
			h.apply(log.RegionRemoved{Name: place3[0]})
			if _, ok := h.view().ObjectVersion("b", "k", id); !ok {
				t.Fatal("region removal dropped the locked version")
			}
			if q := purgeItems(h.view()); len(q) != 0 {
				t.Fatalf("purge queue after region removal %v", q)
			}
			// The bucket holds a version: it cannot be deleted.
			if err := h.try(log.BucketDeleted{Bucket: "b"}); !errors.Is(err, ErrBucketNotEmpty) {
				t.Fatalf("delete bucket: %v", err)
			}
		})
	}
}

func TestRetentionExpires(t *testing.T) {
	h, id := newLockHarness(t, func(m *log.ObjectMeta) { m.LockMode, m.LockUntil = log.LockCompliance, 1e15 })
	if err := h.tryAt(1e15-1, log.ObjectVersionDeleted{Bucket: "b", Key: "k", VersionID: id}); !errors.Is(err, ErrObjectLocked) {
		t.Fatalf("before the date: %v", err)
	}
	if err := h.tryAt(1e15, log.ObjectVersionDeleted{Bucket: "b", Key: "k", VersionID: id}); err != nil {
		t.Fatalf("at the date: %v", err)
	}
	if _, ok := h.view().ObjectVersion("b", "k", id); ok {
		t.Fatal("expired version kept")
	}
}

func TestRetentionChanges(t *testing.T) {
	const (
		G, C = log.LockGovernance, log.LockCompliance
	)
	cases := []struct {
		name       string
		mode       string
		until      int64
		newMode    string
		newUntil   int64
		bypass, ok bool
	}{
		{"compliance extended", C, far, C, far + 1, false, true},
		{"compliance same", C, far, C, far, false, true},
		{"compliance shortened", C, far, C, far - 1, false, false},
		{"compliance shortened with bypass", C, far, C, far - 1, true, false},
		{"compliance removed", C, far, "", 0, true, false},
		{"compliance to governance", C, far, G, far + 1, true, false},
		{"governance extended", G, far, G, far + 1, false, true},
		{"governance to compliance", G, far, C, far, false, true},
		{"governance shortened", G, far, G, far - 1, false, false},
		{"governance removed", G, far, "", 0, false, false},
		{"governance shortened with bypass", G, far, G, 5e15, true, true},
		{"governance removed with bypass", G, far, "", 0, true, true},
		{"expired compliance shortened", C, 2, G, 3, false, true},
		{"none to governance", "", 0, G, far, false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h, id := newLockHarness(t, func(m *log.ObjectMeta) { m.LockMode, m.LockUntil = c.mode, c.until })
			err := h.try(log.ObjectRetentionSet{Bucket: "b", Key: "k", VersionID: id, Mode: c.newMode, Until: c.newUntil, Bypass: c.bypass})
			x, _ := h.view().ObjectVersion("b", "k", id)
			if c.ok {
				if err != nil || x.Meta.LockMode != c.newMode || x.Meta.LockUntil != c.newUntil {
					t.Fatalf("refused: %v, meta %+v", err, x.Meta)
				}
				return
			}
			if !errors.Is(err, ErrObjectLocked) || x.Meta.LockMode != c.mode || x.Meta.LockUntil != c.until {
				t.Fatalf("allowed: %v, meta %+v", err, x.Meta)
			}
		})
	}
}

// TestRetentionRace: two clients read the same retention and each
// appends a change; the log orders them and the second is checked
// against the first, so a shortening never slips past an extension.
func TestRetentionRace(t *testing.T) {
	h, id := newLockHarness(t, compliance)
	extend := log.ObjectRetentionSet{Bucket: "b", Key: "k", VersionID: id, Mode: log.LockCompliance, Until: far + 100}
	// The second client saw the old date and "keeps" it: now a shortening.
	keep := log.ObjectRetentionSet{Bucket: "b", Key: "k", VersionID: id, Mode: log.LockCompliance, Until: far}
	if err := h.try(extend); err != nil {
		t.Fatal(err)
	}
	if err := h.try(keep); !errors.Is(err, ErrObjectLocked) {
		t.Fatalf("second writer: %v", err)
	}
	if x, _ := h.view().ObjectVersion("b", "k", id); x.Meta.LockUntil != far+100 {
		t.Fatalf("until %d", x.Meta.LockUntil)
	}
}

func TestLegalHold(t *testing.T) {
	h, id := newLockHarness(t, func(*log.ObjectMeta) {})
	if err := h.try(log.ObjectLegalHoldSet{Bucket: "b", Key: "k", VersionID: id, On: true}); err != nil {
		t.Fatal(err)
	}
	if err := h.try(log.ObjectVersionDeleted{Bucket: "b", Key: "k", VersionID: id, Bypass: true}); !errors.Is(err, ErrObjectLocked) {
		t.Fatalf("delete held: %v", err)
	}
	if err := h.try(log.ObjectLegalHoldSet{Bucket: "b", Key: "k", VersionID: id}); err != nil {
		t.Fatal(err)
	}
	if err := h.try(log.ObjectVersionDeleted{Bucket: "b", Key: "k", VersionID: id}); err != nil {
		t.Fatalf("delete released: %v", err)
	}
	if err := h.try(log.ObjectLegalHoldSet{Bucket: "b", Key: "k", VersionID: id, On: true}); !errors.Is(err, ErrNoSuchKey) {
		t.Fatalf("hold of a deleted version: %v", err)
	}
	h.apply(log.ObjectDeleted{Bucket: "b", Key: "k"})
	m, _ := h.view().Latest("b", "k")
	if err := h.try(log.ObjectLegalHoldSet{Bucket: "b", Key: "k", VersionID: m.VersionID, On: true}); !errors.Is(err, ErrNoSuchKey) {
		t.Fatalf("hold of a delete marker: %v", err)
	}
}

// TestLockSurvivesSnapshot: a restart loads the snapshot (or replays the
// log) and the locks hold as before.
func TestLockSurvivesSnapshot(t *testing.T) {
	h, id := newLockHarness(t, compliance)
	h.apply(log.ObjectLegalHoldSet{Bucket: "b", Key: "k", VersionID: id, On: true}, log.ObjectDeleted{Bucket: "b", Key: "k"})
	data, err := h.s.MarshalSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	l, err := LoadSnapshot(data)
	if err != nil {
		t.Fatal(err)
	}
	h2 := &harness{t: t, s: l}
	if !h2.view().ObjectLockEnabled("b") {
		t.Fatal("object lock lost")
	}
	if err := h2.try(log.ObjectVersionDeleted{Bucket: "b", Key: "k", VersionID: id, Bypass: true}); !errors.Is(err, ErrObjectLocked) {
		t.Fatalf("delete after reload: %v", err)
	}
	if err := h2.try(log.BucketVersioningSet{Bucket: "b", Status: log.VersioningSuspended}); !errors.Is(err, ErrInvalidBucketState) {
		t.Fatalf("suspend after reload: %v", err)
	}
}
