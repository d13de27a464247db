package replica

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	plog "github.com/prismd/prismd/log"
)

// ShipperConfig configures the shipping of one gateway's log to one
// region's system area. Zero durations and sizes take the defaults.
type ShipperConfig struct {
	Region    string    // the region's name, for status and errors
	Store     Store     // the region's system area
	Log       *plog.Log // the gateway's log: records are read with ReadRaw
	Snapshots string    // the directory of the gateway's local snapshots (log.WriteSnapshot)
	MasterKey []byte    // seals every file
	Gateway   string    // the gateway id (CheckGateway)
	Instance  string    // this process, in the lease
	Timeline  uint64    // the timeline written to (1 for a gateway never restored)
	// Origin is the origin of Timeline when it is 2 or more (a restored
	// gateway): it is put before any other file of the timeline.
	Origin *Origin
	// Retention is how much history stays on the region for
	// point-in-time restores: the newest snapshot older than it, and
	// everything after it. Default 168h.
	Retention time.Duration
	// Grace is how long a file replaced by a consolidated one, or past
	// retention, stays before it is deleted, so that a restore reading it
	// finishes. Default 1h.
	Grace time.Duration
	// LeaseTTL is the lease's time to live; it is renewed every third of
	// it. Default 1 min.
	LeaseTTL time.Duration
	// MaxSegment is the most plaintext bytes a segment file holds. Default 16 MiB.
	MaxSegment int64
	// Consolidate: once this many small segment files follow each other,
	// one file replaces them. Default 64.
	Consolidate int
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// ShipStatus is what a shipper has put on its region.
type ShipStatus struct {
	Region string
	// Shipped: every record up to this index is on the region (0: none yet).
	Shipped uint64
	// Snapshot is the index of the newest snapshot on the region (0: none).
	Snapshot uint64
	// LastSuccess is when a pass last ended without error.
	LastSuccess time.Time
	// Err is the last pass's failure (nil after a success).
	Err error
}

// Shipper ships one gateway's log and snapshots to one region, one pass
// (Step) at a time: the engine calls Step every ship interval. A pass
// renews the lease, puts a snapshot when the region needs one (it has
// none yet, or the log no longer holds the records after its newest, or
// a newer local snapshot exists), puts the records the region lacks as
// segment files of at most MaxSegment bytes, replaces runs of small
// segment files with one, and deletes what retention no longer needs.
// Files are only ever added to the chain before the files they replace
// are deleted, so a restore always finds a contiguous chain.
type Shipper struct {
	cfg ShipperConfig

	mu     sync.Mutex
	status ShipStatus

	lease    *Lease
	loaded   bool
	snaps    []Name // the timeline's snapshots on the region, by index
	segs     []Name // the timeline's segments on the region, by first then last
	modTimes map[string]time.Time
	sizes    map[string]int64 // stored (sealed) sizes
}

// NewShipper returns a shipper; nothing is contacted before Step.
func NewShipper(cfg ShipperConfig) *Shipper {
	if cfg.Retention <= 0 {
		cfg.Retention = 168 * time.Hour
	}
	if cfg.Grace <= 0 {
		cfg.Grace = time.Hour
	}
	if cfg.LeaseTTL <= 0 {
		cfg.LeaseTTL = time.Minute
	}
	if cfg.MaxSegment <= 0 {
		cfg.MaxSegment = 16 << 20
	}
	if cfg.Consolidate <= 0 {
		cfg.Consolidate = 64
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Shipper{cfg: cfg, status: ShipStatus{Region: cfg.Region}}
}

// Status returns what the shipper knows the region holds.
func (s *Shipper) Status() ShipStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status
}

func (s *Shipper) setStatus(f func(st *ShipStatus)) {
	s.mu.Lock()
	f(&s.status)
	s.mu.Unlock()
}

// Step makes one pass. A *LeaseHeldError means another gateway writes to
// this region's system area: nothing was written.
func (s *Shipper) Step(ctx context.Context) error {
	err := s.step(ctx)
	s.setStatus(func(st *ShipStatus) {
		st.Err = err
		if err == nil {
			st.LastSuccess = s.cfg.Now()
		}
	})
	if err != nil {
		return fmt.Errorf("ship to %s: %w", s.cfg.Region, err)
	}
	return nil
}

func (s *Shipper) step(ctx context.Context) error {
	if err := s.holdLease(ctx, false); err != nil {
		return err
	}
	if !s.loaded {
		if err := s.load(ctx); err != nil {
			return err
		}
	}
	if err := s.shipRecords(ctx); err != nil {
		return err
	}
	if err := s.shipSnapshot(ctx); err != nil {
		return err
	}
	if err := s.consolidate(ctx); err != nil {
		return err
	}
	return s.expire(ctx)
}

// holdLease takes the lease, or renews it when a third of its life is
// gone (or at once when force is set).
func (s *Shipper) holdLease(ctx context.Context, force bool) error {
	now := s.cfg.Now()
	if s.lease != nil && !force && now.Before(s.lease.Renewed.Add(s.cfg.LeaseTTL/3)) {
		return nil
	}
	var l Lease
	var err error
	if s.lease == nil {
		l, err = Acquire(ctx, s.cfg.Store, s.cfg.Gateway, s.cfg.Instance, s.cfg.LeaseTTL, now)
	} else {
		l, err = Renew(ctx, s.cfg.Store, *s.lease, s.cfg.LeaseTTL, now)
	}
	if err != nil {
		s.lease = nil
		return err
	}
	s.lease = &l
	return nil
}

// load reads what the region holds of the timeline, and puts the
// timeline's origin if it is not there yet.
func (s *Shipper) load(ctx context.Context) error {
	prefix := TimelinePrefix(s.cfg.Gateway, s.cfg.Timeline)
	files, err := s.cfg.Store.List(ctx, prefix)
	if err != nil {
		return fmt.Errorf("list %s: %w", prefix, err)
	}
	s.snaps, s.segs, s.modTimes, s.sizes = nil, nil, map[string]time.Time{}, map[string]int64{}
	hasOrigin := false
	for _, fi := range files {
		n, err := ParseName(fi.Name)
		if err != nil {
			continue
		}
		s.modTimes[fi.Name], s.sizes[fi.Name] = fi.ModTime, fi.Size
		switch n.Kind {
		case KindSnapshot:
			s.snaps = append(s.snaps, n)
		case KindSegment:
			s.segs = append(s.segs, n)
		case KindOrigin:
			hasOrigin = true
		}
	}
	s.sortFiles()
	if s.cfg.Timeline >= 2 && !hasOrigin {
		if s.cfg.Origin == nil {
			return fmt.Errorf("timeline %d has no origin to put", s.cfg.Timeline)
		}
		if err := PutOrigin(ctx, s.cfg.Store, s.cfg.MasterKey, *s.cfg.Origin); err != nil {
			return err
		}
	}
	s.loaded = true
	s.refreshStatus()
	return nil
}

func (s *Shipper) sortFiles() {
	slices.SortFunc(s.snaps, func(a, b Name) int { return compareUint(a.First, b.First) })
	slices.SortFunc(s.segs, func(a, b Name) int {
		if c := compareUint(a.First, b.First); c != 0 {
			return c
		}
		return compareUint(a.Last, b.Last)
	})
}

func compareUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// start is where a chain of the region starts: the index of a snapshot
// on it, else the timeline's fork index, else 0.
func (s *Shipper) start(newest bool) uint64 {
	if len(s.snaps) > 0 {
		if newest {
			return s.snaps[len(s.snaps)-1].First
		}
		return s.snaps[0].First
	}
	if s.cfg.Timeline >= 2 && s.cfg.Origin != nil {
		return s.cfg.Origin.ForkIndex
	}
	return 0
}

// reach returns the end of the region's contiguous chain of segments from pos.
func (s *Shipper) reach(pos uint64) uint64 {
	for _, n := range s.segs {
		if n.First <= pos+1 && n.Last > pos {
			pos = n.Last
		}
	}
	return pos
}

// shipped is how far the region's newest state reaches: the chain from its
// newest snapshot (or from its oldest, when that chain reaches farther).
func (s *Shipper) shipped() uint64 {
	return max(s.reach(s.start(true)), s.reach(s.start(false)))
}

func (s *Shipper) refreshStatus() {
	shipped, snap := s.shipped(), uint64(0)
	if len(s.snaps) > 0 {
		snap = s.start(true)
	}
	s.setStatus(func(st *ShipStatus) { st.Shipped, st.Snapshot = shipped, snap })
}

// shipSnapshot puts the newest local snapshot when it is newer than the
// region's newest (the engine truncates the log only below a snapshot
// every region holds).
func (s *Shipper) shipSnapshot(ctx context.Context) error {
	indexes, err := plog.Snapshots(s.cfg.Snapshots)
	if err != nil || len(indexes) == 0 {
		return err
	}
	newest := indexes[0]
	if newest <= s.start(true) || (s.cfg.Timeline >= 2 && s.cfg.Origin != nil && newest < s.cfg.Origin.ForkIndex) {
		return nil
	}
	path := filepath.Join(s.cfg.Snapshots, plog.SnapshotName(newest))
	size, unixNano, err := snapshotFile(path)
	if err != nil {
		return err
	}
	name := SnapshotName(s.cfg.Gateway, s.cfg.Timeline, newest, time.Unix(0, unixNano))
	err = PutSealed(ctx, s.cfg.Store, name, s.cfg.MasterKey, size, func(w io.Writer) error {
		return copyFile(w, path)
	})
	if err != nil {
		return err
	}
	s.added(name, size)
	return nil
}

// next is the first record the region lacks: after its oldest chain (so
// that every record the log still holds is kept for point-in-time
// restores), else after its newest one.
func (s *Shipper) next() uint64 {
	oldest := s.reach(s.start(false)) + 1
	if first := s.cfg.Log.FirstIndex(); first != 0 && oldest >= first {
		return oldest
	}
	return s.reach(s.start(true)) + 1
}

// shipRecords puts the records the region lacks, in files of at most
// MaxSegment bytes. When the log no longer holds the first of them (a new
// region, or one that was down long), the newest local snapshot goes
// first.
func (s *Shipper) shipRecords(ctx context.Context) error {
	for {
		from, last := s.next(), s.cfg.Log.LastIndex()
		if from > last {
			return nil
		}
		if first := s.cfg.Log.FirstIndex(); first == 0 || from < first {
			before := s.start(true)
			if err := s.shipSnapshot(ctx); err != nil {
				return err
			}
			if s.start(true) == before {
				return fmt.Errorf("records %d.. are no longer in the log (it starts at %d) and no newer snapshot can replace them", from, first)
			}
			continue
		}
		to, size, unixNano, err := s.measure(from, last)
		if err != nil {
			return err
		}
		name := SegmentName(s.cfg.Gateway, s.cfg.Timeline, from, to, time.Unix(0, unixNano))
		if err := s.putSegment(ctx, name, from, to, size); err != nil {
			return err
		}
		s.added(name, size)
	}
}

// measure returns the last index of a segment starting at from (at most
// last, within MaxSegment bytes), its plaintext size and the time of its
// last record.
func (s *Shipper) measure(from, last uint64) (to uint64, size int64, unixNano int64, err error) {
	size = int64(SegmentOverhead)
	errFull := errors.New("full")
	err = s.cfg.Log.ReadRaw(from, last, func(index uint64, data []byte) error {
		n := SegmentRecordSize(len(data))
		if to >= from && size+n > s.cfg.MaxSegment {
			return errFull
		}
		_, t, derr := plog.Decode(data)
		if derr != nil {
			return derr
		}
		size += n
		to, unixNano = index, t
		return nil
	})
	if errors.Is(err, errFull) {
		err = nil
	}
	return to, size, unixNano, err
}

func (s *Shipper) putSegment(ctx context.Context, name string, from, to uint64, size int64) error {
	return PutSealed(ctx, s.cfg.Store, name, s.cfg.MasterKey, size, func(w io.Writer) error {
		sw := NewSegmentWriter(w, from, to)
		if err := s.cfg.Log.ReadRaw(from, to, sw.Add); err != nil {
			return err
		}
		return sw.Close()
	})
}

// consolidate replaces a run of Consolidate or more small segment files
// (under a quarter of MaxSegment each, together at most MaxSegment) of the
// region's chain with one file, while the log still holds their records;
// the small files are deleted once the consolidated one is older than
// Grace.
func (s *Shipper) consolidate(ctx context.Context) error {
	first := s.cfg.Log.FirstIndex()
	small := s.cfg.MaxSegment / 4
	var run []Name
	var size int64
	for _, n := range s.chain(s.start(false)) {
		fileSize := s.sizes[n.String()]
		if first == 0 || n.First < first || fileSize >= small || size+fileSize > s.cfg.MaxSegment {
			if len(run) >= s.cfg.Consolidate {
				break
			}
			run, size = nil, 0
			if first == 0 || n.First < first || fileSize >= small {
				continue
			}
		}
		run = append(run, n)
		size += fileSize
	}
	if len(run) >= s.cfg.Consolidate {
		from, to := run[0].First, run[len(run)-1].Last
		_, total, unixNano, err := s.measure(from, to)
		if err != nil {
			return err
		}
		name := SegmentName(s.cfg.Gateway, s.cfg.Timeline, from, to, time.Unix(0, unixNano))
		if err := s.putSegment(ctx, name, from, to, total); err != nil {
			return err
		}
		s.added(name, total)
	}
	return s.deleteReplaced(ctx)
}

// chain returns the segments of the region's chain from pos, in order.
func (s *Shipper) chain(pos uint64) []Name {
	var out []Name
	for {
		var best *Name
		for i := range s.segs {
			n := &s.segs[i]
			if n.First <= pos+1 && n.Last > pos && (best == nil || n.Last > best.Last) {
				best = n
			}
		}
		if best == nil {
			return out
		}
		out = append(out, *best)
		pos = best.Last
	}
}

// deleteReplaced deletes segment files that another file on the region
// holds entirely and that were replaced more than Grace ago.
func (s *Shipper) deleteReplaced(ctx context.Context) error {
	now := s.cfg.Now()
	var doomed []string
	for _, n := range s.segs {
		for _, o := range s.segs {
			if o == n || o.First > n.First || o.Last < n.Last || (o.First == n.First && o.Last == n.Last) {
				continue
			}
			if now.Sub(s.modTimes[o.String()]) >= s.cfg.Grace {
				doomed = append(doomed, n.String())
			}
			break
		}
	}
	return s.delete(ctx, doomed)
}

// expire deletes what retention no longer needs: the snapshots before the
// newest one older than Retention, and the segments that end before it,
// once they are older than Retention and Grace.
func (s *Shipper) expire(ctx context.Context) error {
	now := s.cfg.Now()
	keepFrom := -1
	for i, n := range s.snaps {
		if now.Sub(n.Time) >= s.cfg.Retention {
			keepFrom = i
		}
	}
	if keepFrom <= 0 {
		return nil
	}
	oldest := s.snaps[keepFrom].First
	var doomed []string
	old := func(n Name) bool { return now.Sub(s.modTimes[n.String()]) >= s.cfg.Retention+s.cfg.Grace }
	for _, n := range s.snaps[:keepFrom] {
		if old(n) {
			doomed = append(doomed, n.String())
		}
	}
	for _, n := range s.segs {
		if n.Last < oldest && old(n) {
			doomed = append(doomed, n.String())
		}
	}
	return s.delete(ctx, doomed)
}

// delete deletes names from the region, with the lease renewed right
// before (see Acquire).
func (s *Shipper) delete(ctx context.Context, names []string) error {
	if len(names) == 0 {
		return nil
	}
	if err := s.holdLease(ctx, true); err != nil { // no deletion while another gateway may hold the area
		return err
	}
	if err := s.cfg.Store.Delete(ctx, names...); err != nil {
		return err
	}
	gone := map[string]bool{}
	for _, n := range names {
		gone[n] = true
		delete(s.modTimes, n)
		delete(s.sizes, n)
	}
	keep := func(n Name) bool { return !gone[n.String()] }
	s.snaps = slices.DeleteFunc(s.snaps, func(n Name) bool { return !keep(n) })
	s.segs = slices.DeleteFunc(s.segs, func(n Name) bool { return !keep(n) })
	s.refreshStatus()
	return nil
}

// snapshotFile returns a local snapshot file's size and the time of its
// event (from its header).
func snapshotFile(path string) (size int64, unixNano int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, 0, err
	}
	r, err := plog.NewSnapshotReader(f)
	if err != nil {
		return 0, 0, fmt.Errorf("%s: %w", path, err)
	}
	return fi.Size(), r.Time, nil
}

// copyFile writes the file at path to w.
func copyFile(w io.Writer, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}

// added records a file put on the region (its plaintext size given).
func (s *Shipper) added(name string, size int64) {
	n, _ := ParseName(name)
	if n.Kind == KindSnapshot {
		s.snaps = append(s.snaps, n)
	} else {
		s.segs = append(s.segs, n)
	}
	s.modTimes[name] = s.cfg.Now()
	s.sizes[name] = SealedSize(size)
	s.sortFiles()
	s.refreshStatus()
}

// Lease takes (or renews) the lease of the region's system area: a
// *LeaseHeldError when another live gateway holds it.
func (s *Shipper) Lease(ctx context.Context) error {
	err := s.holdLease(ctx, false)
	if err != nil {
		s.setStatus(func(st *ShipStatus) { st.Err = err })
		return fmt.Errorf("ship to %s: %w", s.cfg.Region, err)
	}
	return nil
}

// Release gives the lease up (a clean shutdown): another gateway may then
// take the region's system area at once.
func (s *Shipper) Release(ctx context.Context) error {
	if s.lease == nil {
		return nil
	}
	err := Release(ctx, s.cfg.Store, *s.lease)
	s.lease = nil
	return err
}
