package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// StandardConfig configures Standard, the set of issue 5: prismd over three
// fs regions against MinIO over three drives (issue 15), three local
// versitygw regions, `prismd serve` over them (erasure 2+1, then hybrid),
// the workloads through prismd against the same workloads sent straight to
// one region, the same workloads through a plain relay (NewRelay) in front
// of that region, the gateway's peak memory on large objects, a CPU
// profile of the slowest workload and the engine-internal Go benchmarks.
type StandardConfig struct {
	// PrismdBin is the prismd binary to serve with, and to run the relay
	// with (`prismd bench relay`). Required.
	PrismdBin string
	// VersityBin is versitygw. Default: FindVersity.
	VersityBin string
	// MinIOBin is the MinIO server of the MinIO comparison. Default:
	// FindMinIO.
	MinIOBin string
	// NoMinIO skips the MinIO comparison. Default false.
	NoMinIO bool
	// Only, when not empty, runs just these parts of the set (quick runs):
	// "minio", "aging", "erasure", "hybrid", "relay", "wan", "memory",
	// "shipping", "authz", "go".
	// Default: all of them.
	Only []string
	// WorkDir holds the regions' and the gateways' data. Default: a new
	// temporary directory, removed at the end unless KeepWorkDir.
	WorkDir     string
	KeepWorkDir bool
	// SourceDir is the module's root, where the Go benchmarks run. Default
	// "" skips them.
	SourceDir string
	// GoBin is the go command. Default "go".
	GoBin string
	// RoundDuration is how long each endpoint runs in each round of a
	// comparison. Default 2s.
	RoundDuration time.Duration
	// Rounds is the rounds of each comparison. Default 3.
	Rounds int
	// LargeSize is the object size of the memory run. Default 256 MiB.
	LargeSize int64
	// ShippingObjects is the size of the gateway prismd replay rebuilds.
	// Default 1,000,000.
	ShippingObjects int
	// ProfileSeconds is the length of the CPU profile. Default 10; negative skips it.
	ProfileSeconds int
	// PprofURL is the gateway's CPU profile endpoint. Default
	// <admin>/debug/pprof/profile.
	PprofURL string
	// OutDir receives the CPU profile (cpu-<workload>.pprof). Default WorkDir.
	OutDir string
	// Progress receives live progress displays. Default nil: none.
	Progress io.Writer
	// Log receives a line per step. Default: none.
	Log io.Writer
}

