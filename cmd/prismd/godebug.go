package main

import (
	"slices"
	"strings"
)

// The scalar MD5 of minio/md5-simd (blockScalar, assembly; it ends every
// multi-buffer MD5 the ETag takes) uses the frame pointer register
// without saving it. Whatever walks a goroutine's stack by frame pointers
// after it then reads garbage: the execution tracer does
// (/debug/pprof/trace on the management listener), and it crashed the
// gateway with SIGSEGV within seconds of large PUTs. The block and mutex
// profiles walk stacks that way too. GODEBUG=tracefpunwindoff=1 makes all
// of them use the ordinary unwinder, at some cost to tracing only. The
// runtime reads it once, when the process starts, and refuses it as a
// //go:debug directive, so prismd starts itself again with it set
// (reexecTraceSafe); a GODEBUG that already names it is left alone.
const traceSafeSetting = "tracefpunwindoff=1"

// traceSafeEnv returns env with traceSafeSetting added to GODEBUG, and
// false when GODEBUG already sets tracefpunwindoff (to anything).
func traceSafeEnv(env []string) ([]string, bool) {
	for i, kv := range env {
		v, ok := strings.CutPrefix(kv, "GODEBUG=")
		if !ok {
			continue
		}
		for field := range strings.SplitSeq(v, ",") {
			if strings.HasPrefix(field, "tracefpunwindoff=") {
				return env, false
			}
		}
		if v != "" {
			v += ","
		}
		out := slices.Clone(env)
		out[i] = "GODEBUG=" + v + traceSafeSetting
		return out, true
	}
	return append(slices.Clone(env), "GODEBUG="+traceSafeSetting), true
}
