package bench

import (
	"crypto/sha256"
	"os"
	"testing"
	"time"
)

// TestProcessCPU reads this process's CPU time from /proc/PID/stat after
// burning some, and checks it against getrusage: both count the same
// time, /proc in clock ticks, so wrong fields or a wrong tick rate show.
func TestProcessCPU(t *testing.T) {
	start, err := processCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	before, err := selfCPU()
	if err != nil {
		t.Fatal(err)
	}
	// Burn user time (hashing) and system time (the kernel zeroing
	// buffers), so that a missing utime or stime shows.
	zero, err := os.Open("/dev/zero")
	if err != nil {
		t.Fatal(err)
	}
	defer zero.Close()
	buf := make([]byte, 1<<20)
	sum := sha256.Sum256(nil)
	for now := before; now-before < 300*time.Millisecond; now, _ = selfCPU() {
		for range 10000 {
			sum = sha256.Sum256(sum[:])
		}
		for range 64 {
			if _, err := zero.Read(buf); err != nil {
				t.Fatal(err)
			}
		}
	}
	low, _ := selfCPU()
	got, err := processCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	high, _ := selfCPU()
	if got <= start {
		t.Fatalf("/proc says %v after %v of CPU burnt, %v before", got, low-before, start)
	}
	// Each of utime and stime is truncated to a tick (10 ms).
	const slack = 2 * time.Second / clockTicks
	if got < low-slack || got > high+slack {
		t.Errorf("/proc says %v, getrusage %v to %v", got, low, high)
	}
	if _, err := processCPU(1 << 30); err == nil {
		t.Error("a PID that does not exist has a CPU time")
	}
}

// TestSampleCPU measures the bench process as a gateway and as two
// regions, which it reads after the gateway: regions sum both.
func TestSampleCPU(t *testing.T) {
	procs := []ServerProcess{{Role: RoleGateway, PID: os.Getpid()}, {Role: RoleRegion, PID: os.Getpid()}, {Role: RoleRegion, PID: os.Getpid()}}
	s, ok := sampleCPU(procs)
	if !ok || s.client <= 0 || s.gateway < 0 || s.regions < 2*s.gateway {
		t.Fatalf("sample %+v ok=%v", s, ok)
	}
	if s, _ := sampleCPU(procs[1:]); s.gateway != 0 {
		t.Errorf("regions alone: gateway %v", s.gateway)
	}
	if _, ok := sampleCPU([]ServerProcess{{Role: RoleRegion, PID: 1 << 30}}); ok {
		t.Error("a sample with a process that does not exist is ok")
	}
}
