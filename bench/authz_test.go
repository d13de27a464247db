package bench

import (
	"strings"
	"testing"
)

// TestAuthzInReport: the policy/none ratio is a target of goal 0.97 and a
// section of BENCHMARKS.md; an invalid run misses it.
func TestAuthzInReport(t *testing.T) {
	const name = "GET 4KiB c32 by a non-root key, bucket policy / none, ops/s"
	for _, tc := range []struct {
		policy, none OpStats
		met          bool
	}{
		{OpStats{Count: 980}, OpStats{Count: 1000}, true},
		{OpStats{Count: 960}, OpStats{Count: 1000}, false},
		{OpStats{Count: 1000, Errors: 1}, OpStats{Count: 1000}, false},
	} {
		rep := &Report{Machine: Machine{CPUs: 2}, Authz: &AuthzReport{Policy: authzPolicy("authz-policy"),
			Comparison: comparisonOf(OpGet, 4<<10, 32, tc.policy, tc.none)}}
		rep.Targets = evaluateTargets(rep)
		found := false
		for _, tg := range rep.Targets {
			if tg.Name == name {
				found = true
				if tg.Met != tc.met || tg.Goal != "≥ 0.97" {
					t.Errorf("%+v: target %+v", tc, tg)
				}
			}
		}
		if !found {
			t.Fatalf("no authz target in %+v", rep.Targets)
		}
		var md strings.Builder
		if err := WriteMarkdown(&md, rep, "make bench"); err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{"## What a bucket policy costs a signed GET (issue 13)", `"Principal":{"AWS":["benchuser"]}`, "| " + name + " |"} {
			if !strings.Contains(md.String(), s) {
				t.Errorf("markdown lacks %q", s)
			}
		}
	}
	c, err := StandardConfig{PrismdBin: "prismd", Only: []string{"authz"}}.withDefaults()
	if err != nil || c.needsRegions() || !c.runs("authz") {
		t.Errorf("only authz: %v, needs regions %v", err, c.needsRegions())
	}
}
