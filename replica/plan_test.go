package replica

import (
	"cmp"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// at is the time of an event in the plan tests: event i of timeline 1
// happens at second i.
func at(sec int64) time.Time { return time.Unix(sec, 0).UTC() }

func snapAt(tl, index uint64, sec int64) string { return SnapshotName(testGW, tl, index, at(sec)) }

func segAt(tl, first, last uint64, sec int64) string {
	return SegmentName(testGW, tl, first, last, at(sec))
}

// seg1 is a segment of timeline 1, whose records happen at their index.
func seg1(first, last uint64) string { return segAt(1, first, last, int64(last)) }

func snap1(index uint64) string { return snapAt(1, index, int64(index)) }

// listings puts every name on region "a" unless prefixed "region:".
func listings(names ...string) map[string][]FileInfo {
	out := map[string][]FileInfo{}
	for _, n := range names {
		region, name, ok := strings.Cut(n, ":")
		if !ok {
			region, name = "a", n
		}
		out[region] = append(out[region], FileInfo{Name: name, Size: 1})
	}
	return out
}

// summary prints a plan compactly: "t1@50" for a snapshot, "t1/51-60" for
// a segment applied whole, "t1/51-70[51-65]" for part of one, then the
// last index.
func summary(p Plan) string {
	var parts []string
	if p.Snapshot != nil {
		n, _ := ParseName(p.Snapshot.Name)
		parts = append(parts, fmt.Sprintf("t%d@%d", n.Timeline, n.First))
	}
	for _, s := range p.Segments {
		n, _ := ParseName(s.Name)
		part := fmt.Sprintf("t%d/%d-%d", n.Timeline, n.First, n.Last)
		if s.First != n.First || s.Last != n.Last {
			part += fmt.Sprintf("[%d-%d]", s.First, s.Last)
		}
		parts = append(parts, part)
	}
	return fmt.Sprintf("%s last %d", strings.Join(parts, " "), p.Last)
}

// fork is timeline 2: restored from timeline 1 at index 65 at second 500.
var fork = Origin{Gateway: testGW, Timeline: 2, Parent: 1, ForkIndex: 65, ForkTime: at(500)}

// twoTimelines: timeline 1 ran to 80; timeline 2 forked from it at 65 and
// went on to 90.
var twoTimelines = []string{
	snap1(50), seg1(51, 60), seg1(61, 70), seg1(71, 80),
	OriginName(testGW, 2), snapAt(2, 65, 65), segAt(2, 66, 70, 510), segAt(2, 71, 90, 600),
}

func TestPlan(t *testing.T) {
	origins := map[uint64]Origin{2: fork}
	for _, tc := range []struct {
		name    string
		files   []string
		target  Target
		exclude []string
		origins map[uint64]Origin
		want    string // summary, or the error
	}{
		{name: "newest from the newest snapshot",
			files: []string{seg1(1, 20), seg1(21, 50), snap1(50), seg1(51, 60), seg1(61, 70)},
			want:  "t1@50 t1/51-60 t1/61-70 last 70"},
		{name: "no snapshot: from index 1",
			files: []string{seg1(1, 10), seg1(11, 20)},
			want:  "t1/1-10 t1/11-20 last 20"},
		{name: "only a snapshot",
			files: []string{snap1(50)},
			want:  "t1@50 last 50"},
		{name: "a snapshot newer than every segment",
			files: []string{seg1(1, 40), snap1(50)},
			want:  "t1@50 last 50"},
		{name: "a consolidated file replaces the small ones",
			files: []string{snap1(50), seg1(51, 55), seg1(56, 60), seg1(51, 60), seg1(61, 62)},
			want:  "t1@50 t1/51-60 t1/61-62 last 62"},
		{name: "overlaps: the segment reaching farthest, entered in its middle",
			files: []string{snap1(50), seg1(41, 70), seg1(56, 60), seg1(61, 80)},
			want:  "t1@50 t1/41-70[51-70] t1/61-80[71-80] last 80"},
		{name: "a gap bridged by another region's files",
			files: []string{snap1(50), seg1(51, 60), seg1(71, 80), "b:" + seg1(61, 70)},
			want:  "t1@50 t1/51-60 t1/61-70 t1/71-80 last 80"},
		{name: "a gap no region bridges",
			files: []string{snap1(50), seg1(51, 60), "b:" + seg1(71, 80)},
			want:  "gap 61-70"},
		{name: "a gap at the start",
			files: []string{seg1(5, 10)},
			want:  "gap 1-4"},
		{name: "a gap after the newest snapshot's chain",
			files: []string{snap1(50), seg1(51, 60), seg1(63, 70)},
			want:  "gap 61-62"},
		{name: "index target between snapshots",
			files:  []string{snap1(50), snap1(60), seg1(51, 60), seg1(61, 70)},
			target: Target{Index: 65},
			want:   "t1@60 t1/61-70[61-65] last 65"},
		{name: "index target at a snapshot",
			files:  []string{snap1(50), snap1(60), seg1(51, 60), seg1(61, 70)},
			target: Target{Index: 60},
			want:   "t1@60 last 60"},
		{name: "index target past the last index",
			files:  []string{snap1(50), seg1(51, 60)},
			target: Target{Index: 70},
			want:   "gap 61-70"},
		{name: "index target before every snapshot",
			files:  []string{snap1(50), snap1(60), seg1(51, 60)},
			target: Target{Index: 40},
			want:   "too old 50"},
		{name: "index target before every snapshot, with the log from 1",
			files:  []string{seg1(1, 45), snap1(50), seg1(46, 60)},
			target: Target{Index: 40},
			want:   "t1/1-45[1-40] last 40"},
		{name: "corrupt newest snapshot: an older one and more segments",
			files:   []string{snap1(50), seg1(51, 60), snap1(60), seg1(61, 70)},
			exclude: []string{snap1(60)},
			want:    "t1@50 t1/51-60 t1/61-70 last 70"},
		{name: "corrupt consolidated segment: the small ones",
			files:   []string{snap1(50), seg1(51, 55), seg1(56, 60), seg1(51, 60)},
			exclude: []string{seg1(51, 60)},
			want:    "t1@50 t1/51-55 t1/56-60 last 60"},
		{name: "corrupt segment nothing replaces",
			files:   []string{snap1(50), seg1(51, 55), seg1(56, 60)},
			exclude: []string{seg1(51, 55)},
			want:    "gap 51-55"},
		{name: "time target between snapshots",
			files:  []string{snap1(50), snap1(60), seg1(51, 60), seg1(61, 70), seg1(71, 80)},
			target: Target{Time: at(65)},
			want:   "t1@60 t1/61-70 last 70"},
		{name: "time target at a segment's end still reads the next",
			files:  []string{snap1(50), seg1(51, 60), seg1(61, 70), seg1(71, 80)},
			target: Target{Time: at(60)},
			want:   "t1@50 t1/51-60 t1/61-70 last 70"},
		{name: "time target after everything",
			files:  []string{snap1(50), seg1(51, 60)},
			target: Target{Time: at(1000)},
			want:   "t1@50 t1/51-60 last 60"},
		{name: "time target before every snapshot",
			files:  []string{snap1(50), seg1(51, 60)},
			target: Target{Time: at(45)},
			want:   "too old 50"},
		{name: "time target before every snapshot, with the log from 1",
			files:  []string{seg1(1, 30), seg1(31, 50), snap1(50), seg1(51, 60)},
			target: Target{Time: at(20)},
			want:   "t1/1-30 last 30"},
		{name: "time and index targets: the earlier",
			files:  []string{snap1(50), seg1(51, 60), seg1(61, 70), seg1(71, 80)},
			target: Target{Index: 75, Time: at(65)},
			want:   "t1@50 t1/51-60 t1/61-70 last 70"},
		{name: "two timelines: the newest",
			files: twoTimelines, origins: origins,
			want: "t2@65 t2/66-70 t2/71-90 last 90"},
		{name: "two timelines: a time before the fork restores the old timeline",
			files: twoTimelines, origins: origins, target: Target{Time: at(75)},
			want: "t1@50 t1/51-60 t1/61-70 t1/71-80 last 80"},
		{name: "two timelines: a time after the fork",
			files: twoTimelines, origins: origins, target: Target{Time: at(505)},
			want: "t2@65 t2/66-70 last 70"},
		{name: "two timelines: an index of the new timeline",
			files: twoTimelines, origins: origins, target: Target{Index: 68},
			want: "t2@65 t2/66-70[66-68] last 68"},
		{name: "two timelines: an index before the fork, from the parent's files",
			files: twoTimelines, origins: origins, target: Target{Index: 60},
			want: "t1@50 t1/51-60 last 60"},
		{name: "two timelines: the parent's files up to the fork, then the child's",
			files: twoTimelines, origins: origins, exclude: []string{snapAt(2, 65, 65)},
			want: "t1@50 t1/51-60 t1/61-70[61-65] t2/66-70 t2/71-90 last 90"},
		{name: "two timelines: a new timeline with nothing shipped but its origin",
			files: []string{snap1(50), seg1(51, 60), seg1(61, 70), seg1(71, 80), OriginName(testGW, 2)}, origins: origins,
			want: "t1@50 t1/51-60 t1/61-70[61-65] last 65"},
		{name: "two timelines: the parent's abandoned records never count",
			files: []string{snap1(50), seg1(51, 80), OriginName(testGW, 2), segAt(2, 66, 70, 510)}, origins: origins,
			want: "t1@50 t1/51-80[51-65] t2/66-70 last 70"},
		{name: "two timelines: an origin not read",
			files: twoTimelines,
			want:  "not found"},
		{name: "two timelines: an excluded origin leaves its timeline out",
			files: twoTimelines, exclude: []string{OriginName(testGW, 2)},
			want: "t1@50 t1/51-60 t1/61-70 t1/71-80 last 80"},
		{name: "three timelines: the newest forked from the first, the second is abandoned",
			files:   append(slices.Clone(twoTimelines), OriginName(testGW, 3), snapAt(3, 55, 55), segAt(3, 56, 95, 950)),
			origins: map[uint64]Origin{2: fork, 3: {Gateway: testGW, Timeline: 3, Parent: 1, ForkIndex: 55, ForkTime: at(900)}},
			want:    "t3@55 t3/56-95 last 95"},
		{name: "three timelines: a time while the second was live",
			files:   append(slices.Clone(twoTimelines), OriginName(testGW, 3), snapAt(3, 55, 55), segAt(3, 56, 95, 950)),
			origins: map[uint64]Origin{2: fork, 3: {Gateway: testGW, Timeline: 3, Parent: 1, ForkIndex: 55, ForkTime: at(900)}},
			target:  Target{Time: at(700)},
			want:    "t2@65 t2/66-70 t2/71-90 last 90"},
		{name: "three timelines: the third's parent files, cut at its fork",
			files:   append(slices.Clone(twoTimelines), OriginName(testGW, 3), segAt(3, 56, 95, 950)),
			origins: map[uint64]Origin{2: fork, 3: {Gateway: testGW, Timeline: 3, Parent: 1, ForkIndex: 55, ForkTime: at(900)}},
			want:    "t1@50 t1/51-60[51-55] t3/56-95 last 95"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cat, err := NewCatalog(listings(tc.files...), testGW)
			if err != nil {
				t.Fatal(err)
			}
			exclude := map[string]bool{}
			for _, e := range tc.exclude {
				exclude[e] = true
			}
			p, err := cat.Plan(tc.target, tc.origins, exclude)
			if got := describe(p, err); got != tc.want {
				t.Errorf("plan = %s, want %s", got, tc.want)
			}
			if err == nil {
				checkPlan(t, p, tc.target)
			}
		})
	}
}

