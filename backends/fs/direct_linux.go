package fs

import (
	"os"

	"golang.org/x/sys/unix"
)

// openDirect opens name for writing with O_DIRECT where the filesystem
// supports it (direct true), else without.
func openDirect(name string, flag int, perm os.FileMode) (f *os.File, direct bool, err error) {
	f, err = os.OpenFile(name, flag|unix.O_DIRECT, perm)
	if err == nil {
		return f, true, nil
	}
	f, err = os.OpenFile(name, flag, perm)
	return f, false, err
}

// setDirect turns O_DIRECT on or off on an open file.
func setDirect(f *os.File, on bool) error {
	fd := int(f.Fd())
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil {
		return err
	}
	if on {
		fl |= unix.O_DIRECT
	} else {
		fl &^= unix.O_DIRECT
	}
	_, err = unix.FcntlInt(uintptr(fd), unix.F_SETFL, fl)
	return err
}
