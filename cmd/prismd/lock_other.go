//go:build !unix

package main

import "os"

// lockDataDir is a no-op where flock(2) does not exist.
func lockDataDir(dir string) (*os.File, error) { return nil, nil }
