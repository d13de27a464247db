//go:build !linux

package bench

import (
	"errors"
	"os/exec"
	"time"
)

func setParentDeathSignal(*exec.Cmd) {}

// writeBack does nothing here; on Linux it is sync(2).
func writeBack() {}

// errNoCPU says that CPU time is only measured on Linux.
var errNoCPU = errors.New("bench: CPU time is measured on Linux only")

func processCPU(int) (time.Duration, error) { return 0, errNoCPU }

func selfCPU() (time.Duration, error) { return 0, errNoCPU }