func (c StandardConfig) withDefaults() (StandardConfig, error) {
	if c.PrismdBin == "" {
		return c, fmt.Errorf("%w: StandardConfig.PrismdBin is required", ErrInvalidConfig)
	}
	if c.VersityBin == "" && c.needsRegions() {
		v, err := FindVersity()
		if err != nil {
			return c, err
		}
		c.VersityBin = v
	}
	if c.GoBin == "" {
		c.GoBin = "go"
	}
	if c.RoundDuration == 0 {
		c.RoundDuration = 2 * time.Second
	}
	if c.Rounds == 0 {
		c.Rounds = DefaultRounds
	}
	if c.LargeSize == 0 {
		c.LargeSize = 256 << 20
	}
	if c.ProfileSeconds == 0 {
		c.ProfileSeconds = 10
	}
	if c.ShippingObjects == 0 {
		c.ShippingObjects = 1_000_000
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
	for _, part := range c.Only {
		if !slices.Contains(StandardParts, part) {
			return c, fmt.Errorf("%w: part %q of the standard set is not one of %s", ErrInvalidConfig, part, strings.Join(StandardParts, ", "))
		}
	}
	if c.RoundDuration*time.Duration(c.Rounds) > MaxDuration {
		return c, fmt.Errorf("%w: %d rounds of %v exceed %v", ErrInvalidConfig, c.Rounds, c.RoundDuration, MaxDuration)
	}
	return c, nil
}

// StandardParts are the parts of the standard set, in the order they run.
var StandardParts = []string{"minio", "aging", "erasure", "hybrid", "relay", "wan", "memory", "shipping", "authz", "go"}

// runs reports whether the part of the set runs.
func (c StandardConfig) runs(part string) bool {
	if part == "minio" && c.NoMinIO {
		return false
	}
	return len(c.Only) == 0 || slices.Contains(c.Only, part)
}

// needsRegions reports whether a part that uses the versitygw regions runs.
func (c StandardConfig) needsRegions() bool {
	for _, part := range []string{"erasure", "hybrid", "relay", "wan", "memory", "shipping"} {
		if c.runs(part) {
			return true
		}
	}
	return false
}

// StandardPolicies are the gateway policies of the standard set.
var StandardPolicies = []string{"erasure", "hybrid"}

// standardWorkloads are the comparisons run under every policy.
func standardWorkloads() []Workload {
	return []Workload{
		{Op: OpGet, Size: 8 << 20, Concurrency: 8, Objects: 16},
		{Op: OpPut, Size: 8 << 20, Concurrency: 8},
		{Op: OpPut, Size: 4 << 10, Concurrency: 32},
		{Op: OpGet, Size: 4 << 10, Concurrency: 32, Objects: 256},
	}
}

// PolicySet is the comparisons of one gateway policy.
type PolicySet struct {
	Policy      string        `json:"policy"`
	Config      string        `json:"config"` // prismd.toml, secrets elided
	Comparisons []*Comparison `json:"comparisons"`
}

// MemoryReport compares the gateway's peak RSS after a run of 1 MiB objects
// and after a run of LargeSize objects, on a fresh process.
type MemoryReport struct {
	Comparisons   []*Comparison `json:"comparisons"`
	Concurrency   int           `json:"concurrency"`
	SmallSize     int64         `json:"small_size"`
	LargeSize     int64         `json:"large_size"`
	PeakRSSSmall  int64         `json:"peak_rss_small"`
	PeakRSSLarge  int64         `json:"peak_rss_large"`
	PeakRSSGrowth float64       `json:"peak_rss_growth"` // large/small
}

// ProfileReport is a CPU profile of the gateway under the slowest workload.
type ProfileReport struct {
	Workload string  `json:"workload"`
	Ratio    float64 `json:"ratio"`
	Versus   string  `json:"versus,omitempty"` // what Ratio compares: "prismd/MinIO"
	Path     string  `json:"path,omitempty"`
	Top      string  `json:"top,omitempty"`
	Err      string  `json:"error,omitempty"`
}

// Report is the outcome of Standard.
type Report struct {
	Machine    Machine     `json:"machine"`
	Started    time.Time   `json:"started"`
	ElapsedSec float64     `json:"elapsed_s"`
	Commands   []string    `json:"commands"`
	Sets       []PolicySet `json:"sets"`
	// Relay is the standard workloads through a plain relay in front of
	// region-1 against direct: what passing bytes through any one process
	// costs on this machine.
	Relay []*Comparison `json:"relay,omitempty"`
	// MinIO is prismd over fs regions against MinIO (issue 15).
	MinIO *MinIOReport `json:"minio,omitempty"`
	// WAN is prismd over regions made distant against the ideal (issue 15).
	WAN    *WANReport    `json:"wan,omitempty"`
	Memory *MemoryReport `json:"memory,omitempty"`
	// Shipping is the figures of the log shipped to the regions and
	// prismd replay (issue 10).
	Shipping *ShippingReport `json:"shipping,omitempty"`
	Profile  *ProfileReport  `json:"profile,omitempty"`
	GoBench  []GoBenchRun    `json:"go_bench,omitempty"`
	Targets  []Target        `json:"targets"`
	// Errors are steps that could not run; the report has what did.
	Errors []string `json:"errors,omitempty"`

	// Authz is what a bucket policy costs a signed GET (issue 13).
	Authz *AuthzReport `json:"authz,omitempty"`
	// Aging is a gateway that has served many PUTs against a fresh one.
	Aging *AgingReport `json:"aging,omitempty"`
}

// Standard runs the standard set. It stops every process it started (by
// PID) before it returns, also on error. A step that fails is recorded in
// Report.Errors and the others still run, so the report says as much as
// can be said; Standard returns an error only when the regions cannot start.
func Standard(ctx context.Context, cfg StandardConfig) (*Report, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	rep := &Report{Started: time.Now(), Machine: probeMachine(cfg.GoBin, cfg.PrismdBin)}
	defer func() { rep.ElapsedSec = time.Since(rep.Started).Seconds() }()
	if cfg.WorkDir == "" {
		if cfg.WorkDir, err = os.MkdirTemp("", "prismd-bench-"); err != nil {
			return nil, err
		}
		if !cfg.KeepWorkDir {
			defer os.RemoveAll(cfg.WorkDir)
		}
	}
	if cfg.OutDir == "" {
		cfg.OutDir = cfg.WorkDir
	}
	logf := func(format string, args ...any) { fmt.Fprintf(cfg.Log, "bench: "+format+"\n", args...) }

	var regions []*Versity
	defer func() {
		for _, r := range regions {
			r.Stop(5 * time.Second)
		}
	}()
	for i := range 3 {
		if !cfg.needsRegions() {
			break
		}
		name := fmt.Sprintf("region-%d", i+1)
		r, err := StartVersity(ctx, cfg.VersityBin, name, filepath.Join(cfg.WorkDir, name))
		if err != nil {
			return rep, err
		}
		logf("%s: versitygw pid %d on %s", name, r.PID(), r.Endpoint)
		regions = append(regions, r)
		if i == 0 {
			rep.Commands = append(rep.Commands, "# region-1 (region-2 and region-3 alike, each its own port and directory)", r.Command)
		}
	}

	s := &standard{cfg: cfg, rep: rep, regions: regions, logf: logf}
	if cfg.runs("minio") {
		s.minioSet(ctx)
	}
	if cfg.runs("aging") {
		s.agingSet(ctx)
	}
	for _, policy := range StandardPolicies {
		if cfg.runs(policy) {
			s.policySet(ctx, policy)
		}
	}
	if cfg.runs("relay") {
		s.relaySet(ctx)
	}
	if cfg.runs("wan") {
		s.wanSet(ctx)
	}
	if cfg.runs("memory") {
		s.memory(ctx)
	}
	if cfg.runs("shipping") {
		s.shippingSet(ctx)
	}
	if cfg.runs("authz") {
		s.authzSet(ctx)
	}
	if cfg.SourceDir != "" && cfg.runs("go") {
		// Quiet machine: the regions are not needed any more.
		for _, r := range regions {
			r.Stop(5 * time.Second)
		}
		s.goBench(ctx)
	}
	rep.Targets = evaluateTargets(rep)
	return rep, ctx.Err()
}

type standard struct {
	cfg     StandardConfig
	rep     *Report
	regions []*Versity
	logf    func(string, ...any)
}

const (
	gatewayAccessKey = "benchadmin"
	gatewaySecretKey = "benchadmin-secret-0123456789"
)

// gatewayConfig is prismd.toml for policy over the three regions; with
// redact the secrets are elided (for the report).
func (s *standard) gatewayConfig(policy string, redact bool) string {
	var urls []string
	for _, r := range s.regions {
		urls = append(urls, r.Endpoint)
	}
	return s.gatewayConfigAt(policy, urls, redact)
}

// gatewayConfigAt is gatewayConfig with region i reached at urls[i] (a
// Shaper in front of it, say).
func (s *standard) gatewayConfigAt(policy string, urls []string, redact bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "data_dir = \"data\"\nlog_level = \"warn\"\npurge_delay = \"0s\"\n\n[policy]\nmode = %q\ndata_shards = 2\nparity_shards = 1\nhybrid_threshold = \"1MiB\"\nplacement = \"shuffle\"\n", policy)
	for i, r := range s.regions {
		secret := r.SecretKey
		if redact {
			secret = "…"
		}
		fmt.Fprintf(&b, "\n[[region]]\nname = \"region-%d\"\ntype = \"s3\"\nendpoint = %q\nregion = %q\naccess_key = %q\nsecret_key = %q\npath_style = true\n",
			i+1, urls[i], DefaultRegion, r.AccessKey, secret)
	}
	return b.String()
}

