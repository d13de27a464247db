package replica

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	plog "github.com/prismd/prismd/log"
)

var shipKey = bytes.Repeat([]byte{9}, 32)

// gatewayDirs is a gateway's data directory: its log and local snapshots.
type gatewayDirs struct {
	log   *plog.Log
	snaps string
}

func newGatewayDirs(t *testing.T) *gatewayDirs {
	t.Helper()
	dir := t.TempDir()
	l, err := plog.Open(filepath.Join(dir, "log"), plog.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return &gatewayDirs{log: l, snaps: filepath.Join(dir, "snapshots")}
}

// event is the n-th test event: its region names n, so records differ.
func event(n int) plog.Event {
	return plog.ShardWritten{Segment: n, Region: fmt.Sprintf("r%d", n)}
}

func (g *gatewayDirs) append(t *testing.T, n int) {
	t.Helper()
	for range n {
		if _, err := g.log.Append(context.Background(), event(int(g.log.LastIndex()+1))); err != nil {
			t.Fatal(err)
		}
	}
}

// snapshot writes a local snapshot at the log's last index whose payload
// names the index.
func (g *gatewayDirs) snapshot(t *testing.T) uint64 {
	t.Helper()
	idx := g.log.LastIndex()
	var at int64
	g.log.ReadRaw(idx, idx, func(_ uint64, data []byte) error { _, at, _ = plog.Decode(data); return nil })
	err := plog.WriteSnapshot(g.snaps, idx, at, func(w io.Writer) error {
		_, err := fmt.Fprintf(w, "state at %d", idx)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return idx
}

// clock is a settable time source.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newShipper(g *gatewayDirs, s Store, region string, c *clock, edit func(*ShipperConfig)) *Shipper {
	cfg := ShipperConfig{Region: region, Store: s, Log: g.log, Snapshots: g.snaps, MasterKey: shipKey,
		Gateway: "gateway-one", Instance: "test", Timeline: 1, Now: c.now}
	if edit != nil {
		edit(&cfg)
	}
	return NewShipper(cfg)
}

func step(t *testing.T, sh *Shipper) {
	t.Helper()
	if err := sh.Step(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// restored restores from sources into new directories and returns the
// result, the records restored and the snapshot payload.
func restored(t *testing.T, target Target, sources ...Source) (RestoreResult, map[uint64][]byte, string, error) {
	t.Helper()
	dir := t.TempDir()
	res, err := Restore(context.Background(), RestoreConfig{Sources: sources, MasterKey: shipKey, Target: target,
		LogDir: filepath.Join(dir, "log"), SnapshotDir: filepath.Join(dir, "snapshots")})
	if err != nil {
		return res, nil, "", err
	}
	records := map[uint64][]byte{}
	l, err := plog.Open(filepath.Join(dir, "log"), plog.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if l.LastIndex() > 0 && l.FirstIndex() > 0 {
		l.ReadRaw(l.FirstIndex(), l.LastIndex(), func(i uint64, data []byte) error { records[i] = bytes.Clone(data); return nil })
	}
	payload := ""
	err = plog.LoadLatestSnapshot(filepath.Join(dir, "snapshots"), func(s *plog.SnapshotReader) error {
		b, err := io.ReadAll(s)
		payload = string(b)
		return err
	})
	if err != nil && !errors.Is(err, plog.ErrNoSnapshot) {
		t.Fatal(err)
	}
	return res, records, payload, nil
}

// sameRecords checks that got holds exactly the records [from, to] of g's log.
func sameRecords(t *testing.T, g *gatewayDirs, got map[uint64][]byte, from, to uint64) {
	t.Helper()
	if len(got) != int(to-from+1) {
		t.Fatalf("restored %d records, want %d ([%d, %d])", len(got), to-from+1, from, to)
	}
	g.log.ReadRaw(from, to, func(i uint64, data []byte) error {
		if !bytes.Equal(got[i], data) {
			t.Fatalf("record %d differs", i)
		}
		return nil
	})
}

// TestShipAndRestore ships a log with a snapshot and restores it: the
// newest state, a log index and a point in time.
func TestShipAndRestore(t *testing.T) {
	g := newGatewayDirs(t)
	c := &clock{t: time.Now()}
	store := NewMemStore()
	sh := newShipper(g, store, "a", c, nil)
	g.append(t, 500)
	snap := g.snapshot(t)
	g.append(t, 500)
	step(t, sh)
	if st := sh.Status(); st.Shipped != 1000 || st.Snapshot != snap || st.Err != nil {
		t.Fatalf("status %+v", st)
	}
	g.append(t, 10)
	step(t, sh)
	if st := sh.Status(); st.Shipped != 1010 {
		t.Fatalf("after more records: %+v", st)
	}
	src := Source{Region: "a", Store: store}
	res, records, payload, err := restored(t, Target{}, src)
	if err != nil {
		t.Fatal(err)
	}
	if res.Last != 1010 || payload != fmt.Sprintf("state at %d", snap) || res.Source != "a" {
		t.Fatalf("restored %+v, snapshot %q", res, payload)
	}
	sameRecords(t, g, records, snap+1, 1010)
	// As of an index, and as of the time of a record.
	res, records, _, err = restored(t, Target{Index: 700}, src)
	if err != nil || res.Last != 700 {
		t.Fatalf("index target: %+v, %v", res, err)
	}
	sameRecords(t, g, records, snap+1, 700)
	var at int64
	g.log.ReadRaw(800, 800, func(_ uint64, data []byte) error { _, at, _ = plog.Decode(data); return nil })
	res, records, _, err = restored(t, Target{Time: time.Unix(0, at)}, src)
	if err != nil {
		t.Fatal(err)
	}
	// Records of the same batch share a time: the state as of it ends at
	// the last record stamped with it.
	last := uint64(0)
	for i := range records {
		last = max(last, i)
	}
	if res.Last != last || last < 800 {
		t.Fatalf("time target: restored up to %d (%+v)", last, res)
	}
}

// TestRestoreFallsBack: a file missing or damaged on one region comes from
// another; a snapshot damaged everywhere makes the restore use an older
// one and more segments; a gap no region fills is named; a wrong key is
// said to be wrong.
func TestRestoreFallsBack(t *testing.T) {
	g := newGatewayDirs(t)
	c := &clock{t: time.Now()}
	a, b := NewMemStore(), NewMemStore()
	sa, sb := newShipper(g, a, "a", c, nil), newShipper(g, b, "b", c, nil)
	g.append(t, 100)
	first := g.snapshot(t)
	g.append(t, 100)
	step(t, sa)
	step(t, sb)
	g.append(t, 100)
	second := g.snapshot(t)
	g.append(t, 100)
	step(t, sa)
	step(t, sb)
	ctx := context.Background()
	list := func(s Store, kind Kind) []string {
		files, _ := s.List(ctx, GatewaysPrefix)
		var out []string
		for _, f := range files {
			if n, err := ParseName(f.Name); err == nil && n.Kind == kind {
				out = append(out, f.Name)
			}
		}
		return out
	}
	src := []Source{{"a", a}, {"b", b}}
	// A segment gone from a is read from b.
	segs := list(a, KindSegment)
	a.Delete(ctx, segs[len(segs)-1])
	if res, records, _, err := restored(t, Target{}, src...); err != nil || res.Last != 400 {
		t.Fatalf("segment missing on a: %+v %v", res, err)
	} else {
		sameRecords(t, g, records, second+1, 400)
	}
	// The newest snapshot damaged on both: the older one and more segments.
	newest := SnapshotName("gateway-one", 1, second, time.Time{})
	for _, s := range []*MemStore{a, b} {
		for _, name := range list(s, KindSnapshot) {
			if n, _ := ParseName(name); n.First == second {
				newest = name
				corrupt(t, s, name)
			}
		}
	}
	res, records, payload, err := restored(t, Target{}, src...)
	if err != nil || res.Last != 400 || payload != fmt.Sprintf("state at %d", first) {
		t.Fatalf("newest snapshot damaged: %+v, %q, %v", res, payload, err)
	}
	sameRecords(t, g, records, first+1, 400)
	_ = newest
	// A gap neither region fills: with the newest snapshot damaged, the
	// chain from the older one needs records 101-200.
	for _, s := range []*MemStore{a, b} {
		for _, name := range list(s, KindSegment) {
			if n, _ := ParseName(name); n.First <= 150 && n.Last >= 150 {
				s.Delete(ctx, name)
			}
		}
	}
	var gap *GapError
	if _, _, _, err := restored(t, Target{}, src...); !errors.As(err, &gap) || gap.From != first+1 {
		t.Fatalf("gap: %v", err)
	}
	// The wrong master key.
	dir := t.TempDir()
	_, err = Restore(ctx, RestoreConfig{Sources: src, MasterKey: bytes.Repeat([]byte{1}, 32), Target: Target{Index: first},
		LogDir: filepath.Join(dir, "log"), SnapshotDir: filepath.Join(dir, "snapshots")})
	if !errors.Is(err, ErrWrongKey) {
		t.Fatalf("wrong key: %v", err)
	}
}

// corrupt flips a byte in the middle of a stored file.
func corrupt(t *testing.T, s *MemStore, name string) {
	t.Helper()
	ctx := context.Background()
	rc, err := s.Get(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(rc)
	rc.Close()
	data[len(data)/2] ^= 0xff
	if err := s.Put(ctx, name, bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatal(err)
	}
}

// TestShipperConsolidatesAndExpires: runs of small files are replaced by
// one (the small ones deleted after the grace period), and files older
// than the retention go, except what a point-in-time restore within it
// needs. A restore works at every stage.
func TestShipperConsolidatesAndExpires(t *testing.T) {
	g := newGatewayDirs(t)
	c := &clock{t: time.Now()}
	store := NewMemStore()
	sh := newShipper(g, store, "a", c, func(cfg *ShipperConfig) {
		cfg.Consolidate, cfg.Grace, cfg.Retention = 4, time.Hour, 24*time.Hour
	})
	g.append(t, 10)
	g.snapshot(t)
	for range 6 { // six small files after the snapshot
		g.append(t, 5)
		step(t, sh)
	}
	countSegs := func() int {
		files, _ := store.List(context.Background(), GatewaysPrefix)
		n := 0
		for _, f := range files {
			if strings.HasSuffix(f.Name, ".seg") {
				n++
			}
		}
		return n
	}
	if n := countSegs(); n != 7 { // six small, one consolidated
		t.Fatalf("%d segment files after consolidation, want 7", n)
	}
	if _, records, _, err := restored(t, Target{}, Source{"a", store}); err != nil || len(records) != 30 {
		t.Fatalf("restore with small and consolidated files: %d records, %v", len(records), err)
	}
	c.t = c.t.Add(2 * time.Hour) // past the grace: the replaced small files go
	step(t, sh)
	if n := countSegs(); n >= 7 {
		t.Fatalf("%d segment files after the grace period", n)
	}
	if _, records, _, err := restored(t, Target{}, Source{"a", store}); err != nil || len(records) != 30 {
		t.Fatalf("restore after the small files went: %d records, %v", len(records), err)
	}
	// Two days later, with a newer snapshot: the old snapshot and the
	// segments before the newer one are past retention and go; the newest
	// state still restores.
	c.t = c.t.Add(48 * time.Hour)
	g.append(t, 5)
	newer := g.snapshot(t)
	step(t, sh)
	files, _ := store.List(context.Background(), GatewaysPrefix)
	for _, f := range files {
		n, err := ParseName(f.Name)
		if err == nil && (n.Kind == KindSnapshot && n.First != newer || n.Kind == KindSegment && n.Last < newer) {
			t.Fatalf("%s is past retention and still there", f.Name)
		}
	}
	if res, _, payload, err := restored(t, Target{}, Source{"a", store}); err != nil || res.Last != newer || payload != fmt.Sprintf("state at %d", newer) {
		t.Fatalf("restore after expiry: %+v, %q, %v", res, payload, err)
	}
}

// TestShipperLease: a second gateway cannot ship to a system area another
// live gateway holds; the same gateway restored takes it back at once.
func TestShipperLease(t *testing.T) {
	g := newGatewayDirs(t)
	c := &clock{t: time.Now()}
	store := NewMemStore()
	g.append(t, 3)
	step(t, newShipper(g, store, "a", c, nil))
	other := newShipper(g, store, "a", c, func(cfg *ShipperConfig) { cfg.Gateway = "gateway-two" })
	if err := other.Step(context.Background()); !errors.Is(err, ErrLeaseHeld) {
		t.Fatalf("another gateway: %v", err)
	}
	again := newShipper(g, store, "a", c, func(cfg *ShipperConfig) { cfg.Instance = "restored" })
	step(t, again)
	if st := again.Status(); st.Shipped != 3 {
		t.Fatalf("restored gateway continues at %+v", st)
	}
	// Released at a clean shutdown, the area is free for another gateway.
	if err := again.Release(context.Background()); err != nil {
		t.Fatal(err)
	}
	step(t, other)
}
