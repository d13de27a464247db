package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/prismd/prismd/admin"
	"github.com/prismd/prismd/engine"
)

const scrubUsage = `usage: prismd scrub [--config F] [--data-dir DIR] [--admin-addr HOST:PORT] [--deep]
                    [--bucket B] [--prefix P] [--rate MiB/s] [--orphan-grace 24h] [--dry-run]
                    [--json] [--offline]

Checks that every shard of every object is on its region (--deep: reads
and verifies every block), rewrites what is missing or corrupt, and deletes
backend objects no event references once older than --orphan-grace. It
asks the running prismd serve (its admin listener, with the token in
<data_dir>/admin.token) to do it and shows its progress; --offline does it
in this process on a data directory no server runs on. A scrub cut off
continues from its checkpoint next time.

Exit status: 0 all clean; 1 something was repaired or purged (or, with
--dry-run, found); 2 something is unrepairable, or the scrub failed or was
interrupted, or a usage error.

flags:
`

// scrubOptions are the flags of `prismd scrub`.
type scrubOptions struct {
	config, dataDir, adminAddr string
	deep, dryRun, json         bool
	offline                    bool
	bucket, prefix             string
	rate                       float64 // MiB/s
	orphanGrace                time.Duration
	set                        map[string]bool
}

func parseScrubFlags(args []string, stderr io.Writer) (*scrubOptions, error) {
	o := &scrubOptions{}
	fs := flag.NewFlagSet("prismd scrub", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.config, "config", "", "TOML bootstrap config of the gateway (default: the embedded default)")
	fs.StringVar(&o.dataDir, "data-dir", defaultDataDir, "the gateway's data directory (overrides data_dir)")
	fs.StringVar(&o.adminAddr, "admin-addr", defaultAdminAddr, "the running server's management listener (overrides admin_addr)")
	fs.BoolVar(&o.deep, "deep", false, "read every shard and verify every block (default: check every shard exists with its size)")
	fs.StringVar(&o.bucket, "bucket", "", "scrub this bucket only")
	fs.StringVar(&o.prefix, "prefix", "", "scrub keys under this prefix only (orphans are then not collected)")
	fs.Float64Var(&o.rate, "rate", 0, "read at most this many MiB/s of shards (0: unlimited)")
	fs.DurationVar(&o.orphanGrace, "orphan-grace", engine.DefaultOrphanGrace, "delete unreferenced backend objects only once older than this")
	fs.BoolVar(&o.dryRun, "dry-run", false, "report only: record, repair and delete nothing")
	fs.BoolVar(&o.json, "json", false, "print the summary as one JSON object (no progress bar)")
	fs.BoolVar(&o.offline, "offline", false, "scrub in this process; the data directory must not be in use by a server")
	fs.Usage = func() {
		fmt.Fprint(stderr, scrubUsage)
		fs.PrintDefaults()
	}
	var err error
	if o.set, err = parseCommandFlags(fs, "scrub", args); err != nil {
		return nil, err
	}
	if o.rate < 0 {
		return nil, usageError{fmt.Errorf("scrub: --rate %v: must not be negative", o.rate)}
	}
	if o.orphanGrace <= 0 {
		return nil, usageError{fmt.Errorf("scrub: --orphan-grace %v: must be positive", o.orphanGrace)}
	}
	return o, nil
}

// request is the scrub the flags ask for.
func (o *scrubOptions) request() admin.ScrubRequest {
	return admin.ScrubRequest{Deep: o.deep, Bucket: o.bucket, Prefix: o.prefix, Rate: int64(o.rate * (1 << 20)),
		OrphanGrace: o.orphanGrace.String(), DryRun: o.dryRun}
}

// scrubCheckpoint is the checkpoint of the scrubs prismd scrub runs,
// through the server or offline.
func scrubCheckpoint(cfg *Config) string { return filepath.Join(cfg.DataDir, "scrub.json") }

