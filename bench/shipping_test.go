package bench

import (
	"path/filepath"
	"testing"

	"github.com/prismd/prismd/engine"
)

// TestPopulate: the replay benchmark's gateway holds the objects it was
// made with, a snapshot and a log after it, as a data directory prismd
// opens.
func TestPopulate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	events, snapBytes, err := populate(dir, 2000, []string{"region-1", "region-2", "region-3"})
	if err != nil {
		t.Fatal(err)
	}
	if events != 1+2000*5 || snapBytes == 0 {
		t.Fatalf("%d events, snapshot of %d bytes", events, snapBytes)
	}
	sum, err := engine.Inspect(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Objects != 2000 || sum.Buckets != 1 || sum.Bytes != 2000*4096 || sum.LastIndex != events {
		t.Fatalf("summary %+v", sum)
	}
	id, err := engine.LoadIdentity(dir)
	if err != nil || id.Gateway != "gw-bench-replay" {
		t.Fatalf("identity %+v, %v", id, err)
	}
}
