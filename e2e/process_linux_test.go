package e2e

import (
	"os/exec"
	"syscall"
)

// setParentDeathSignal kills a prismd started by a test when the test
// process dies first (a test binary killed on timeout leaves no server
// behind).
func setParentDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
