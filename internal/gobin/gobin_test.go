package gobin

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFind: a binary in $GOPATH/bin is found when it is not on PATH; a
// missing one is ErrNotFound naming its install command.
func TestFind(t *testing.T) {
	gopath := t.TempDir()
	bin := filepath.Join(gopath, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	name := "prismd-gobin-test-tool"
	if err := os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GOPATH", gopath)
	got, err := Find(name, "example.com/tool@v1")
	if err != nil || got != filepath.Join(bin, name) {
		t.Fatalf("Find = %q, %v", got, err)
	}
	_, err = Find("prismd-gobin-no-such-tool", "example.com/none@v1")
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "go install example.com/none@v1") {
		t.Fatalf("missing: %v", err)
	}
}
