package bench

import (
	"context"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prismd/prismd/engine"
	plog "github.com/prismd/prismd/log"
	"github.com/prismd/prismd/projections"
)

// ShippingReport holds the figures of issue 10: a gateway of many objects
// rebuilt by `prismd replay` from three local versitygw regions, the log's
// lag behind a steady PUT load (the RPO), and PUT throughput with shipping
// on against off in the same run.
type ShippingReport struct {
	Objects int    `json:"objects"`
	Events  uint64 `json:"events"`
	// SnapshotBytes is the size of the gateway's snapshot.
	SnapshotBytes int64 `json:"snapshot_bytes"`
	// ShipSeconds is from the populated gateway answering /health until
	// every region held its snapshot and log.
	ShipSeconds float64 `json:"ship_s"`
	// ReplaySeconds is the wall time of `prismd replay`; Restored the
	// objects it reported.
	ReplaySeconds float64 `json:"replay_s"`
	Restored      int     `json:"restored"`
	ReplayCommand string  `json:"replay_command"`
	// RPO is the largest lag (seconds) of any region's shipping observed
	// every 100 ms during the shipping-on PUT load; RPOMedian the median of
	// the samples' largest lags.
	RPO        float64 `json:"rpo_s"`
	RPOMedian  float64 `json:"rpo_median_s"`
	RPOSamples int     `json:"rpo_samples"`
	// Throughput is PUT 4 KiB c32 with shipping on (target) against off
	// (baseline), on two gateways over the same regions.
	Throughput *Comparison `json:"throughput,omitempty"`
}

// shippingSet measures ShippingReport into the report.
func (s *standard) shippingSet(ctx context.Context) {
	rep := &ShippingReport{Objects: s.cfg.ShippingObjects}
	s.rep.Shipping = rep
	if err := s.replayBench(ctx, rep); err != nil {
		s.fail("replay", err)
	}
	if err := s.rpoBench(ctx, rep); err != nil {
		s.fail("shipping throughput", err)
	}
}

