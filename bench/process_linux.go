package bench

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// setParentDeathSignal kills the child if the bench process dies first, so
// that an interrupted run leaves nothing behind.
func setParentDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// writeBack writes the machine's dirty page cache to disk and waits for it
// (sync(2)). Every timed run starts with it, untimed. A server that does
// not fsync each object leaves it dirty, and the kernel writes it back
// once gigabytes have piled up, at a moment that has nothing to do with
// the run: measured here, that doubled or halved a round's throughput,
// charged to whichever side ran then. Each side's own writes are still
// made durable on its time only when it syncs them itself, as prismd does
// before it answers.
func writeBack() { syscall.Sync() }

// clockTicks is the unit of utime and stime in /proc/PID/stat, per second:
// sysconf(_SC_CLK_TCK), which Go cannot call without cgo (golang.org/x/sys
// has no Sysconf on Linux). It is assumed to be 100, the USER_HZ of every
// architecture Go runs Linux on.
const clockTicks = 100

// processCPU returns the CPU time (user + system, all threads) process pid
// has spent: fields 14 and 15 of /proc/PID/stat, in clock ticks.
func processCPU(pid int) (time.Duration, error) {
	path := fmt.Sprintf("/proc/%d/stat", pid)
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	// Field 2, the command, is in parentheses and may hold spaces and
	// parentheses: field 3 on follow the last ')'.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, fmt.Errorf("%s: no ')' in %q", path, data)
	}
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("%s: %d fields after the command, want at least 13", path, len(f))
	}
	var ticks int64
	for _, s := range f[11:13] { // utime and stime, fields 14 and 15
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", path, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
}

// selfCPU returns the CPU time (user + system, all threads) the bench
// process has spent.
func selfCPU() (time.Duration, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, fmt.Errorf("getrusage: %w", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}
