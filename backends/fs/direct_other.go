//go:build !linux

package fs

import (
	"errors"
	"os"
)

func openDirect(name string, flag int, perm os.FileMode) (*os.File, bool, error) {
	f, err := os.OpenFile(name, flag, perm)
	return f, false, err
}

func setDirect(*os.File, bool) error { return errors.ErrUnsupported }
