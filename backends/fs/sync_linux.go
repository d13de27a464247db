package fs

import (
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

const haveSyncFS = true

// syncFS is syncfs(2); tests replace it to observe the rounds.
var syncFS = func(fd int) error {
	for {
		err := unix.Syncfs(fd)
		if err != syscall.EINTR {
			return err
		}
	}
}

func deviceOf(f *os.File) (uint64, error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, fmt.Errorf("stat %s: no device number", f.Name())
	}
	return uint64(st.Dev), nil
}
