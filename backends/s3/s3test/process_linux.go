package s3test

import (
	"os/exec"
	"syscall"
)

// setParentDeathSignal kills the versitygw process when the test process
// dies first (a test binary killed on timeout leaves no server behind).
func setParentDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
