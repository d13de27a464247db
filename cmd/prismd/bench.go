package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/prismd/prismd/bench"
)

const benchUsage = `usage:
  prismd bench [flags]            run a workload against an S3 endpoint (optionally vs a baseline)
  prismd bench standard [flags]   run the standard set on local regions and write BENCHMARKS.md

Run 'prismd bench --help' or 'prismd bench standard --help' for the flags.
Exit status: 0 when every result is valid, 1 when a result had errors (it is
then marked INVALID) or a step failed, 2 on a usage error.
`

// runBench is `prismd bench`: it binds flags to the bench library and
// returns the exit status.
func runBench(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if len(args) > 0 && args[0] == "standard" {
		return benchStandard(ctx, args[1:], os.Stdout, os.Stderr)
	}
	if len(args) > 0 && args[0] == "relay" { // not in the usage: bench standard runs it
		return benchRelay(ctx, args[1:], os.Stdout, os.Stderr)
	}
	if len(args) == 1 && args[0] == "help" {
		fmt.Fprint(os.Stdout, benchUsage)
		return 0
	}
	return benchWorkload(ctx, args, os.Stdout, os.Stderr)
}

// benchSize is a flag.Value of a size such as 4KiB or 8MiB.
type benchSize struct{ n *int64 }

func (s benchSize) String() string {
	if s.n == nil {
		return ""
	}
	return bench.FormatSize(*s.n)
}

func (s benchSize) Set(v string) error {
	n, err := bench.ParseSize(v)
	if err != nil {
		return err
	}
	*s.n = n
	return nil
}

// benchProcesses is a flag.Value of role:pid pairs ("gateway:42,region:43").
type benchProcesses struct{ ps *[]bench.ServerProcess }

func (b benchProcesses) String() string {
	if b.ps == nil {
		return ""
	}
	var parts []string
	for _, p := range *b.ps {
		parts = append(parts, fmt.Sprintf("%s:%d", p.Role, p.PID))
	}
	return strings.Join(parts, ",")
}

func (b benchProcesses) Set(v string) error {
	for _, part := range strings.Split(v, ",") {
		role, pid, ok := strings.Cut(strings.TrimSpace(part), ":")
		n, err := strconv.Atoi(pid)
		if !ok || err != nil || n <= 0 || (role != bench.RoleGateway && role != bench.RoleRegion) {
			return fmt.Errorf("%q is not role:pid with role %s or %s", part, bench.RoleGateway, bench.RoleRegion)
		}
		*b.ps = append(*b.ps, bench.ServerProcess{Role: role, PID: n})
	}
	return nil
}