func (s *standard) startGateway(ctx context.Context, name, policy string) (*Gateway, error) {
	dir := filepath.Join(s.cfg.WorkDir, name)
	g, err := StartGateway(ctx, s.cfg.PrismdBin, dir, s.gatewayConfig(policy, false), gatewayAccessKey, gatewaySecretKey)
	if err != nil {
		return nil, err
	}
	s.logf("%s: prismd serve pid %d on %s (%s 2+1)", name, g.PID(), g.Endpoint, policy)
	return g, nil
}

// discard removes dir, the data of a part that is over, unless the work
// directory is kept: the parts that write tens of gigabytes (MinIO, aging)
// leave the disk to the next.
func (s *standard) discard(dir string) {
	if s.cfg.KeepWorkDir {
		return
	}
	if err := os.RemoveAll(dir); err != nil {
		s.logf("remove %s: %v", dir, err)
	}
}

// endpoints returns the gateway g and, as the baseline, region-1, each
// with the processes behind it: g and the three regions, region-1 alone.
func (s *standard) endpoints(g *Gateway, bucket string) (Endpoint, *Endpoint) {
	r := s.regions[0]
	direct := Endpoint{Name: "direct", URL: r.Endpoint, AccessKey: r.AccessKey, SecretKey: r.SecretKey, Bucket: "direct-" + bucket,
		Processes: []ServerProcess{{Role: RoleRegion, PID: r.PID()}}}
	target := Endpoint{Name: "prismd", URL: g.Endpoint, AccessKey: g.AccessKey, SecretKey: g.SecretKey, Bucket: bucket,
		Processes: []ServerProcess{{Role: RoleGateway, PID: g.PID()}}}
	for _, reg := range s.regions {
		target.Processes = append(target.Processes, ServerProcess{Role: RoleRegion, PID: reg.PID()})
	}
	return target, &direct
}

