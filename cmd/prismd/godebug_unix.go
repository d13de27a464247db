//go:build unix

package main

import (
	"os"
	"syscall"
)

// reexecTraceSafe replaces this process (same pid, arguments and
// descriptors) with prismd started with GODEBUG tracefpunwindoff=1 (see
// traceSafeSetting), unless GODEBUG already sets it. If the exec fails,
// prismd goes on as it is: everything but tracing works the same.
func reexecTraceSafe() {
	env, change := traceSafeEnv(os.Environ())
	if !change {
		return
	}
	exe, err := os.Executable()
	if err != nil {
		return
	}
	syscall.Exec(exe, os.Args, env)
}
