package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/prismd/prismd/engine"
	"github.com/prismd/prismd/replica"
)

// replayOptions are the flags of `prismd replay`.
type replayOptions struct {
	serveOptions // config and data dir, as serve reads them
	from         string
	until        string
	force        bool
	dryRun       bool
	json         bool
}

func parseReplayFlags(args []string, stderr io.Writer) (*replayOptions, error) {
	o := &replayOptions{serveOptions: serveOptions{set: map[string]bool{}}}
	fs := flag.NewFlagSet("prismd replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.config, "config", "", "TOML bootstrap config naming the regions (default: the embedded default)")
	fs.StringVar(&o.dataDir, "data-dir", defaultDataDir, "data directory to rebuild (overrides data_dir)")
	fs.StringVar(&o.from, "from", "", "region to read first (default: the config's order)")
	fs.StringVar(&o.until, "until", "", "restore the state as of an RFC 3339 time or a log index (default: the newest)")
	fs.BoolVar(&o.force, "force", false, "replace what the data directory holds")
	fs.BoolVar(&o.dryRun, "dry-run", false, "print the plan only")
	fs.BoolVar(&o.json, "json", false, "print the result as one JSON object")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: prismd replay [flags]\n\nRebuilds a lost gateway's data directory from the log shipped to its regions.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, usageError{err}
	}
	if fs.NArg() > 0 {
		return nil, usageError{fmt.Errorf("replay: unexpected argument %q", fs.Arg(0))}
	}
	fs.Visit(func(f *flag.Flag) { o.set[f.Name] = true })
	return o, nil
}

// parseUntil reads --until: an RFC 3339 time or a log index.
func parseUntil(v string) (replica.Target, error) {
	if v == "" {
		return replica.Target{}, nil
	}
	if n, err := strconv.ParseUint(v, 10, 64); err == nil && n > 0 {
		return replica.Target{Index: n}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return replica.Target{}, fmt.Errorf("--until %q: want an RFC 3339 time (2026-12-02T10:00:00Z) or a log index", v)
	}
	return replica.Target{Time: t}, nil
}

// replayResult is what replay prints (as text, or JSON with --json).
type replayResult struct {
	DryRun         bool      `json:"dry_run,omitempty"`
	Gateway        string    `json:"gateway"`
	Timeline       uint64    `json:"timeline"`
	Source         string    `json:"source_region"`
	Snapshot       uint64    `json:"snapshot_index"`
	Segments       int       `json:"segments"`
	LastIndex      uint64    `json:"last_index"`
	LastEventTime  time.Time `json:"last_event_time,omitzero"`
	Buckets        int       `json:"buckets"`
	Objects        int       `json:"objects"`
	Bytes          int64     `json:"bytes"`
	Files          int       `json:"files"`
	Downloaded     int64     `json:"bytes_downloaded"`
	ElapsedSeconds float64   `json:"elapsed_seconds"`
}