// benchProgress is where live progress goes: stderr when it is a terminal
// and not --quiet, else nowhere.
func benchProgress(quiet bool, stderr io.Writer) io.Writer {
	f, ok := stderr.(*os.File)
	if quiet || !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return stderr
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

func benchWorkload(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("prismd bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		target, base      bench.Endpoint
		baseURL           string
		w                 bench.Workload
		op                string
		rounds            int
		jsonOut           string
		quiet, jsonStdout bool
	)
	fs.StringVar(&target.URL, "endpoint", "", "S3 endpoint to measure, e.g. http://127.0.0.1:8443 (required)")
	fs.StringVar(&target.AccessKey, "access-key", "", "access key (default $AWS_ACCESS_KEY_ID)")
	fs.StringVar(&target.SecretKey, "secret-key", "", "secret key (default $AWS_SECRET_ACCESS_KEY)")
	fs.StringVar(&target.Bucket, "bucket", "prismd-bench", "bucket, created when missing")
	fs.StringVar(&target.Region, "region", bench.DefaultRegion, "signing region")
	fs.StringVar(&target.Name, "name", "target", "label of the endpoint in results")
	fs.StringVar(&baseURL, "baseline-endpoint", "", "baseline S3 endpoint (e.g. one backend region) measured in alternating rounds; ratios are target/baseline")
	fs.StringVar(&base.AccessKey, "baseline-access-key", "", "baseline access key (default $BENCH_BASELINE_ACCESS_KEY)")
	fs.StringVar(&base.SecretKey, "baseline-secret-key", "", "baseline secret key (default $BENCH_BASELINE_SECRET_KEY)")
	fs.StringVar(&base.Bucket, "baseline-bucket", "", "baseline bucket (default: --bucket)")
	fs.StringVar(&base.Region, "baseline-region", bench.DefaultRegion, "baseline signing region")
	fs.IntVar(&rounds, "rounds", bench.DefaultRounds, "alternating rounds per endpoint when a baseline is given")
	fs.StringVar(&op, "op", "put", "workload: put, get, mixed or list")
	w.Size = bench.DefaultSize
	fs.Var(benchSize{&w.Size}, "size", "object size (4KiB, 8MiB, …)")
	fs.Var(benchSize{&w.MaxSize}, "max-size", "with --size, objects of a random size in [size, max-size] (default: fixed size)")
	fs.IntVar(&w.Concurrency, "concurrency", bench.DefaultConcurrency, fmt.Sprintf("requests in flight (at most %d)", bench.MaxConcurrency))
	fs.DurationVar(&w.Duration, "duration", bench.DefaultDuration, fmt.Sprintf("how long to run, over all rounds (at most %v)", bench.MaxDuration))
	fs.Int64Var(&w.Ops, "ops", 0, fmt.Sprintf("stop after this many operations, over all rounds (default and at most %d)", bench.MaxOps))
	fs.IntVar(&w.Objects, "objects", bench.DefaultObjects, "objects that get, mixed and list read (written first, untimed)")
	fs.Float64Var(&w.GetRatio, "get-ratio", bench.DefaultGetRatio, "mixed: fraction of GETs")
	fs.Float64Var(&w.DeleteRatio, "delete-ratio", 0, "mixed: fraction of DELETEs (of keys the run PUT); the rest are PUTs")
	fs.IntVar(&w.ListMaxKeys, "list-max-keys", bench.DefaultListMaxKeys, "list: keys per page")
	fs.StringVar(&w.Prefix, "prefix", "bench/", "key prefix")
	fs.StringVar(&jsonOut, "json-out", "", "also write the result as JSON to this file")
	fs.BoolVar(&jsonStdout, "json", false, "print JSON instead of the table")
	fs.BoolVar(&quiet, "quiet", false, "no progress display (it is off anyway when stderr is not a terminal)")
	fs.Var(benchProcesses{&target.Processes}, "cpu", "processes on this machine behind --endpoint whose CPU time per operation is measured, as role:pid,… (roles gateway, region), e.g. gateway:4242,region:4250")
	fs.Var(benchProcesses{&base.Processes}, "baseline-cpu", "as --cpu, for the baseline endpoint")
	if code, ok := parseBenchFlags(fs, args, "prismd bench", stderr); !ok {
		return code
	}
	var err error
	if w.Op, err = bench.ParseOp(op); err != nil {
		fmt.Fprintf(stderr, "prismd bench: %v\n", err)
		return 2
	}
	target.AccessKey = firstNonEmpty(target.AccessKey, os.Getenv("AWS_ACCESS_KEY_ID"))
	target.SecretKey = firstNonEmpty(target.SecretKey, os.Getenv("AWS_SECRET_ACCESS_KEY"))
	cfg := bench.Config{Target: target, Workload: w, Rounds: rounds, Progress: benchProgress(quiet, stderr)}
	if baseURL != "" {
		base.URL, base.Name = baseURL, "baseline"
		base.AccessKey = firstNonEmpty(base.AccessKey, os.Getenv("BENCH_BASELINE_ACCESS_KEY"))
		base.SecretKey = firstNonEmpty(base.SecretKey, os.Getenv("BENCH_BASELINE_SECRET_KEY"))
		base.Bucket = firstNonEmpty(base.Bucket, target.Bucket)
		cfg.Baseline = &base
	}

	var result any
	valid := false
	if cfg.Baseline != nil {
		c, err := bench.Compare(ctx, cfg)
		if err != nil {
			return benchFailed(stderr, err)
		}
		result, valid = c, c.Valid
		if !jsonStdout {
			bench.WriteComparisons(stdout, c)
		}
	} else {
		r, err := bench.Run(ctx, cfg)
		if err != nil {
			return benchFailed(stderr, err)
		}
		result, valid = r, r.Valid
		if !jsonStdout {
			bench.WriteTable(stdout, r)
		}
	}
	if jsonStdout {
		bench.WriteJSON(stdout, result)
	}
	if jsonOut != "" {
		if err := writeBenchJSON(jsonOut, result); err != nil {
			return benchFailed(stderr, err)
		}
	}
	if !valid {
		return 1
	}
	return 0
}

func benchFailed(stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "prismd bench: %v\n", err)
	if errors.Is(err, bench.ErrInvalidConfig) {
		return 2
	}
	return 1
}

