package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/prismd/prismd/engine"
)

// scrubDisplay shows a scrub: a progress bar with an ETA while it runs
// (when stdout is a terminal and the output is not JSON), then its
// summary as text or as one JSON object.
type scrubDisplay struct {
	stdout, stderr io.Writer
	json           bool
	tty            bool

	mu  sync.Mutex
	bar *progressbar.ProgressBar
}

func newScrubDisplay(stdout, stderr io.Writer, jsonOut bool) *scrubDisplay {
	d := &scrubDisplay{stdout: stdout, stderr: stderr, json: jsonOut}
	if f, ok := stdout.(*os.File); ok && !jsonOut {
		d.tty = term.IsTerminal(int(f.Fd()))
	}
	return d
}

// progress updates the bar (objects walked of the total).
func (d *scrubDisplay) progress(p engine.ScrubProgress) {
	if !d.tty {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.bar == nil {
		d.bar = progressbar.NewOptions64(max(p.TotalObjects, 1),
			progressbar.OptionSetWriter(d.stdout),
			progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionShowCount(),
			progressbar.OptionSetItsString("objects"),
			progressbar.OptionShowIts(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionSetElapsedTime(true),
			progressbar.OptionClearOnFinish(),
		)
	}
	d.bar.Describe(fmt.Sprintf("scrub  %d missing  %d corrupt  %d repaired", p.Missing, p.Corrupt, p.Repaired))
	_ = d.bar.Set64(p.Objects)
}

// finish clears the bar and prints the summary (and the error, if any);
// started is false when the scrub never began (only the error is printed,
// or, as JSON, zero counts with it).
func (d *scrubDisplay) finish(sum engine.ScrubSummary, started bool, err error) {
	d.mu.Lock()
	if d.bar != nil {
		_ = d.bar.Finish()
		d.bar = nil
	}
	d.mu.Unlock()
	if d.json {
		out := struct {
			engine.ScrubSummary
			Error string `json:"error,omitempty"`
		}{ScrubSummary: sum}
		if err != nil {
			out.Error = err.Error()
		}
		if out.UnrepairableObjects == nil {
			out.UnrepairableObjects = []engine.ObjectName{}
		}
		if out.Failures == nil {
			out.Failures = []string{}
		}
		json.NewEncoder(d.stdout).Encode(out)
	} else if started {
		writeScrubSummary(d.stdout, sum)
	}
	if err != nil {
		fmt.Fprintf(d.stderr, "prismd: scrub: %v\n", err)
	}
}

// writeScrubSummary prints what a scrub found and did.
func writeScrubSummary(w io.Writer, s engine.ScrubSummary) {
	mode := "quick"
	if s.Deep {
		mode = "deep"
	}
	if s.DryRun {
		mode += ", dry run"
	}
	state := "complete"
	if !s.Complete {
		state = "incomplete"
	}
	if s.Resumed {
		state += ", resumed from its checkpoint"
	}
	elapsed := time.Duration(s.ElapsedSeconds * float64(time.Second))
	fmt.Fprintf(w, "scrub %s (%s) in %s\n", state, mode, elapsed.Round(time.Millisecond))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, row := range []struct {
		name string
		n    int64
	}{{"objects", s.Objects}, {"shards checked", s.ShardsChecked}, {"bytes read", s.BytesRead}, {"missing", s.Missing}, {"corrupt", s.Corrupt},
		{"repaired", s.Repaired}, {"unrepairable", s.Unrepairable}, {"orphans found", s.OrphansFound}, {"orphans purged", s.OrphansPurged}, {"failed", s.Failed}} {
		fmt.Fprintf(tw, "  %s:\t%d\n", row.name, row.n)
	}
	tw.Flush()
	if len(s.UnrepairableObjects) > 0 {
		fmt.Fprintln(w, "unrepairable objects (more shards lost than the policy's parity):")
		for _, o := range s.UnrepairableObjects {
			fmt.Fprintf(w, "  %s/%s\n", o.Bucket, o.Key)
		}
		if more := s.Unrepairable - int64(len(s.UnrepairableObjects)); more > 0 {
			fmt.Fprintf(w, "  … and %d more\n", more)
		}
	}
	if len(s.Failures) > 0 {
		fmt.Fprintln(w, "failures:")
		for _, f := range s.Failures {
			fmt.Fprintf(w, "  %s\n", f)
		}
		if more := s.Failed - int64(len(s.Failures)); more > 0 {
			fmt.Fprintf(w, "  … and %d more\n", more)
		}
	}
}