func describe(p Plan, err error) string {
	var gap *GapError
	var old *TooOldError
	switch {
	case errors.As(err, &gap):
		if !errors.Is(err, ErrGap) {
			return "a GapError that is not ErrGap"
		}
		return fmt.Sprintf("gap %d-%d", gap.From, gap.To)
	case errors.As(err, &old):
		if !errors.Is(err, ErrTooOld) || !old.Time.Equal(at(int64(old.Index))) {
			return "a TooOldError that is not ErrTooOld or has a wrong time"
		}
		return fmt.Sprintf("too old %d", old.Index)
	case errors.Is(err, ErrNotFound):
		return "not found"
	case err != nil:
		return err.Error()
	}
	return summary(p)
}

// checkPlan checks the invariants of every plan: a contiguous chain of
// records from the snapshot (or 1) to Last, each step inside its file, no
// snapshot or record past an index target.
func checkPlan(t *testing.T, p Plan, target Target) {
	t.Helper()
	next := uint64(1)
	if p.Snapshot != nil {
		n, err := ParseName(p.Snapshot.Name)
		if err != nil || n.Kind != KindSnapshot || p.Snapshot.First != n.First || p.Snapshot.Last != n.First {
			t.Fatalf("snapshot step %+v", p.Snapshot)
		}
		if !target.Time.IsZero() && n.Time.After(target.Time) {
			t.Fatalf("snapshot %s after the target time", p.Snapshot.Name)
		}
		next = n.First + 1
	}
	for _, s := range p.Segments {
		n, err := ParseName(s.Name)
		if err != nil || n.Kind != KindSegment || s.First != next || s.First > s.Last || s.First < n.First || s.Last > n.Last {
			t.Fatalf("segment step %+v does not follow %d or is not inside its file", s, next-1)
		}
		if len(s.Regions) == 0 {
			t.Fatalf("segment step %+v has no region", s)
		}
		next = s.Last + 1
	}
	if p.Last != next-1 {
		t.Fatalf("plan ends at %d, Last says %d", next-1, p.Last)
	}
	if target.Index != 0 && p.Last > target.Index {
		t.Fatalf("plan goes to %d, past the target %d", p.Last, target.Index)
	}
	if p.NextTimeline <= p.Timeline || p.Gateway == "" {
		t.Fatalf("plan of timeline %d, next %d, gateway %q", p.Timeline, p.NextTimeline, p.Gateway)
	}
}

