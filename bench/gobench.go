package bench

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// GoBenchCommand is one `go test -bench` invocation of the standard set.
type GoBenchCommand struct {
	Package   string // "./engine/"
	Pattern   string // the -bench regexp
	BenchTime string // the -benchtime value
}

// Args returns the go command's arguments.
func (c GoBenchCommand) Args() []string {
	return []string{"test", "-run", "^$", "-bench", c.Pattern, "-benchtime", c.BenchTime, c.Package}
}

// String is the command as a user types it.
func (c GoBenchCommand) String() string {
	return fmt.Sprintf("go test -run '^$' -bench '%s' -benchtime %s %s", c.Pattern, c.BenchTime, c.Package)
}

// StandardGoBenchmarks are the engine-internal benchmarks of the standard
// set, with bench times that keep each under a few seconds of measurement.
var StandardGoBenchmarks = []GoBenchCommand{
	{"./engine/", "Put|Get|Raw", "1s"},
	{"./log/", "GroupCommit", "1s"},
	{"./log/", "Replay", "1s"},
	{"./projections/", "ListPage", "100x"},
	{"./projections/", "BytesPerObject", "1x"},
	{"./engine/", "ScrubDeep", "10x"},
	{"./engine/", "ScrubQuick100k", "1x"},
}

// GoBench is one benchmark line of `go test -bench` output.
type GoBench struct {
	// Name is the benchmark without the -GOMAXPROCS suffix: "BenchmarkPut/2+1".
	Name       string `json:"name"`
	Iterations int64  `json:"iterations"`
	// Metrics maps a unit ("ns/op", "MB/s", "commits/s", …) to its value.
	Metrics map[string]float64 `json:"metrics"`
}

var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+(\d+)\s+(.+)$`)

// ParseGoBench returns the benchmark lines of `go test -bench` output.
func ParseGoBench(out string) []GoBench {
	var res []GoBench
	for line := range strings.SplitSeq(out, "\n") {
		m := benchLine.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			continue
		}
		n, _ := strconv.ParseInt(m[2], 10, 64)
		b := GoBench{Name: m[1], Iterations: n, Metrics: map[string]float64{}}
		f := strings.Fields(m[3])
		for i := 0; i+1 < len(f); i += 2 {
			if v, err := strconv.ParseFloat(f[i], 64); err == nil {
				b.Metrics[f[i+1]] = v
			}
		}
		res = append(res, b)
	}
	return res
}

// GoBenchRun is the outcome of one GoBenchCommand.
type GoBenchRun struct {
	Command    string    `json:"command"`
	Benchmarks []GoBench `json:"benchmarks"`
	Output     string    `json:"output"`
	Err        string    `json:"error,omitempty"`
	ElapsedSec float64   `json:"elapsed_s"`
}

// runGoBench runs c with goBin in dir, bounded by timeout.
func runGoBench(ctx context.Context, goBin, dir string, c GoBenchCommand, timeout time.Duration) GoBenchRun {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin, c.Args()...)
	cmd.Dir = dir
	setParentDeathSignal(cmd)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	r := GoBenchRun{Command: c.String(), Output: out.String(), ElapsedSec: time.Since(start).Seconds()}
	r.Benchmarks = ParseGoBench(r.Output)
	if err != nil {
		r.Err = err.Error()
	}
	return r
}
