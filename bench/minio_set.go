package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"
)

// MinIOReport is prismd over three fs regions against MinIO over three
// drive directories, both erasure 2+1 on this machine's disk, each
// workload in interleaved rounds of the same run (issue 15).
type MinIOReport struct {
	// Config is the gateway's prismd.toml.
	Config string `json:"config"`
	// Command starts the MinIO server.
	Command     string        `json:"command"`
	Comparisons []*Comparison `json:"comparisons"`
}

// MixedWorkload is the mixed workload of the MinIO comparison: 70 % GET,
// 20 % PUT, 10 % DELETE, sizes uniform in 1 KiB–16 MiB.
func MixedWorkload() Workload {
	return Workload{Op: OpMixed, Size: 1 << 10, MaxSize: 16 << 20, GetRatio: 0.7, DeleteRatio: 0.1, Concurrency: 8, Objects: 32}
}

// minioWorkloads are the standard workloads and the mixed one.
func minioWorkloads() []Workload { return append(standardWorkloads(), MixedWorkload()) }

// fsGatewayConfig is prismd.toml for erasure 2+1 over three fs regions under dir.
func fsGatewayConfig(dir string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "data_dir = \"data\"\nlog_level = \"warn\"\npurge_delay = \"0s\"\n\n[policy]\nmode = \"erasure\"\ndata_shards = 2\nparity_shards = 1\nplacement = \"shuffle\"\n")
	for i := range 3 {
		fmt.Fprintf(&b, "\n[[region]]\nname = \"local-%d\"\ntype = \"fs\"\npath = %q\n", i+1, filepath.Join(dir, fmt.Sprintf("region-%d", i+1)))
	}
	return b.String()
}

// minioSet runs the MinIO comparison, then profiles the gateway under the
// workload furthest from its goal (prismd ≥ 1.25 × MinIO).
func (s *standard) minioSet(ctx context.Context) {
	bin := s.cfg.MinIOBin
	if bin == "" {
		var err error
		if bin, err = FindMinIO(); err != nil {
			s.fail("minio", err)
			return
		}
	}
	m, err := StartMinIO(ctx, bin, filepath.Join(s.cfg.WorkDir, "minio"))
	if err != nil {
		s.fail("minio", err)
		return
	}
	defer func() {
		m.Stop(10 * time.Second)
		s.discard(filepath.Join(s.cfg.WorkDir, "minio"))
	}()
	s.logf("minio: pid %d on %s", m.PID(), m.Endpoint)
	dir := filepath.Join(s.cfg.WorkDir, "gateway-fs")
	rep := &MinIOReport{Config: fsGatewayConfig(filepath.Join(dir, "regions")), Command: m.Command}
	s.rep.MinIO = rep
	g, err := StartGateway(ctx, s.cfg.PrismdBin, dir, rep.Config, gatewayAccessKey, gatewaySecretKey)
	if err != nil {
		s.fail("minio: prismd over fs regions", err)
		return
	}
	defer func() {
		g.Stop(30 * time.Second)
		s.discard(dir)
	}()
	s.logf("gateway-fs: prismd serve pid %d on %s (erasure 2+1 over three fs regions)", g.PID(), g.Endpoint)
	target := func(w Workload) Endpoint {
		return Endpoint{Name: "prismd", URL: g.Endpoint, AccessKey: g.AccessKey, SecretKey: g.SecretKey, Bucket: bucketName("fs", w),
			Processes: []ServerProcess{{Role: RoleGateway, PID: g.PID()}}}
	}
	for _, w := range minioWorkloads() {
		w.Duration = s.cfg.RoundDuration * time.Duration(s.cfg.Rounds)
		base := Endpoint{Name: "minio", URL: m.Endpoint, AccessKey: m.AccessKey, SecretKey: m.SecretKey, Bucket: bucketName("minio", w),
			Processes: []ServerProcess{{Role: RoleGateway, PID: m.PID()}}}
		label := "fs erasure " + w.String()
		c, err := Compare(ctx, Config{Target: target(w), Baseline: &base, Workload: w, Rounds: s.cfg.Rounds, Progress: s.cfg.Progress, Label: label})
		if err != nil {
			s.fail(label, err)
			continue
		}
		s.logf("%s: prismd %.1f MiB/s %.0f obj/s, minio %.1f MiB/s %.0f obj/s, ratio %.2f", c.Label,
			c.Target.Total.MiBPerSec, c.Target.Total.OpsPerSec, c.Baseline.Total.MiBPerSec, c.Baseline.Total.OpsPerSec, c.Ratios.OpsPerSec)
		rep.Comparisons = append(rep.Comparisons, c)
	}
	if s.cfg.ProfileSeconds > 0 {
		s.profile(ctx, g, rep.Comparisons, target, "prismd/MinIO")
	}
}