func TestPlanRegions(t *testing.T) {
	cat, err := NewCatalog(listings("c:"+seg1(1, 10), "a:"+seg1(1, 10), "b:"+seg1(11, 20), "a:"+LeaseName, "a:junk/file"), testGW)
	if err != nil {
		t.Fatal(err)
	}
	p, err := cat.Plan(Target{}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(p.Segments[0].Regions, p.Segments[1].Regions); got != "[a c] [b]" {
		t.Errorf("regions = %s, want [a c] [b]", got)
	}
}

func TestCatalogGateway(t *testing.T) {
	other := "gw-0002b"
	files := listings(seg1(1, 10), SegmentName(other, 1, 1, 5, at(20)), OriginName(other, 2))
	cat, err := NewCatalog(files, "")
	if err != nil || cat.Gateway() != other {
		t.Fatalf(`NewCatalog(""): gateway %v, %v; want %s, the newest file's`, cat, err, other)
	}
	if got := cat.OriginFiles(); len(got) != 1 || got[0].Name != OriginName(other, 2) {
		t.Errorf("OriginFiles = %+v", got)
	}
	cat, err = NewCatalog(files, testGW)
	if err != nil || cat.Gateway() != testGW || len(cat.OriginFiles()) != 0 {
		t.Fatalf("NewCatalog(%s) = %v, %v", testGW, cat, err)
	}
	for _, gw := range []string{"gw-0003c", ""} {
		if _, err := NewCatalog(listings(LeaseName), gw); !errors.Is(err, ErrNotFound) {
			t.Errorf("NewCatalog(%q) with no file: %v, want ErrNotFound", gw, err)
		}
	}
	if _, err := NewCatalog(files, "BAD"); !errors.Is(err, ErrInvalidName) {
		t.Errorf("NewCatalog of a bad gateway id: %v", err)
	}
}

func TestPlanNextTimeline(t *testing.T) {
	cat, err := NewCatalog(listings(twoTimelines...), testGW)
	if err != nil {
		t.Fatal(err)
	}
	// Timeline 2 left out still counts for the next timeline's number.
	p, err := cat.Plan(Target{}, nil, map[string]bool{OriginName(testGW, 2): true})
	if err != nil || p.Timeline != 1 || p.NextTimeline != 3 {
		t.Errorf("plan of timeline %d, next %d, %v; want 1, 3", p.Timeline, p.NextTimeline, err)
	}
}

// TestPlanRandom checks the invariants of plans over random listings, and
// that a plan fails only with a gap, a target too old, or nothing listed.
// checkOracle checks a plan for an index (or the newest) target against
// a plain reading of the rules: from the newest snapshot at or before
// end, every index to end must be held by some segment.
func checkOracle(t *testing.T, names []string, snaps []uint64, covered map[uint64]bool, end uint64, p Plan, err error) {
	t.Helper()
	start := uint64(0)
	for _, s := range snaps {
		if s <= end {
			start = max(start, s)
		}
	}
	missing := uint64(0)
	for i := start + 1; i <= end; i++ {
		if !covered[i] {
			missing = i
			break
		}
	}
	var gap *GapError
	switch {
	case missing == 0 && (err != nil || p.Last != end):
		t.Fatalf("%v to %d: plan %s, %v; want a plan to %d", names, end, summary(p), err, end)
	case missing == 1 && len(snaps) > 0 && !errors.Is(err, ErrTooOld):
		t.Fatalf("%v to %d: %v, want ErrTooOld", names, end, err)
	case missing != 0 && !(missing == 1 && len(snaps) > 0) && (!errors.As(err, &gap) || gap.From != missing):
		t.Fatalf("%v to %d: %v, want a gap from %d", names, end, err, missing)
	}
}

func TestPlanRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 3000 {
		var names []string
		var snaps []uint64
		covered := map[uint64]bool{}
		top := uint64(0)
		for range 1 + r.IntN(12) {
			first := 1 + r.Uint64N(60)
			last := first + r.Uint64N(15)
			region := string(rune('a' + r.IntN(3)))
			if r.IntN(4) == 0 {
				names = append(names, region+":"+snap1(first))
				snaps = append(snaps, first)
				last = first
			} else {
				names = append(names, region+":"+seg1(first, last))
				for i := first; i <= last; i++ {
					covered[i] = true
				}
			}
			top = max(top, last)
		}
		var target Target
		switch r.IntN(3) {
		case 1:
			target.Index = 1 + r.Uint64N(80)
		case 2:
			target.Time = at(int64(r.IntN(80)))
		}
		cat, err := NewCatalog(listings(names...), testGW)
		if err != nil {
			t.Fatal(err)
		}
		p, err := cat.Plan(target, nil, nil)
		if err != nil && !errors.Is(err, ErrGap) && !errors.Is(err, ErrTooOld) {
			t.Fatalf("%v: %v", names, err)
		}
		if err == nil {
			checkPlan(t, p, target)
		}
		if target.Time.IsZero() {
			checkOracle(t, names, snaps, covered, cmp.Or(target.Index, top), p, err)
		}
	}
}
