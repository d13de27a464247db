package engine_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/prismd/prismd/backends"
	"github.com/prismd/prismd/backends/mem"
	"github.com/prismd/prismd/engine"
	plog "github.com/prismd/prismd/log"
)

// TestAddRegions: a set is added in one step, or nothing is: a backend
// that does not open, a name in use, two members over one storage.
func TestAddRegions(t *testing.T) {
	c := newCluster(t, 3, plog.Policy{Mode: "replica", ParityShards: 1})
	c.cfg.OpenBackend = func(spec engine.RegionSpec) (backends.Backend, error) {
		if spec.Name == "broken" {
			return nil, errors.New("cannot open")
		}
		return mem.New(), nil
	}
	c.restart()
	ctx := context.Background()
	s3 := func(name string, port int) engine.RegionSpec {
		return engine.RegionSpec{Name: name, Type: "s3", Endpoint: fmt.Sprintf("http://127.0.0.1:%d", port), AccessKey: "k", SecretKey: "secret-" + name}
	}
	names := func() int { return len(c.e.Regions()) }
	for what, set := range map[string][]engine.RegionSpec{
		"empty":          nil,
		"does not open":  {s3("x1", 7001), {Name: "broken", Type: "s3", Endpoint: "http://127.0.0.1:7002", AccessKey: "k", SecretKey: "s"}},
		"name in use":    {s3("x1", 7001), s3("a", 7002)},
		"same storage":   {s3("x1", 7001), s3("x2", 7001)},
		"same name":      {s3("x1", 7001), s3("x1", 7002)},
		"no type":        {{Name: "x1"}},
		"invalid member": {s3("x1", 7001), s3("Bad", 7002)},
	} {
		if err := c.e.AddRegions(ctx, set); err == nil {
			t.Errorf("%s: accepted", what)
		}
		if names() != 3 {
			t.Fatalf("%s: regions %+v", what, c.e.Regions())
		}
	}
	if err := c.e.AddRegions(ctx, []engine.RegionSpec{s3("x1", 7001), s3("x2", 7002)}); err != nil {
		t.Fatal(err)
	}
	if names() != 5 {
		t.Fatalf("regions %+v", c.e.Regions())
	}
	// They come back from the log, secrets unsealed.
	c.restart()
	if names() != 5 {
		t.Fatalf("after restart: %+v", c.e.Regions())
	}
	if err := c.e.AddRegions(ctx, []engine.RegionSpec{s3("x3", 7001)}); err == nil {
		t.Error("a region over x1's storage accepted")
	}
}
