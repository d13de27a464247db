//go:build !linux

package fs

import (
	"errors"
	"os"
)

const haveSyncFS = false

var syncFS = func(int) error { return errors.ErrUnsupported }

func deviceOf(*os.File) (uint64, error) { return 0, errors.ErrUnsupported }