func replay(args []string, stdout, stderr io.Writer) error {
	o, err := parseReplayFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	target, err := parseUntil(o.until)
	if err != nil {
		return usageError{err}
	}
	cfg, err := loadServeConfig(&o.serveOptions, os.Getenv)
	if err != nil {
		return usageError{err}
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	start := time.Now()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	lock, err := lockDataDir(cfg.DataDir)
	if err != nil {
		return err
	}
	defer lock.Close()
	if !o.dryRun {
		if err := clearForReplay(cfg.DataDir, o.force); err != nil {
			return err
		}
	}
	masterKey, _, err := loadMasterKey(cfg.MasterKeyFile, cfg.DataDir, os.Getenv, false)
	if err != nil {
		return err
	}
	sources, err := replaySources(ctx, cfg, o.from)
	if err != nil {
		return err
	}
	rcfg := replica.RestoreConfig{Sources: sources, MasterKey: masterKey, Target: target, Logger: logger,
		LogDir: filepath.Join(cfg.DataDir, "log"), SnapshotDir: filepath.Join(cfg.DataDir, "snapshots")}
	if o.dryRun {
		plan, err := replica.PlanRestore(ctx, rcfg, map[string]bool{})
		if err != nil {
			return err
		}
		res := replayResult{DryRun: true, Gateway: plan.Gateway, Timeline: plan.NextTimeline, Segments: len(plan.Segments), LastIndex: plan.Last}
		if plan.Snapshot != nil {
			res.Snapshot = plan.Snapshot.First
			res.Source = plan.Snapshot.Regions[0]
		} else if len(plan.Segments) > 0 {
			res.Source = plan.Segments[0].Regions[0]
		}
		res.ElapsedSeconds = time.Since(start).Seconds()
		return printReplay(stdout, res, o.json)
	}
	if !o.json && isTerminal(stdout) {
		bar := progressbar.NewOptions64(-1, progressbar.OptionSetWriter(stderr), progressbar.OptionSetDescription("restoring files"),
			progressbar.OptionShowCount(), progressbar.OptionSetPredictTime(true), progressbar.OptionClearOnFinish())
		rcfg.Progress = func(done, total int64) {
			bar.ChangeMax64(total)
			bar.Set64(done)
		}
		defer bar.Finish()
	}
	restored, err := replica.Restore(ctx, rcfg)
	if err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	// The restored gateway is the same gateway, on a new timeline that
	// continues the restored one from the last index restored: its
	// records never mix with what the old one may have shipped after.
	plan := restored.Plan
	id := engine.Identity{Gateway: plan.Gateway, Timeline: plan.NextTimeline,
		Origin: &replica.Origin{Gateway: plan.Gateway, Timeline: plan.NextTimeline, Parent: plan.Timeline, ForkIndex: restored.Last, ForkTime: time.Now().UTC()}}
	if err := engine.WriteIdentity(cfg.DataDir, id); err != nil {
		return err
	}
	sum, err := engine.Inspect(cfg.DataDir, masterKey)
	if err != nil {
		return fmt.Errorf("replay: the restored state does not load: %w", err)
	}
	if sum.RootAccessKey != "" {
		if err := writeRestoredCredentials(cfg.DataDir, sum.RootAccessKey, sum.RootSecret); err != nil {
			return err
		}
	}
	res := replayResult{Gateway: id.Gateway, Timeline: id.Timeline, Source: restored.Source, Snapshot: 0, Segments: len(plan.Segments),
		LastIndex: sum.LastIndex, LastEventTime: sum.LastTime, Buckets: sum.Buckets, Objects: sum.Objects, Bytes: sum.Bytes,
		Files: restored.Files, Downloaded: restored.Bytes, ElapsedSeconds: time.Since(start).Seconds()}
	if plan.Snapshot != nil {
		res.Snapshot = plan.Snapshot.First
	}
	return printReplay(stdout, res, o.json)
}

// clearForReplay refuses a data directory that holds a gateway's state,
// unless force: then that state goes (the master key and config stay).
func clearForReplay(dataDir string, force bool) error {
	var held []string
	for _, name := range []string{"log", "snapshots", "gateway.json", credentialsFile} {
		path := filepath.Join(dataDir, name)
		if fi, err := os.Stat(path); err == nil && (!fi.IsDir() || !emptyDir(path)) {
			held = append(held, name)
		}
	}
	if len(held) == 0 {
		return nil
	}
	if !force {
		return usageError{fmt.Errorf("replay: data directory %s is not empty (it holds %v); replay into an empty one, or pass --force to replace it", dataDir, held)}
	}
	for _, name := range held {
		if err := os.RemoveAll(filepath.Join(dataDir, name)); err != nil {
			return err
		}
	}
	return nil
}

func emptyDir(path string) bool {
	entries, err := os.ReadDir(path)
	return err == nil && len(entries) == 0
}

// replaySources opens the system area of every configured region, the one
// named by --from first.
func replaySources(ctx context.Context, cfg *Config, from string) ([]replica.Source, error) {
	specs := cfg.regionSpecs()
	if from != "" {
		found := false
		for i, s := range specs {
			if s.Name == from {
				specs[0], specs[i] = specs[i], specs[0]
				found = true
			}
		}
		if !found {
			return nil, usageError{fmt.Errorf("--from %q is not a region of the config", from)}
		}
	}
	regions, err := buildRegions(ctx, specs)
	if err != nil {
		return nil, err
	}
	var sources []replica.Source
	for _, r := range regions {
		sources = append(sources, replica.Source{Region: r.Name, Store: replica.NewBackendStore(r.Backend, replica.SystemBucket, "")})
	}
	return sources, nil
}

// writeRestoredCredentials keeps the restored root key in the data
// directory, as serve keeps the one it generated.
func writeRestoredCredentials(dataDir, key, secret string) error {
	body := fmt.Sprintf("# prismd root credentials (restored by prismd replay)\naccess_key = %s\nsecret_key = %s\n", key, secret)
	return writePrivate(filepath.Join(dataDir, credentialsFile), []byte(body))
}

func printReplay(w io.Writer, r replayResult, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		return enc.Encode(r)
	}
	if r.DryRun {
		fmt.Fprintf(w, "plan:      gateway %s, snapshot at %d, %d segment files, up to index %d, first from %s\n",
			r.Gateway, r.Snapshot, r.Segments, r.LastIndex, r.Source)
		return nil
	}
	fmt.Fprintf(w, "restored:  gateway %s (timeline %d) from %s\n", r.Gateway, r.Timeline, r.Source)
	fmt.Fprintf(w, "state:     %d buckets, %d objects, %s\n", r.Buckets, r.Objects, formatSize(r.Bytes))
	fmt.Fprintf(w, "log:       up to index %d, last event at %s (snapshot at %d, %d segment files)\n",
		r.LastIndex, r.LastEventTime.Format(time.RFC3339), r.Snapshot, r.Segments)
	fmt.Fprintf(w, "read:      %d files, %s in %.1fs\n", r.Files, formatSize(r.Downloaded), r.ElapsedSeconds)
	return nil
}

// isTerminal reports whether w is a terminal (for progress bars).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
