package bench

import (
	"os/exec"
	"syscall"
)

// setParentDeathSignal kills the child if the bench process dies first, so
// that an interrupted run leaves nothing behind.
func setParentDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