func bucketName(policy string, w Workload) string {
	return strings.ToLower(fmt.Sprintf("%s-%s-%s-c%d", policy, w.Op, FormatSize(w.Size), w.Concurrency))
}

func (s *standard) fail(step string, err error) {
	s.logf("%s: %v", step, err)
	s.rep.Errors = append(s.rep.Errors, fmt.Sprintf("%s: %v", step, err))
}

func (s *standard) policySet(ctx context.Context, policy string) {
	set := PolicySet{Policy: policy, Config: s.gatewayConfig(policy, true)}
	defer func() { s.rep.Sets = append(s.rep.Sets, set) }()
	g, err := s.startGateway(ctx, "gateway-"+policy, policy)
	if err != nil {
		s.fail(policy, err)
		return
	}
	defer g.Stop(30 * time.Second)
	if len(s.rep.Sets) == 0 {
		s.rep.Commands = append(s.rep.Commands, "# the gateway (prismd.toml below)", g.Command)
	}
	for _, w := range standardWorkloads() {
		w.Duration = s.cfg.RoundDuration * time.Duration(s.cfg.Rounds)
		target, base := s.endpoints(g, bucketName(policy, w))
		c, err := Compare(ctx, Config{Target: target, Baseline: base, Workload: w, Rounds: s.cfg.Rounds, Progress: s.cfg.Progress, Label: policy + " " + w.String()})
		if err != nil {
			s.fail(policy+" "+w.String(), err)
			continue
		}
		s.logf("%s: prismd %.1f MiB/s %.0f obj/s, direct %.1f MiB/s %.0f obj/s, ratio %.2f", c.Label,
			c.Target.Total.MiBPerSec, c.Target.Total.OpsPerSec, c.Baseline.Total.MiBPerSec, c.Baseline.Total.OpsPerSec, c.Ratios.OpsPerSec)
		set.Comparisons = append(set.Comparisons, c)
	}
	if policy == StandardPolicies[0] && s.cfg.ProfileSeconds > 0 && s.rep.Profile == nil {
		s.profile(ctx, g, set.Comparisons, func(w Workload) Endpoint {
			target, _ := s.endpoints(g, bucketName(policy, w))
			return target
		}, "prismd/direct")
	}
}

