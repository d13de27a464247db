package main

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/prismd/prismd/engine"
)

func TestScrubExitStatus(t *testing.T) {
	for _, tc := range []struct {
		name string
		sum  engine.ScrubSummary
		err  error
		want int
	}{
		{"clean", engine.ScrubSummary{Objects: 10, ShardsChecked: 30, Complete: true}, nil, 0},
		{"repaired", engine.ScrubSummary{Missing: 1, Repaired: 1}, nil, 1},
		{"orphans purged", engine.ScrubSummary{OrphansFound: 2, OrphansPurged: 2}, nil, 1},
		{"dry run found", engine.ScrubSummary{Corrupt: 1, DryRun: true}, nil, 1},
		{"unrepairable", engine.ScrubSummary{Missing: 2, Repaired: 1, Unrepairable: 1}, nil, 2},
		{"a listing failed", engine.ScrubSummary{Failed: 1}, nil, 2},
		{"interrupted", engine.ScrubSummary{}, errors.New("interrupted"), 2},
	} {
		if got := scrubExit(tc.sum, tc.err); got != tc.want {
			t.Errorf("%s: exit %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestScrubFlags(t *testing.T) {
	o, err := parseScrubFlags([]string{"--deep", "--bucket", "b", "--prefix", "p/", "--rate", "1.5", "--orphan-grace", "2h", "--dry-run", "--json"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	opts, err := o.request().Options()
	if err != nil {
		t.Fatal(err)
	}
	if !opts.Deep || opts.Bucket != "b" || opts.Prefix != "p/" || opts.Rate != 3<<19 || opts.OrphanGrace != 2*time.Hour || !opts.DryRun || !o.json {
		t.Fatalf("options %+v", opts)
	}
	for _, bad := range [][]string{{"--rate", "-1"}, {"--orphan-grace", "0s"}, {"extra"}, {"--nope"}} {
		if _, err := parseScrubFlags(bad, io.Discard); err == nil || !errors.As(err, new(usageError)) {
			t.Errorf("%v: %v, want a usage error", bad, err)
		}
	}
}

func TestScrubIntervalConfig(t *testing.T) {
	c, err := ParseConfig("scrub_interval = \"1h\"\ndeep_scrub_interval = \"48h\"\n", "/etc/prismd", noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if c.ScrubInterval != time.Hour || c.DeepScrubInterval != 48*time.Hour {
		t.Fatalf("intervals %v %v", c.ScrubInterval, c.DeepScrubInterval)
	}
	if d := DefaultConfig(); d.ScrubInterval != 720*time.Hour || d.DeepScrubInterval != 2160*time.Hour {
		t.Fatalf("defaults %v %v", d.ScrubInterval, d.DeepScrubInterval)
	}
	if _, err := ParseConfig("scrub_interval = \"soon\"\n", "/etc/prismd", noEnv); err == nil || !strings.Contains(err.Error(), "scrub_interval") {
		t.Fatalf("bad scrub_interval: %v", err)
	}
}
