// Command prismd is an S3-compatible gateway that spreads every object over
// several storage regions with erasure coding or replicas.
//
//	prismd serve [--config prismd.toml] [--data-dir DIR] [--s3-addr ADDR] [--admin-addr ADDR] [--log-level LEVEL]
//	prismd scrub [--config prismd.toml] [--deep] [--bucket B] [--prefix P] [--rate MiB/s] [--dry-run] [--json] [--offline]
//	prismd version
//
// Exit codes: 0 success (including a clean shutdown on SIGTERM or SIGINT),
// 1 a runtime failure, 2 a usage or configuration error or a command that is
// not available yet.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
)

// version is set at build time with -ldflags "-X main.version=…"; otherwise
// it comes from the module's build information.
var version string

func main() {
	reexecTraceSafe()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// usageError marks errors that exit with status 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

const usage = `usage: prismd <command> [flags]

commands:
  serve     run the S3 endpoint and the management listener
  version   print the version
  replay    rebuild a lost gateway's data directory from its regions
  scrub     verify and repair stored data (exit 0 clean, 1 repaired, 2 unrepairable or failed)
  bench     measure throughput against a baseline (prismd bench -h)

Run 'prismd <command> --help' for a command's flags.
`

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch cmd := args[0]; cmd {
	case "serve":
		err = serve(args[1:], stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintf(stdout, "prismd %s\n", buildVersion())
	case "bench":
		return runBench(args[1:])
	case "replay":
		err = replay(args[1:], stdout, stderr)
	case "scrub":
		return runScrub(args[1:], stdout, stderr)
	case "help", "-h", "--help", "-help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprint(stderr, usage)
		err = usageError{fmt.Errorf("unknown command %q", cmd)}
	}
	if err == nil {
		return 0
	}
	fmt.Fprintf(stderr, "prismd: %v\n", err)
	if errors.As(err, new(usageError)) {
		return 2
	}
	return 1
}

// buildVersion is the version string: the linker's, else the module
// version and VCS revision recorded by the go tool.
func buildVersion() string {
	if version != "" {
		return version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	v := bi.Main.Version
	if v == "" || v == "(devel)" {
		v = "dev"
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev != "" {
		v += "+" + rev + dirty
	}
	return v
}