// relaySet runs the standard workloads through a plain relay in front of
// region-1 against direct, the relay counted as the gateway.
func (s *standard) relaySet(ctx context.Context) {
	r := s.regions[0]
	relay, err := StartRelay(ctx, s.cfg.PrismdBin, filepath.Join(s.cfg.WorkDir, "relay"), r.Endpoint)
	if err != nil {
		s.fail("relay", err)
		return
	}
	defer relay.Stop(5 * time.Second)
	s.logf("relay: pid %d on %s in front of region-1", relay.PID(), relay.Endpoint)
	s.rep.Commands = append(s.rep.Commands, "# the plain relay in front of region-1", relay.Command)
	for _, w := range standardWorkloads() {
		w.Duration = s.cfg.RoundDuration * time.Duration(s.cfg.Rounds)
		bucket := bucketName("relay", w)
		target := Endpoint{Name: "relay", URL: relay.Endpoint, AccessKey: r.AccessKey, SecretKey: r.SecretKey, Bucket: bucket,
			Processes: []ServerProcess{{Role: RoleGateway, PID: relay.PID()}, {Role: RoleRegion, PID: r.PID()}}}
		base := Endpoint{Name: "direct", URL: r.Endpoint, AccessKey: r.AccessKey, SecretKey: r.SecretKey, Bucket: "direct-" + bucket,
			Processes: []ServerProcess{{Role: RoleRegion, PID: r.PID()}}}
		c, err := Compare(ctx, Config{Target: target, Baseline: &base, Workload: w, Rounds: s.cfg.Rounds, Progress: s.cfg.Progress, Label: "relay " + w.String()})
		if err != nil {
			s.fail("relay "+w.String(), err)
			continue
		}
		s.logf("%s: relay %.1f MiB/s %.0f obj/s, direct %.1f MiB/s %.0f obj/s, ratio %.2f", c.Label,
			c.Target.Total.MiBPerSec, c.Target.Total.OpsPerSec, c.Baseline.Total.MiBPerSec, c.Baseline.Total.OpsPerSec, c.Ratios.OpsPerSec)
		s.rep.Relay = append(s.rep.Relay, c)
	}
}

// profile reruns the workload of cs with the lowest ops/s ratio (vs, e.g.
// "prismd/direct") against the gateway alone, at its endpoint target(w),
// while taking a CPU profile of it.
func (s *standard) profile(ctx context.Context, g *Gateway, cs []*Comparison, target func(Workload) Endpoint, vs string) {
	var slow *Comparison
	for _, c := range cs {
		if c.Valid && (slow == nil || c.Ratios.OpsPerSec < slow.Ratios.OpsPerSec) {
			slow = c
		}
	}
	if slow == nil {
		return
	}
	pr := &ProfileReport{Workload: slow.Label, Ratio: slow.Ratios.OpsPerSec, Versus: vs}
	s.rep.Profile = pr
	url := s.cfg.PprofURL
	if url == "" {
		url = g.Admin + "/debug/pprof/profile"
	}
	token, err := g.AdminToken()
	if err != nil {
		pr.Err = err.Error()
		return
	}
	url = fmt.Sprintf("%s?seconds=%d", url, s.cfg.ProfileSeconds)
	w := slow.Target.Workload
	w.Duration = time.Duration(s.cfg.ProfileSeconds+2) * time.Second
	w.Ops = 0
	done := make(chan error, 1)
	go func() {
		_, err := Run(ctx, Config{Target: target(w), Workload: w, Label: "profile " + slow.Label, Progress: s.cfg.Progress})
		done <- err
	}()
	time.Sleep(time.Second) // let the workload reach its steady state
	s.logf("profiling %s: %s", slow.Label, url)
	path := filepath.Join(s.cfg.OutDir, "cpu-"+fileName(slow.Label)+".pprof")
	err = fetch(ctx, url, token, path, time.Duration(s.cfg.ProfileSeconds+30)*time.Second)
	if runErr := <-done; err == nil && runErr != nil {
		err = runErr
	}
	if err != nil {
		pr.Err = err.Error()
		s.logf("profile: %v", err)
		return
	}
	pr.Path = path
	for _, args := range [][]string{{"-top", "-nodecount=25"}, {"-top", "-cum", "-nodecount=40"}} {
		cmd := append([]string{"tool", "pprof"}, args...)
		out, err := exec.CommandContext(ctx, s.cfg.GoBin, append(cmd, path)...).CombinedOutput()
		if err != nil {
			pr.Err = fmt.Sprintf("go tool pprof: %v: %s", err, out)
			return
		}
		pr.Top += fmt.Sprintf("$ go tool pprof %s %s\n%s\n", strings.Join(args, " "), filepath.Base(path), out)
	}
}

