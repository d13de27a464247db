package main

import (
	"errors"
	"flag"
	"fmt"
)

// parseCommandFlags parses the flags of command name: --help comes back
// as flag.ErrHelp, a bad flag or a stray argument as a usageError. It
// returns the names of the flags given.
func parseCommandFlags(fs *flag.FlagSet, name string, args []string) (map[string]bool, error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, usageError{err}
	}
	if fs.NArg() > 0 {
		return nil, usageError{fmt.Errorf("%s: unexpected argument %q", name, fs.Arg(0))}
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set, nil
}