// runScrub is `prismd scrub`; it returns the exit status.
func runScrub(args []string, stdout, stderr io.Writer) int {
	o, err := parseScrubFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "prismd: %v\n", err)
		return 2
	}
	// Remote mode needs the data directory and the admin address only:
	// the server has the regions' secrets, so variables it reads them
	// from need not be set here.
	getenv := os.Getenv
	if !o.offline {
		getenv = func(k string) string { return cmp.Or(os.Getenv(k), "(the server's)") }
	}
	cfg, err := loadServeConfig(&serveOptions{config: o.config, dataDir: o.dataDir, adminAddr: o.adminAddr, set: o.set}, getenv)
	if err != nil {
		fmt.Fprintf(stderr, "prismd: %v\n", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	out := newScrubDisplay(stdout, stderr, o.json)
	var sum *engine.ScrubSummary
	if o.offline {
		sum, err = scrubOffline(ctx, cfg, o, out, stderr)
	} else {
		sum, err = scrubRemote(ctx, cfg, o, out)
	}
	if sum == nil {
		out.finish(engine.ScrubSummary{}, false, err)
		return 2
	}
	out.finish(*sum, true, err)
	return scrubExit(*sum, err)
}

// scrubExit is the exit status of a scrub: 2 when it failed or left
// something unrepairable, 1 when it found (and repaired or purged)
// something, 0 when all was clean.
func scrubExit(sum engine.ScrubSummary, err error) int {
	switch {
	case err != nil || !sum.Healthy():
		return 2
	case !sum.Clean():
		return 1
	}
	return 0
}

// scrubOffline opens the gateway in this process and scrubs it. The
// summary is nil when the scrub could not start.
func scrubOffline(ctx context.Context, cfg *Config, o *scrubOptions, out *scrubDisplay, stderr io.Writer) (*engine.ScrubSummary, error) {
	cfg.ScrubInterval = -1 // this is the scrub: no background one beside it
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	gw, err := openGateway(ctx, cfg, logger, os.Getenv)
	if errors.Is(err, errDataDirInUse) {
		return nil, fmt.Errorf("--offline: %w: a prismd serve runs on it; scrub through it (without --offline)", err)
	}
	if err != nil {
		return nil, err
	}
	defer func() {
		if err := gw.Close(); err != nil {
			logger.Error("close", "err", err)
		}
	}()
	opts, err := o.request().Options()
	if err != nil {
		return nil, err
	}
	opts.Checkpoint, opts.Progress = scrubCheckpoint(cfg), out.progress
	sum, err := gw.eng.Scrub(ctx, opts)
	return &sum, interrupted(ctx, err)
}

// interrupted explains a scrub cut off by a signal.
func interrupted(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil {
		return fmt.Errorf("interrupted: the next prismd scrub continues from its checkpoint")
	}
	return err
}

// scrubRemote asks the running server to scrub and follows its progress.
// The summary is nil when the scrub could not start.
func scrubRemote(ctx context.Context, cfg *Config, o *scrubOptions, out *scrubDisplay) (*engine.ScrubSummary, error) {
	token, err := readAdminToken(cfg.DataDir)
	if errors.Is(err, errNoAdminToken) {
		return nil, fmt.Errorf("%w: is prismd serve running on %s? (prismd scrub --offline scrubs without a server)", err, cfg.DataDir)
	}
	if err != nil {
		return nil, err
	}
	httpc, scheme, err := adminClient(cfg)
	if err != nil {
		return nil, err
	}
	c := &scrubClient{base: scheme + dialableAddr(cfg.AdminAddr), token: token, dataDir: cfg.DataDir, http: httpc}
	body, _ := json.Marshal(o.request())
	var started struct {
		ID int64 `json:"id"`
	}
	if err := c.call(ctx, http.MethodPost, "/api/scrub", body, http.StatusAccepted, &started); err != nil {
		return nil, err
	}
	path := fmt.Sprintf("/api/scrub?id=%d", started.ID)
	last, err := c.follow(ctx, path, out)
	if ctx.Err() == nil {
		return &last, err
	}
	// Interrupted: stop the server's scrub (its checkpoint keeps the place).
	stopCtx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var ev admin.ScrubEvent
	if err := c.call(stopCtx, http.MethodDelete, path, nil, http.StatusOK, &ev); err == nil && ev.Summary != nil {
		last = *ev.Summary
	}
	return &last, interrupted(ctx, ctx.Err())
}

// dialableAddr turns a listen address into one to dial on this host.
func dialableAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// scrubClient talks to the server's scrub API.
type scrubClient struct {
	base, token, dataDir string
	http                 *http.Client
}

func (c *scrubClient) request(ctx context.Context, method, path string, body []byte) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil && ctx.Err() == nil {
		return nil, fmt.Errorf("cannot reach prismd serve's admin listener at %s (%v): start it, give --admin-addr, or scrub with --offline", c.base, err)
	}
	return resp, err
}

// call makes one request and decodes its JSON answer into v.
func (c *scrubClient) call(ctx context.Context, method, path string, body []byte, want int, v any) error {
	resp, err := c.request(ctx, method, path, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	switch {
	case resp.StatusCode == want:
		return json.Unmarshal(data, v)
	case resp.StatusCode == http.StatusUnauthorized:
		return fmt.Errorf("the server at %s refused the token in %s: is it the server of this data directory?", c.base, filepath.Join(c.dataDir, adminTokenFile))
	case resp.StatusCode == http.StatusConflict:
		return fmt.Errorf("the server at %s runs a scrub already", c.base)
	}
	var e struct{ Error string }
	json.Unmarshal(data, &e)
	return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, cmp.Or(e.Error, string(bytes.TrimSpace(data))))
}

// follow reads the scrub's event stream until its summary line.
func (c *scrubClient) follow(ctx context.Context, path string, out *scrubDisplay) (engine.ScrubSummary, error) {
	resp, err := c.request(ctx, http.MethodGet, path, nil)
	if err != nil {
		return engine.ScrubSummary{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return engine.ScrubSummary{}, fmt.Errorf("GET %s: %s: %s", path, resp.Status, bytes.TrimSpace(data))
	}
	var last engine.ScrubSummary
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		var ev admin.ScrubEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			return last, fmt.Errorf("scrub stream: %w", err)
		}
		switch {
		case ev.Type == "summary" && ev.Summary != nil:
			if ev.Error != "" {
				return *ev.Summary, errors.New(ev.Error)
			}
			return *ev.Summary, nil
		case ev.Type == "progress" && ev.ScrubProgress != nil:
			last = ev.ScrubSummary
			out.progress(*ev.ScrubProgress)
		}
	}
	if ctx.Err() != nil {
		return last, ctx.Err()
	}
	cause := "end of stream"
	if err := sc.Err(); err != nil {
		cause = err.Error()
	}
	return last, fmt.Errorf("the server stopped before the scrub ended (%s): the next prismd scrub continues from its checkpoint", cause)
}