// fileName turns a label into a file name: lower case, runs of anything
// but letters and digits made one '-'.
func fileName(label string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(label) {
		if ('a' <= r && r <= 'z') || ('0' <= r && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// fetch GETs url into path, with a bearer token when token is not "".
func fetch(ctx context.Context, url, token, path string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
		return fmt.Errorf("GET %s: %s %s (the gateway needs a /debug/pprof/profile endpoint)", url, resp.Status, strings.TrimSpace(string(body)))
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// memory starts a fresh gateway (erasure), runs 1 MiB objects, reads its
// peak RSS, then runs LargeSize objects and reads it again.
func (s *standard) memory(ctx context.Context) {
	g, err := s.startGateway(ctx, "gateway-memory", "erasure")
	if err != nil {
		s.fail("memory", err)
		return
	}
	defer g.Stop(30 * time.Second)
	const conc = 2
	m := &MemoryReport{Concurrency: conc, SmallSize: 1 << 20, LargeSize: s.cfg.LargeSize}
	s.rep.Memory = m
	phase := func(size int64, ops int64) bool {
		for _, w := range []Workload{
			{Op: OpPut, Size: size, Concurrency: conc, Ops: ops, Duration: 5 * time.Minute},
			{Op: OpGet, Size: size, Concurrency: conc, Ops: ops, Objects: 2, Duration: 5 * time.Minute},
		} {
			target, base := s.endpoints(g, "memory-"+bucketName("erasure", w))
			c, err := Compare(ctx, Config{Target: target, Baseline: base, Workload: w, Rounds: 1, Progress: s.cfg.Progress, Label: "memory " + w.String()})
			if err != nil {
				s.fail("memory "+w.String(), err)
				return false
			}
			s.logf("%s: prismd %.1f MiB/s, direct %.1f MiB/s", c.Label, c.Target.Total.MiBPerSec, c.Baseline.Total.MiBPerSec)
			m.Comparisons = append(m.Comparisons, c)
		}
		return true
	}
	if !phase(m.SmallSize, 32) {
		return
	}
	if m.PeakRSSSmall, err = PeakRSS(g.PID()); err != nil {
		s.fail("memory: peak RSS", err)
		return
	}
	if !phase(m.LargeSize, 4) {
		return
	}
	if m.PeakRSSLarge, err = PeakRSS(g.PID()); err != nil {
		s.fail("memory: peak RSS", err)
		return
	}
	m.PeakRSSGrowth = ratio(float64(m.PeakRSSLarge), float64(m.PeakRSSSmall))
	s.logf("memory: peak RSS %d MiB after 1 MiB objects, %d MiB after %s objects", m.PeakRSSSmall>>20, m.PeakRSSLarge>>20, FormatSize(m.LargeSize))
}

func (s *standard) goBench(ctx context.Context) {
	for _, c := range StandardGoBenchmarks {
		s.logf("%s", c)
		r := runGoBench(ctx, s.cfg.GoBin, s.cfg.SourceDir, c, 5*time.Minute)
		if r.Err != "" {
			s.fail(c.String(), errors.New(r.Err+"\n"+lastLines(r.Output, 20)))
		}
		s.rep.GoBench = append(s.rep.GoBench, r)
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
