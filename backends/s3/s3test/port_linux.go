package s3test

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// reservePort claims port for this process until the returned file is
// closed (or the process dies): a lock on a file named after the port, in a
// directory every test process on this machine shares. A port a stopped
// server keeps for its restart is still free to bind, so without this
// another test process's server could take it meanwhile. The files stay
// (empty, at most one per port): removing one while another process opens
// it would let two processes lock different files of the same name.
func reservePort(port int) (*os.File, bool) {
	dir := filepath.Join(os.TempDir(), "prismd-s3test-ports")
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return nil, false
	}
	f, err := os.OpenFile(filepath.Join(dir, fmt.Sprint(port)), os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		return nil, false
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, false
	}
	return f, true
}
