package replica

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"
)

// Target is the state a restore rebuilds. The zero Target is the newest
// state the files hold. Index asks for the state as of that log index;
// Time for the state as of that moment (every event at or before it);
// both ask for the earlier of the two.
type Target struct {
	Index uint64
	Time  time.Time
}

// Step is one file of a plan.
type Step struct {
	// Name is the file's name in the system area.
	Name string
	// Regions list the regions whose listing holds the file, by name:
	// the caller tries them in turn (and may reorder them by latency).
	Regions []string
	// First and Last are the records of the file to apply (both the index
	// for a snapshot). They may be a part of the file's range: records
	// before First are applied already, records after Last belong to a
	// later step or to an abandoned timeline.
	First, Last uint64
}

// Plan is how to rebuild a gateway: restore Snapshot (none: start empty),
// then apply the records [First, Last] of each segment in order; for a
// Target with a Time, stop at the first record whose time is after it.
type Plan struct {
	Gateway string
	// Timeline is the timeline whose state is restored. Its files and,
	// up to where it forked, its ancestors' files make up the plan.
	Timeline uint64
	// NextTimeline is one more than every timeline of the gateway listed:
	// the timeline a restored gateway writes to (with an origin naming
	// Timeline and the last index it applied), so that its records never
	// mix with those of a timeline it abandons.
	NextTimeline uint64
	Snapshot     *Step
	Segments     []Step
	// Last is the last index the plan applies. For a Time target it is
	// the end of the last segment needed; the caller stops earlier at
	// the first record after the Time.
	Last   uint64
	Target Target
}

// Catalog is what the listings of every region tell about one gateway's
// files: the input of a restore plan. It does no I/O.
type Catalog struct {
	gateway string
	files   map[uint64][]*catalogFile // by timeline
	origins map[uint64]*catalogFile   // origin files, by timeline
	newest  uint64                    // the highest timeline listed
}

type catalogFile struct {
	Name
	name    string
	regions []string
}

// NewCatalog gathers the gateway's files from the listings of every
// reachable region (region → files, names relative to the store root).
// Files of any region count: the same name holds the same bytes
// everywhere. Names outside the naming scheme, and the lease, are
// ignored. gateway "" means the gateway of the newest snapshot or segment
// listed (by the time in its name). It returns ErrNotFound when no file
// of the gateway is listed.
func NewCatalog(listings map[string][]FileInfo, gateway string) (*Catalog, error) {
	if gateway != "" {
		if err := CheckGateway(gateway); err != nil {
			return nil, err
		}
	}
	byName := map[string]*catalogFile{}
	var newest *catalogFile
	for _, region := range slices.Sorted(maps.Keys(listings)) {
		for _, fi := range listings[region] {
			n, err := ParseName(fi.Name)
			if err != nil || n.Kind == KindLease {
				continue
			}
			f := byName[fi.Name]
			if f == nil {
				f = &catalogFile{Name: n, name: fi.Name}
				byName[fi.Name] = f
			}
			if !slices.Contains(f.regions, region) {
				f.regions = append(f.regions, region)
			}
			if n.Kind != KindOrigin && (newest == nil || n.Time.After(newest.Time) ||
				n.Time.Equal(newest.Time) && n.Gateway > newest.Gateway) {
				newest = f
			}
		}
	}
	if gateway == "" && newest != nil {
		gateway = newest.Gateway
	}
	c := &Catalog{gateway: gateway, files: map[uint64][]*catalogFile{}, origins: map[uint64]*catalogFile{}}
	for _, name := range slices.Sorted(maps.Keys(byName)) {
		f := byName[name]
		if f.Gateway != gateway {
			continue
		}
		if f.Kind == KindOrigin {
			c.origins[f.Timeline] = f
		} else {
			c.files[f.Timeline] = append(c.files[f.Timeline], f)
		}
		c.newest = max(c.newest, f.Timeline)
	}
	if c.newest == 0 {
		if gateway == "" {
			return nil, fmt.Errorf("no gateway's files listed: %w", ErrNotFound)
		}
		return nil, fmt.Errorf("no file of gateway %s listed: %w", gateway, ErrNotFound)
	}
	return c, nil
}

// Gateway is the gateway the catalog is of.
func (c *Catalog) Gateway() string { return c.gateway }

// OriginFiles are the origin files listed, by timeline: the caller reads
// them (GetOrigin) and hands them to Plan.
func (c *Catalog) OriginFiles() []Step {
	var steps []Step
	for _, t := range slices.Sorted(maps.Keys(c.origins)) {
		if t >= 2 {
			steps = append(steps, Step{Name: c.origins[t].name, Regions: c.origins[t].regions})
		}
	}
	return steps
}

