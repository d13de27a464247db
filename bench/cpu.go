package bench

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Roles of the server processes behind an Endpoint.
const (
	RoleGateway = "gateway" // prismd serve
	RoleRegion  = "region"  // a backend region (versitygw)
)

// ServerProcess is a process on this machine that serves an Endpoint; every
// run measures the CPU time it spends.
type ServerProcess struct {
	// Role is RoleGateway or RoleRegion.
	Role string `json:"role"`
	PID  int    `json:"pid"`
}

// CPU is the CPU time (user + system) spent while a workload ran — the
// timed part, not Prepare — summed over rounds, by role.
type CPU struct {
	// Seconds is CPU time in seconds.
	Seconds CPUByRole `json:"seconds"`
	// MsPerOp is Seconds in milliseconds per operation (succeeded or failed).
	MsPerOp CPUByRole `json:"ms_per_op"`
}

// CPUByRole is one figure per role. Client is the bench process itself;
// Gateway sums the endpoint's processes of role gateway, Regions those of
// role region (0 when it lists none); Total sums the three.
type CPUByRole struct {
	Client  float64 `json:"client"`
	Gateway float64 `json:"gateway"`
	Regions float64 `json:"regions"`
	Total   float64 `json:"total"`
}

// cpuSample is the CPU time spent so far by the client and by the server
// processes of each role.
type cpuSample struct{ client, gateway, regions time.Duration }

// sampleCPU reads the CPU time of the bench process and of procs; ok is
// false when any of them cannot be read (not Linux, no /proc, a process
// that has exited).
func sampleCPU(procs []ServerProcess) (s cpuSample, ok bool) {
	var err error
	if s.client, err = selfCPU(); err != nil {
		return s, false
	}
	for _, p := range procs {
		d, err := processCPU(p.PID)
		if err != nil {
			return s, false
		}
		if p.Role == RoleGateway {
			s.gateway += d
		} else {
			s.regions += d
		}
	}
	return s, true
}

// cpuBetween is the CPU spent from before to after, or nil when either
// sample could not be read.
func cpuBetween(before, after cpuSample, ok bool) *CPU {
	if !ok {
		return nil
	}
	return &CPU{Seconds: CPUByRole{
		Client:  (after.client - before.client).Seconds(),
		Gateway: (after.gateway - before.gateway).Seconds(),
		Regions: (after.regions - before.regions).Seconds(),
	}}
}

// add adds another round's CPU time.
func (c *CPU) add(o *CPU) {
	c.Seconds.Client += o.Seconds.Client
	c.Seconds.Gateway += o.Seconds.Gateway
	c.Seconds.Regions += o.Seconds.Regions
}

// finish computes the totals and the figures per operation of ops operations.
func (c *CPU) finish(ops int64) {
	s := &c.Seconds
	s.Total = s.Client + s.Gateway + s.Regions
	c.MsPerOp = CPUByRole{}
	if ops <= 0 {
		return
	}
	perOp := func(sec float64) float64 { return math.Round(sec*1e6/float64(ops)) / 1000 }
	c.MsPerOp = CPUByRole{Client: perOp(s.Client), Gateway: perOp(s.Gateway), Regions: perOp(s.Regions), Total: perOp(s.Total)}
}

// cpuCeiling is baseline / (target − target's gateway) in total CPU per
// operation: the target/baseline ops/s ratio the target would reach on a
// machine whose CPUs all these processes share if its gateway cost
// nothing. It is 0 unless the target measured a gateway and the baseline
// a region.
func cpuCeiling(target, baseline *CPU) float64 {
	if target == nil || baseline == nil || target.MsPerOp.Gateway == 0 || baseline.MsPerOp.Regions == 0 {
		return 0
	}
	return ratio(baseline.MsPerOp.Total, target.MsPerOp.Total-target.MsPerOp.Gateway)
}

// cpuSummary describes c in one line: "0.578 ms/op (client 0.108,
// gateway 0.200, regions 0.270)"; roles without CPU are left out.
func cpuSummary(c *CPU) string {
	m := c.MsPerOp
	parts := []string{fmt.Sprintf("client %.3f", m.Client)}
	if m.Gateway > 0 {
		parts = append(parts, fmt.Sprintf("gateway %.3f", m.Gateway))
	}
	if m.Regions > 0 {
		parts = append(parts, fmt.Sprintf("regions %.3f", m.Regions))
	}
	return fmt.Sprintf("%.3f ms/op (%s)", m.Total, strings.Join(parts, ", "))
}
