package replica

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Kind is the kind of a shipped file, the same in its name and in its
// sealed header.
type Kind uint8

// The kinds of files in a system area. The numbers are written in sealed
// headers (see doc.go): never renumber them.
const (
	KindSnapshot Kind = 1 // a projection snapshot at a log index
	KindSegment  Kind = 2 // a run of log records
	KindOrigin   Kind = 3 // where a timeline forked from its parent
	KindLease    Kind = 4 // the system area's lease (plain, not sealed)
)

func (k Kind) String() string {
	switch k {
	case KindSnapshot:
		return "snapshot"
	case KindSegment:
		return "segment"
	case KindOrigin:
		return "origin"
	case KindLease:
		return "lease"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Names of the system area. Every file of a gateway is under
// GatewaysPrefix + <gateway> + "/t" + <timeline> + "/".
const (
	GatewaysPrefix = "gateways/"
	LeaseName      = "lease"
	originFile     = "origin"
	snapDir        = "snap"
	logDir         = "log"
	snapSuffix     = ".snap"
	segSuffix      = ".seg"
	digits         = 20 // %020d: every uint64 fits
)

// Name is a parsed file name. First == Last == the index for a snapshot;
// Time is the time of the event at Last (snapshots and segments only).
// A lease has only its Kind.
type Name struct {
	Kind     Kind
	Gateway  string
	Timeline uint64
	First    uint64
	Last     uint64
	Time     time.Time
}

// SnapshotName is the name of the snapshot at index, whose event at index
// happened at t.
func SnapshotName(gateway string, timeline, index uint64, t time.Time) string {
	return Name{Kind: KindSnapshot, Gateway: gateway, Timeline: timeline, First: index, Last: index, Time: t}.String()
}

// SegmentName is the name of the segment holding the records first..last,
// the last of which happened at t.
func SegmentName(gateway string, timeline, first, last uint64, t time.Time) string {
	return Name{Kind: KindSegment, Gateway: gateway, Timeline: timeline, First: first, Last: last, Time: t}.String()
}

// OriginName is the name of the origin file of a timeline (2 or more).
func OriginName(gateway string, timeline uint64) string {
	return Name{Kind: KindOrigin, Gateway: gateway, Timeline: timeline}.String()
}

// GatewayPrefix is the prefix of every file of a gateway.
func GatewayPrefix(gateway string) string {
	return GatewaysPrefix + gateway + "/"
}

// TimelinePrefix is the prefix of every file of a gateway's timeline.
func TimelinePrefix(gateway string, timeline uint64) string {
	return GatewayPrefix(gateway) + "t" + strconv.FormatUint(timeline, 10) + "/"
}

// String formats n as a file name. It assumes a valid n (as ParseName
// returns): a gateway id that passes CheckGateway, a timeline of 1 or
// more, 1 <= First <= Last, a Time from 1970 to 2262. Other values format
// to names ParseName refuses.
func (n Name) String() string {
	ns := n.Time.UnixNano()
	switch n.Kind {
	case KindSnapshot:
		return fmt.Sprintf("%s%s/%0*d-%0*d%s", TimelinePrefix(n.Gateway, n.Timeline), snapDir, digits, n.First, digits, ns, snapSuffix)
	case KindSegment:
		return fmt.Sprintf("%s%s/%0*d-%0*d-%0*d%s", TimelinePrefix(n.Gateway, n.Timeline), logDir, digits, n.First, digits, n.Last, digits, ns, segSuffix)
	case KindOrigin:
		return TimelinePrefix(n.Gateway, n.Timeline) + originFile
	case KindLease:
		return LeaseName
	}
	return ""
}

// CheckGateway returns an error wrapping ErrInvalidName unless id is a
// gateway id: 8 to 64 bytes of [a-z0-9-].
func CheckGateway(id string) error {
	if len(id) < 8 || len(id) > 64 {
		return fmt.Errorf("gateway id %q: length %d not in [8, 64]: %w", id, len(id), ErrInvalidName)
	}
	for i := range len(id) {
		if c := id[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return fmt.Errorf("gateway id %q: byte %q outside [a-z0-9-]: %w", id, c, ErrInvalidName)
		}
	}
	return nil
}

// ParseName parses a name of the naming scheme (see doc.go). Anything else
// is an error wrapping ErrInvalidName. Whatever it parses, String formats
// back to the same name.
func ParseName(name string) (Name, error) {
	n, ok := parseName(name)
	if !ok {
		return Name{}, fmt.Errorf("file name %q: %w", name, ErrInvalidName)
	}
	return n, nil
}

func parseName(name string) (Name, bool) {
	if name == LeaseName {
		return Name{Kind: KindLease}, true
	}
	parts := strings.Split(name, "/")
	if len(parts) < 4 || parts[0]+"/" != GatewaysPrefix || CheckGateway(parts[1]) != nil {
		return Name{}, false
	}
	timeline, ok := parseTimeline(parts[2])
	if !ok {
		return Name{}, false
	}
	n := Name{Gateway: parts[1], Timeline: timeline}
	switch {
	case len(parts) == 4 && parts[3] == originFile:
		n.Kind = KindOrigin
		return n, true
	case len(parts) == 5 && parts[3] == snapDir:
		file, ok := strings.CutSuffix(parts[4], snapSuffix)
		nums, ok2 := parseNumbers(file, 2)
		if !ok || !ok2 {
			return Name{}, false
		}
		n.Kind, n.First, n.Last = KindSnapshot, nums[0], nums[0]
		return n, n.setTime(nums[1]) && n.First >= 1
	case len(parts) == 5 && parts[3] == logDir:
		file, ok := strings.CutSuffix(parts[4], segSuffix)
		nums, ok2 := parseNumbers(file, 3)
		if !ok || !ok2 {
			return Name{}, false
		}
		n.Kind, n.First, n.Last = KindSegment, nums[0], nums[1]
		return n, n.setTime(nums[2]) && 1 <= n.First && n.First <= n.Last
	}
	return Name{}, false
}

func (n *Name) setTime(ns uint64) bool {
	n.Time = time.Unix(0, int64(ns)).UTC()
	return ns <= math.MaxInt64
}

// parseTimeline parses "t<decimal>" with no leading zero and a value of 1
// or more.
func parseTimeline(s string) (uint64, bool) {
	d, ok := strings.CutPrefix(s, "t")
	if !ok || d == "" || d[0] == '0' || !allDigits(d) {
		return 0, false
	}
	v, err := strconv.ParseUint(d, 10, 64)
	return v, err == nil
}

// parseNumbers parses count '-'-separated numbers of exactly 20 digits.
func parseNumbers(s string, count int) ([]uint64, bool) {
	fields := strings.Split(s, "-")
	if len(fields) != count {
		return nil, false
	}
	nums := make([]uint64, count)
	for i, f := range fields {
		if len(f) != digits || !allDigits(f) {
			return nil, false
		}
		v, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return nil, false
		}
		nums[i] = v
	}
	return nums, true
}

func allDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
