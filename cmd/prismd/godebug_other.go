//go:build !unix

package main

// reexecTraceSafe does nothing where exec(2) does not exist: set
// GODEBUG=tracefpunwindoff=1 before tracing prismd there.
func reexecTraceSafe() {}