func writeBenchJSON(path string, v any) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := bench.WriteJSON(f, v); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func benchStandard(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("prismd bench standard", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		cfg          bench.StandardConfig
		out, jsonOut string
		quiet        bool
	)
	fs.StringVar(&out, "out", "BENCHMARKS.md", "the report to write")
	fs.StringVar(&jsonOut, "json-out", "", "also write the report as JSON to this file")
	fs.StringVar(&cfg.PrismdBin, "prismd", "", "the prismd binary to serve with (default: this executable)")
	fs.StringVar(&cfg.VersityBin, "versitygw", "", "the versitygw binary (default: on PATH or in $GOPATH/bin)")
	fs.StringVar(&cfg.MinIOBin, "minio", "", "the MinIO server compared with (default: on PATH or in $GOPATH/bin; install: go install "+bench.MinIOPackage+")")
	fs.BoolVar(&cfg.NoMinIO, "no-minio", false, "skip the comparison with MinIO (quick runs)")
	fs.Func("only", "run only these parts of the set, comma-separated ("+strings.Join(bench.StandardParts, ", ")+"; default all)", func(v string) error {
		for part := range strings.SplitSeq(v, ",") {
			cfg.Only = append(cfg.Only, strings.TrimSpace(part))
		}
		return nil
	})
	fs.StringVar(&cfg.WorkDir, "work-dir", "", "where regions and gateways keep their data (default: a temporary directory, removed at the end)")
	fs.BoolVar(&cfg.KeepWorkDir, "keep", false, "keep the temporary work directory")
	fs.StringVar(&cfg.SourceDir, "source", ".", "the module's root, where the engine's Go benchmarks run ('' skips them)")
	fs.StringVar(&cfg.GoBin, "go", "go", "the go command")
	fs.DurationVar(&cfg.RoundDuration, "round", 2*time.Second, "how long each endpoint runs in each round")
	fs.IntVar(&cfg.Rounds, "rounds", bench.DefaultRounds, "alternating rounds per comparison")
	cfg.LargeSize = 256 << 20
	fs.Var(benchSize{&cfg.LargeSize}, "large-size", "object size of the memory run")
	fs.IntVar(&cfg.ProfileSeconds, "profile-seconds", 10, "CPU profile of the slowest workload, in seconds (negative: none)")
	fs.StringVar(&cfg.PprofURL, "pprof-url", "", "the gateway's CPU profile URL (default <admin>/debug/pprof/profile)")
	fs.StringVar(&cfg.OutDir, "profile-dir", ".", "where the CPU profile is kept")
	fs.BoolVar(&quiet, "quiet", false, "no progress display and no step log")
	if code, ok := parseBenchFlags(fs, args, "prismd bench standard", stderr); !ok {
		return code
	}
	if cfg.PrismdBin == "" {
		exe, err := os.Executable()
		if err != nil {
			return benchFailed(stderr, err)
		}
		cfg.PrismdBin = exe
	}
	if cfg.SourceDir != "" {
		if _, err := os.Stat(filepath.Join(cfg.SourceDir, "go.mod")); err != nil {
			fmt.Fprintf(stderr, "prismd bench standard: --source %s has no go.mod: skipping the Go benchmarks\n", cfg.SourceDir)
			cfg.SourceDir = ""
		}
	}
	cfg.Progress = benchProgress(quiet, stderr)
	if !quiet {
		cfg.Log = stderr
	}
	rep, err := bench.Standard(ctx, cfg)
	if rep == nil {
		return benchFailed(stderr, err)
	}
	invocation := "prismd bench " + strings.Join(append([]string{"standard"}, args...), " ")
	f, ferr := os.Create(out)
	if ferr == nil {
		ferr = bench.WriteMarkdown(f, rep, invocation)
		if cerr := f.Close(); ferr == nil {
			ferr = cerr
		}
	}
	if ferr != nil {
		return benchFailed(stderr, ferr)
	}
	if jsonOut != "" {
		if err := writeBenchJSON(jsonOut, rep); err != nil {
			return benchFailed(stderr, err)
		}
	}
	fmt.Fprintf(stdout, "wrote %s\n", out)
	for _, t := range rep.Targets {
		status := "met"
		if !t.Met {
			status = "MISSED"
		}
		if t.Missing != "" {
			status = t.Missing
		}
		relay := ""
		if t.Relay > 0 {
			relay = fmt.Sprintf(", relay/direct %.3f", t.Relay)
		}
		if t.RelayBound > 0 {
			relay += fmt.Sprintf(", bound %.3f", t.RelayBound)
		}
		fmt.Fprintf(stdout, "  %-8s %s: %.3f %s (goal %s%s)\n", status, t.Name, t.Value, t.Unit, t.Goal, relay)
	}
	if err != nil {
		return benchFailed(stderr, err)
	}
	failed := len(rep.Errors) > 0
	for _, s := range rep.Sets {
		for _, c := range s.Comparisons {
			failed = failed || !c.Valid
		}
	}
	for _, c := range rep.Relay {
		failed = failed || !c.Valid
	}
	if rep.Memory != nil {
		for _, c := range rep.Memory.Comparisons {
			failed = failed || !c.Valid
		}
	}
	if failed {
		fmt.Fprintln(stderr, "prismd bench standard: some results are invalid or some steps failed; see", out)
		return 1
	}
	return 0
}

