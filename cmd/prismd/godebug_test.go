package main

import (
	"slices"
	"testing"
)

func TestTraceSafeEnv(t *testing.T) {
	for _, tc := range []struct {
		env, want []string
		change    bool
	}{
		{[]string{"HOME=/root"}, []string{"HOME=/root", "GODEBUG=tracefpunwindoff=1"}, true},
		{[]string{"GODEBUG=", "A=1"}, []string{"GODEBUG=tracefpunwindoff=1", "A=1"}, true},
		{[]string{"GODEBUG=gctrace=1"}, []string{"GODEBUG=gctrace=1,tracefpunwindoff=1"}, true},
		// Named by the operator, to anything: left as it is.
		{[]string{"GODEBUG=gctrace=1,tracefpunwindoff=0"}, []string{"GODEBUG=gctrace=1,tracefpunwindoff=0"}, false},
		{[]string{"GODEBUG=tracefpunwindoff=1"}, []string{"GODEBUG=tracefpunwindoff=1"}, false},
	} {
		before := slices.Clone(tc.env)
		got, change := traceSafeEnv(tc.env)
		if change != tc.change || !slices.Equal(got, tc.want) || !slices.Equal(tc.env, before) {
			t.Errorf("traceSafeEnv(%q) = %q, %v; want %q, %v (and the input unchanged)", before, got, change, tc.want, tc.change)
		}
	}
}