// Plan plans the restore of target (see Target). origins holds the origin
// of every timeline from 2 on that the catalog lists (see OriginFiles),
// by timeline. exclude names files found corrupt on every region that
// holds them: the plan does without them (an older snapshot and more
// segments); an excluded origin file excludes its whole timeline.
//
// The timeline restored is the newest one, or, for a Time target, the one
// that was live at that time: the newest whose origin's ForkTime is at or
// before it. Its files count, and so do its ancestors' up to the index
// where each was forked from. The plan starts at the newest snapshot
// whose index and time are at or before the target (or at index 1 with
// no snapshot) from which a contiguous chain of segments reaches the
// target; the chain takes, at each index, the segment holding it that
// reaches farthest. For the newest state, the chain must reach the
// highest index listed.
//
// Errors: a *GapError naming the first index range no file holds; a
// *TooOldError naming the oldest snapshot when the target is older than
// every restorable point; an error wrapping ErrNotFound naming an origin
// missing from origins (read it, or exclude it).
func (c *Catalog) Plan(target Target, origins map[uint64]Origin, exclude map[string]bool) (Plan, error) {
	timelines, err := c.timelines(origins, exclude)
	if err != nil {
		return Plan{}, err
	}
	live := c.live(timelines, origins, target)
	snaps, segs := c.usable(live, timelines, origins, exclude)
	plan := Plan{Gateway: c.gateway, Timeline: live, NextTimeline: c.newest + 1, Target: target}
	end := target.Index
	if end == 0 {
		for _, f := range append(snaps, segs...) {
			end = max(end, f.Last)
		}
	}
	// The newest snapshot at or before the target. An older one would not
	// help if its chain fails: every chain passes the same indexes.
	start := uint64(1)
	for _, snap := range snaps {
		if snap.First <= end && (target.Time.IsZero() || !snap.Time.After(target.Time)) {
			plan.Snapshot = &Step{Name: snap.name, Regions: snap.regions, First: snap.First, Last: snap.First}
			plan.Last, start = snap.First, snap.First+1
			break
		}
	}
	steps, err := chain(segs, start, end, target.Time)
	if gap, ok := err.(*GapError); ok && gap.From == 1 && len(snaps) > 0 {
		oldest := snaps[len(snaps)-1]
		return Plan{}, &TooOldError{Index: oldest.First, Time: oldest.Time}
	}
	if err != nil {
		return Plan{}, err
	}
	plan.Segments = steps
	if len(steps) > 0 {
		plan.Last = steps[len(steps)-1].Last
	}
	return plan, nil
}

// timelines returns the timelines listed that are not excluded, after
// checking that origins holds the origin of each from 2 on.
func (c *Catalog) timelines(origins map[uint64]Origin, exclude map[string]bool) ([]uint64, error) {
	var out []uint64
	for t := uint64(1); t <= c.newest; t++ {
		if len(c.files[t]) == 0 && c.origins[t] == nil || exclude[OriginName(c.gateway, t)] {
			continue
		}
		if t >= 2 {
			o, ok := origins[t]
			if !ok {
				return nil, fmt.Errorf("timeline %d of gateway %s: origin %s not given (read it, or exclude it to leave the timeline out): %w",
					t, c.gateway, OriginName(c.gateway, t), ErrNotFound)
			}
			if o.Gateway != c.gateway || o.Timeline != t || o.Check() != nil {
				return nil, fmt.Errorf("timeline %d of gateway %s: the origin given is of timeline %d of %s, parent %d", t, c.gateway, o.Timeline, o.Gateway, o.Parent)
			}
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("every timeline of gateway %s is excluded: %w", c.gateway, ErrNotFound)
	}
	return out, nil
}

// live is the timeline to restore: the newest, or for a Time target the
// newest that had started by then (the oldest if none had).
func (c *Catalog) live(timelines []uint64, origins map[uint64]Origin, target Target) uint64 {
	live := timelines[0]
	for _, t := range timelines {
		if target.Time.IsZero() || t == 1 || !origins[t].ForkTime.After(target.Time) {
			live = t
		}
	}
	return live
}

// usable returns the snapshots (newest first) and segments (by first
// index) of the live timeline and its ancestors, each ancestor's cut at
// the index its descendant forked at: a segment's Last is lowered to it
// and its Time then no longer says when its last record happened (zero).
func (c *Catalog) usable(live uint64, timelines []uint64, origins map[uint64]Origin, exclude map[string]bool) (snaps, segs []*catalogFile) {
	bound := uint64(math.MaxUint64)
	for t := live; ; {
		for _, f := range c.files[t] {
			if exclude[f.name] || f.First > bound {
				continue
			}
			if f.Kind == KindSnapshot {
				snaps = append(snaps, f)
				continue
			}
			if f.Last > bound {
				cut := *f
				cut.Last, cut.Time = bound, time.Time{}
				f = &cut
			}
			segs = append(segs, f)
		}
		o, ok := origins[t]
		if t == 1 || !ok || !slices.Contains(timelines, o.Parent) {
			break
		}
		t, bound = o.Parent, min(bound, o.ForkIndex)
	}
	slices.SortStableFunc(snaps, func(a, b *catalogFile) int {
		return cmp.Or(cmp.Compare(b.First, a.First), cmp.Compare(b.Timeline, a.Timeline))
	})
	slices.SortStableFunc(segs, func(a, b *catalogFile) int {
		return cmp.Or(cmp.Compare(a.First, b.First), cmp.Compare(a.Timeline, b.Timeline), strings.Compare(a.name, b.name))
	})
	return snaps, segs
}

// chain covers the indexes [pos, end] with segments (sorted by first
// index), taking at each index the segment that holds it and reaches
// farthest. With a time, it stops after the first segment whose last
// record happened after it. It returns a *GapError for the first index
// range no segment holds.
func chain(segs []*catalogFile, pos, end uint64, until time.Time) ([]Step, error) {
	var steps []Step
	var best *catalogFile
	i := 0
	for pos <= end && pos != 0 { // pos wraps to 0 past the largest index
		for ; i < len(segs) && segs[i].First <= pos; i++ {
			if best == nil || segs[i].Last >= best.Last {
				best = segs[i]
			}
		}
		if best == nil || best.Last < pos {
			to := end
			if i < len(segs) {
				to = min(to, segs[i].First-1)
			}
			return nil, &GapError{From: pos, To: to}
		}
		last := min(best.Last, end)
		steps = append(steps, Step{Name: best.name, Regions: best.regions, First: pos, Last: last})
		if !until.IsZero() && best.Time.After(until) {
			break
		}
		pos = last + 1
	}
	return steps, nil
}