// benchRelay is `prismd bench relay`: a plain relay (bench.NewRelay) on
// --listen in front of --to, until ctx ends. It prints "relay: URL" once it
// listens, for bench.StartRelay.
func benchRelay(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("prismd bench relay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:0", "address to listen on")
	to := fs.String("to", "", "the endpoint to relay to, e.g. http://127.0.0.1:9001 (required)")
	if code, ok := parseBenchFlags(fs, args, "prismd bench relay", stderr); !ok {
		return code
	}
	h, err := bench.NewRelay(*to)
	if err != nil {
		return benchFailed(stderr, err)
	}
	l, err := net.Listen("tcp", *listen)
	if err != nil {
		return benchFailed(stderr, fmt.Errorf("relay: listen: %w", err))
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 30 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	fmt.Fprintf(stdout, "relay: http://%s -> %s\n", l.Addr(), *to)
	select {
	case err := <-served:
		return benchFailed(stderr, fmt.Errorf("relay: %w", err))
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return benchFailed(stderr, fmt.Errorf("relay: shutdown: %w", err))
	}
	return 0
}

// parseBenchFlags parses the flags of one bench command; when it returns
// ok false, the command exits with code (0 after -h, 2 on a usage error).
func parseBenchFlags(fs *flag.FlagSet, args []string, name string, stderr io.Writer) (code int, ok bool) {
	fs.Usage = func() {
		fmt.Fprintf(stderr, "%s\nflags of '%s':\n", benchUsage, name)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, false
		}
		return 2, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected argument %q\n", name, fs.Arg(0))
		return 2, false
	}
	return 0, true
}