// replayBench populates a gateway of rep.Objects objects (a snapshot of
// nine tenths of them, the rest in the log after it), lets `prismd serve`
// ship it to the regions, loses its data directory and times `prismd
// replay`.
func (s *standard) replayBench(ctx context.Context, rep *ShippingReport) error {
	dir := filepath.Join(s.cfg.WorkDir, "replay")
	dataDir := filepath.Join(dir, "data")
	keyFile := filepath.Join(dir, "master.key")
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(keyFile, []byte(strings.Repeat("ab", 32)+"\n"), 0o600); err != nil {
		return err
	}
	start := time.Now()
	var err error
	if rep.Events, rep.SnapshotBytes, err = populate(dataDir, rep.Objects, s.regionNames()); err != nil {
		return fmt.Errorf("populate: %w", err)
	}
	s.logf("replay: populated %d objects (%d events, snapshot %s) in %.1fs", rep.Objects, rep.Events, FormatSize(rep.SnapshotBytes), time.Since(start).Seconds())
	cfg := s.gatewayConfig("erasure", false) + fmt.Sprintf("master_key_file = %q\n", keyFile)
	cfg = moveTopLevel(cfg)
	g, err := StartGatewayWithin(ctx, s.cfg.PrismdBin, dir, cfg, gatewayAccessKey, gatewaySecretKey, 5*time.Minute)
	if err != nil {
		return err
	}
	shipStart := time.Now()
	err = waitShipped(ctx, g.Admin, len(s.regions), 10*time.Minute)
	rep.ShipSeconds = time.Since(shipStart).Seconds()
	g.Stop(time.Minute)
	if err != nil {
		return err
	}
	s.logf("replay: shipped to %d regions in %.1fs", len(s.regions), rep.ShipSeconds)
	for _, name := range []string{"log", "snapshots", "gateway.json", "credentials"} {
		os.RemoveAll(filepath.Join(dataDir, name))
	}
	cmd := exec.CommandContext(ctx, s.cfg.PrismdBin, "replay", "--config", filepath.Join(dir, "prismd.toml"), "--json")
	rep.ReplayCommand = "prismd replay --config prismd.toml --json"
	replayStart := time.Now()
	out, err := cmd.Output()
	rep.ReplaySeconds = time.Since(replayStart).Seconds()
	if err != nil {
		return fmt.Errorf("prismd replay: %w: %s", err, out)
	}
	var res struct {
		Objects int `json:"objects"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		return fmt.Errorf("prismd replay output: %w: %s", err, out)
	}
	rep.Restored = res.Objects
	s.logf("replay: restored %d objects in %.1fs", rep.Restored, rep.ReplaySeconds)
	return nil
}

// moveTopLevel puts the config's last line (a top-level key appended after
// the tables) before the first table.
func moveTopLevel(cfg string) string {
	lines := strings.Split(strings.TrimRight(cfg, "\n"), "\n")
	last := lines[len(lines)-1]
	lines = lines[:len(lines)-1]
	i := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "[") })
	lines = slices.Insert(lines, i, last)
	return strings.Join(lines, "\n") + "\n"
}

func (s *standard) regionNames() []string {
	var names []string
	for i := range s.regions {
		names = append(names, fmt.Sprintf("region-%d", i+1))
	}
	return names
}

// populate writes a data directory of n objects of 4 KiB in bucket
// "replay": a snapshot holding nine tenths of them, the rest as events in
// the log after it (PutStarted, three ShardWritten, ObjectCommitted each).
// The shards themselves are not written: a restore reads the log only.
func populate(dataDir string, n int, regions []string) (events uint64, snapBytes int64, err error) {
	l, err := plog.Open(filepath.Join(dataDir, "log"), plog.Options{NoSync: true})
	if err != nil {
		return 0, 0, err
	}
	defer l.Close()
	state := projections.New()
	l.SetApply(func(r plog.Record) error { return state.Apply(r.Index, r.Time, r.Event) }, state.Publish)
	ctx := context.Background()
	if _, err := l.Append(ctx, plog.BucketCreated{Bucket: "replay", Created: time.Now().UnixNano()}); err != nil {
		return 0, 0, err
	}
	const perAppend = 500
	snapAt := n * 9 / 10
	var batch []plog.Event
	for i := 0; i < n; i++ {
		batch = append(batch, objectEvents(i, regions)...)
		if len(batch) == perAppend*5 || i == n-1 || i == snapAt-1 {
			if _, err := l.Append(ctx, batch...); err != nil {
				return 0, 0, err
			}
			batch = batch[:0]
		}
		if i == snapAt-1 {
			v := state.View()
			snapDir := filepath.Join(dataDir, "snapshots")
			if err := plog.WriteSnapshot(snapDir, v.Applied(), v.AppliedTime(), v.WriteSnapshot); err != nil {
				return 0, 0, err
			}
			fi, err := os.Stat(filepath.Join(snapDir, plog.SnapshotName(v.Applied())))
			if err != nil {
				return 0, 0, err
			}
			snapBytes = fi.Size()
			if err := l.TruncateFront(v.Applied()); err != nil {
				return 0, 0, err
			}
		}
	}
	return l.LastIndex(), snapBytes, engine.WriteIdentity(dataDir, engine.Identity{Gateway: "gw-bench-replay", Timeline: 1})
}

// objectEvents are the events of one 4 KiB object stored as 2+1.
func objectEvents(i int, regions []string) []plog.Event {
	var id plog.BlobID
	binary.BigEndian.PutUint64(id[8:], uint64(i)+1)
	key := fmt.Sprintf("obj/%08d", i)
	sum := md5.Sum([]byte(key))
	evs := []plog.Event{plog.PutStarted{Blob: id, Bucket: "replay", Key: key, Size: 4096,
		Layout: plog.Layout{K: 2, M: 1, BlockSize: 256 << 10, SegmentSize: 64 << 20, Hash: plog.HashXXH3}, Placement: regions}}
	for sh, r := range regions {
		evs = append(evs, plog.ShardWritten{Blob: id, Shard: sh, Region: r})
	}
	return append(evs, plog.ObjectCommitted{Bucket: "replay", Key: key, Blob: id,
		Meta: plog.ObjectMeta{Size: 4096, ETag: hex.EncodeToString(sum[:]), ModTime: time.Now().UnixNano()}})
}

// shippingHealth is the part of /health shipping is read from.
type shippingHealth struct {
	Shipping []struct {
		Region     string  `json:"region"`
		Shipped    uint64  `json:"shipped_index"`
		LagEvents  uint64  `json:"lag_events"`
		LagSeconds float64 `json:"lag_seconds"`
		Error      string  `json:"error"`
	} `json:"shipping"`
}

func readShipping(ctx context.Context, admin string) (shippingHealth, error) {
	var h shippingHealth
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, admin+"/health", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return h, err
	}
	defer resp.Body.Close()
	return h, json.NewDecoder(resp.Body).Decode(&h)
}

// waitShipped waits until regions regions hold the gateway's whole log.
func waitShipped(ctx context.Context, admin string, regions int, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		h, err := readShipping(ctx, admin)
		done := 0
		for _, s := range h.Shipping {
			if s.LagEvents == 0 && s.Shipped > 0 && s.Error == "" {
				done++
			}
		}
		if err == nil && done == regions {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("%w: the log did not reach every region within %v (%+v, %v)", ErrProcess, limit, h, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// rpoBench runs PUT 4 KiB c32 against a gateway that ships its log and one
// that does not, interleaved, over the same regions, while sampling the
// shipping gateway's lag every 100 ms.
func (s *standard) rpoBench(ctx context.Context, rep *ShippingReport) error {
	on, err := s.startGatewayConfig(ctx, "ship-on", s.gatewayConfig("erasure", false))
	if err != nil {
		return err
	}
	defer on.Stop(30 * time.Second)
	off, err := s.startGatewayConfig(ctx, "ship-off", moveTopLevel(s.gatewayConfig("erasure", false)+"ship_interval = \"0s\"\n"))
	if err != nil {
		return err
	}
	defer off.Stop(30 * time.Second)
	w := Workload{Op: OpPut, Size: 4 << 10, Concurrency: 32, Duration: s.cfg.RoundDuration * time.Duration(s.cfg.Rounds)}
	target := Endpoint{Name: "shipping on", URL: on.Endpoint, AccessKey: on.AccessKey, SecretKey: on.SecretKey, Bucket: "ship-on",
		Processes: []ServerProcess{{Role: RoleGateway, PID: on.PID()}}}
	base := Endpoint{Name: "shipping off", URL: off.Endpoint, AccessKey: off.AccessKey, SecretKey: off.SecretKey, Bucket: "ship-off",
		Processes: []ServerProcess{{Role: RoleGateway, PID: off.PID()}}}
	sampleCtx, stop := context.WithCancel(ctx)
	var lags []float64
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-sampleCtx.Done():
				return
			case <-t.C:
			}
			h, err := readShipping(sampleCtx, on.Admin)
			if err != nil {
				continue
			}
			worst := 0.0
			for _, r := range h.Shipping {
				worst = max(worst, r.LagSeconds)
			}
			lags = append(lags, worst)
		}
	})
	c, err := Compare(ctx, Config{Target: target, Baseline: &base, Workload: w, Rounds: s.cfg.Rounds, Progress: s.cfg.Progress, Label: "PUT 4KiB c32, shipping on/off"})
	stop()
	wg.Wait()
	if err != nil {
		return err
	}
	rep.Throughput = c
	if len(lags) > 0 {
		slices.Sort(lags)
		rep.RPO, rep.RPOMedian, rep.RPOSamples = lags[len(lags)-1], lags[len(lags)/2], len(lags)
	}
	s.logf("shipping: PUT 4KiB c32 on/off %.2f, RPO max %.2fs median %.2fs over %d samples", c.Ratios.OpsPerSec, rep.RPO, rep.RPOMedian, rep.RPOSamples)
	return nil
}

func (s *standard) startGatewayConfig(ctx context.Context, name, config string) (*Gateway, error) {
	g, err := StartGateway(ctx, s.cfg.PrismdBin, filepath.Join(s.cfg.WorkDir, name), config, gatewayAccessKey, gatewaySecretKey)
	if err != nil {
		return nil, err
	}
	s.logf("%s: prismd serve pid %d on %s", name, g.PID(), g.Endpoint)
	return g, nil
}
