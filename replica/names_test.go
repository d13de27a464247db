package replica

import (
	"errors"
	"strings"
	"testing"
	"time"
)

const testGW = "gw-0001a"

func TestNamesFormat(t *testing.T) {
	at := time.Unix(1700000000, 123456789)
	for _, tc := range []struct{ got, want string }{
		{SnapshotName(testGW, 1, 42, at), "gateways/gw-0001a/t1/snap/00000000000000000042-01700000000123456789.snap"},
		{SegmentName(testGW, 12, 43, 99, at), "gateways/gw-0001a/t12/log/00000000000000000043-00000000000000000099-01700000000123456789.seg"},
		{OriginName(testGW, 2), "gateways/gw-0001a/t2/origin"},
		{Name{Kind: KindLease}.String(), "lease"},
		{TimelinePrefix(testGW, 3), "gateways/gw-0001a/t3/"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
		if err := CheckName(tc.got); tc.got != "gateways/gw-0001a/t3/" && err != nil {
			t.Errorf("%q is not a store name: %v", tc.got, err)
		}
	}
}

func TestParseName(t *testing.T) {
	at := time.Unix(1700000000, 5).UTC()
	for _, tc := range []struct {
		name string
		want Name
	}{
		{SnapshotName(testGW, 1, 42, at), Name{Kind: KindSnapshot, Gateway: testGW, Timeline: 1, First: 42, Last: 42, Time: at}},
		{SegmentName(testGW, 7, 1, 1, at), Name{Kind: KindSegment, Gateway: testGW, Timeline: 7, First: 1, Last: 1, Time: at}},
		{SegmentName(testGW, 18446744073709551615, 5, 18446744073709551615, time.Unix(0, 0)),
			Name{Kind: KindSegment, Gateway: testGW, Timeline: 18446744073709551615, First: 5, Last: 18446744073709551615, Time: time.Unix(0, 0).UTC()}},
		{OriginName(testGW, 2), Name{Kind: KindOrigin, Gateway: testGW, Timeline: 2}},
		{"lease", Name{Kind: KindLease}},
	} {
		got, err := ParseName(tc.name)
		if err != nil {
			t.Errorf("ParseName(%q): %v", tc.name, err)
			continue
		}
		if got != tc.want {
			t.Errorf("ParseName(%q) = %+v, want %+v", tc.name, got, tc.want)
		}
		if got.String() != tc.name {
			t.Errorf("ParseName(%q).String() = %q", tc.name, got.String())
		}
	}
}

func TestParseNameRefuses(t *testing.T) {
	const (
		d1  = "00000000000000000001"
		d5  = "00000000000000000005"
		d10 = "00000000000000000010"
	)
	snap := "gateways/gw-0001a/t1/snap/"
	seg := "gateways/gw-0001a/t1/log/"
	for _, name := range []string{
		"", "leases", "lease/x", "gateways", "gateways/gw-0001a", "gateways/gw-0001a/t1", "gateways/gw-0001a/t1/",
		"gateways/gw-0001a/t1/unknown", "gateways/gw-0001a/t1/origin/x", "gateway/gw-0001a/t1/origin",
		"gateways/short/t1/origin", "gateways/GW-0001A/t1/origin", "gateways/gw_0001a/t1/origin",
		"gateways/" + strings.Repeat("g", 65) + "/t1/origin",
		"gateways/gw-0001a/t0/origin", "gateways/gw-0001a/t01/origin", "gateways/gw-0001a/t/origin",
		"gateways/gw-0001a/t+1/origin", "gateways/gw-0001a/1/origin", "gateways/gw-0001a/t18446744073709551616/origin",
		snap + d1 + "-" + d1, snap + d1 + "-" + d1 + ".seg", snap + d1 + ".snap", snap + d1 + "-" + d1 + "-" + d1 + ".snap",
		snap + "00000000000000000000-" + d1 + ".snap",                // index 0
		snap + "0000000000000000001-" + d1 + ".snap",                 // 19 digits
		snap + "000000000000000000001-" + d1 + ".snap",               // 21 digits
		snap + "+0000000000000000001-" + d1 + ".snap",                // sign
		snap + "99999999999999999999-" + d1 + ".snap",                // overflows uint64
		snap + d1 + "-09223372036854775808.snap",                     // time overflows int64
		seg + d10 + "-" + d5 + "-" + d1 + ".seg",                     // first > last
		seg + "00000000000000000000-" + d5 + "-" + d1 + ".seg",       // first 0
		seg + d1 + "-" + d5 + ".seg", seg + d1 + "-" + d5 + "-" + d1, // missing parts
		seg + d1 + "-" + d5 + "-" + d1 + ".snap", seg + d1 + "--" + d5 + "-" + d1 + ".seg",
		"gateways/gw-0001a/t1/snap/x/" + d1 + "-" + d1 + ".snap",
	} {
		if n, err := ParseName(name); !errors.Is(err, ErrInvalidName) {
			t.Errorf("ParseName(%q) = %+v, %v; want ErrInvalidName", name, n, err)
		}
	}
}

func TestCheckGateway(t *testing.T) {
	for _, id := range []string{"abcdefgh", "gw-0001a", strings.Repeat("a", 64), "--------"} {
		if err := CheckGateway(id); err != nil {
			t.Errorf("CheckGateway(%q): %v", id, err)
		}
	}
	for _, id := range []string{"", "abcdefg", strings.Repeat("a", 65), "ABCDEFGH", "abcd efgh", "abcd_efgh", "abcd.efgh", "abcdéfgh"} {
		if err := CheckGateway(id); !errors.Is(err, ErrInvalidName) {
			t.Errorf("CheckGateway(%q) = %v, want ErrInvalidName", id, err)
		}
	}
}

func FuzzParseName(f *testing.F) {
	at := time.Unix(1700000000, 1)
	for _, s := range []string{
		SnapshotName(testGW, 1, 42, at), SegmentName(testGW, 3, 1, 9, at), OriginName(testGW, 2), "lease",
		"gateways/gw-0001a/t1/snap/99999999999999999999-00000000000000000001.snap",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		n, err := ParseName(name)
		if err != nil {
			if !errors.Is(err, ErrInvalidName) {
				t.Fatalf("ParseName(%q): %v, not ErrInvalidName", name, err)
			}
			return
		}
		if got := n.String(); got != name {
			t.Fatalf("ParseName(%q).String() = %q", name, got)
		}
		if err := CheckName(name); err != nil {
			t.Fatalf("parsed name %q is not a store name: %v", name, err)
		}
	})
}
