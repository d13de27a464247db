// Package gobin finds the binaries the tests and benchmarks run (versitygw,
// minio), installed with `go install`: on PATH, else in $GOPATH/bin (every
// entry of $GOPATH, of `go env GOPATH`, and ~/go).
//
//	bin, err := gobin.Versity() // errors.Is(err, gobin.ErrNotFound) names the install command
//
// It is the test harness's helper (backends/s3/s3test) and the benchmark
// library's (bench); it imports nothing of ours.
package gobin

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// VersityPackage is the versitygw the tests run, installed with
// `go install VersityPackage` when it is missing.
const VersityPackage = "github.com/versity/versitygw/cmd/versitygw@v1.8.0"

// ErrNotFound is returned when a binary is neither on PATH nor in $GOPATH/bin.
var ErrNotFound = errors.New("binary not found")

// Versity returns the versitygw binary.
func Versity() (string, error) { return Find("versitygw", VersityPackage) }

// Find returns the binary name, installed by `go install pkg`: on PATH,
// else in $GOPATH/bin. The error says how to install it.
func Find(name, pkg string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	var dirs []string
	if gp := os.Getenv("GOPATH"); gp != "" {
		dirs = filepath.SplitList(gp)
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		dirs = append(dirs, filepath.SplitList(strings.TrimSpace(string(out)))...)
	}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, "go"))
	}
	for _, d := range dirs {
		p := filepath.Join(d, "bin", name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: %w on PATH or in $GOPATH/bin; install it with: go install %s", name, ErrNotFound, pkg)
}
