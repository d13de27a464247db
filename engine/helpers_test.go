package engine_test

import (
	"bytes"
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/prismd/prismd/backends"
	"github.com/prismd/prismd/backends/faulty"
	"github.com/prismd/prismd/backends/mem"
	"github.com/prismd/prismd/engine"
	plog "github.com/prismd/prismd/log"
)

// cluster is an engine over faulty-wrapped in-memory regions.
type cluster struct {
	t       testing.TB
	dir     string
	regions []*faulty.Backend
	names   []string
	cfg     engine.Config
	e       *engine.Engine
}

func newCluster(t testing.TB, n int, policy plog.Policy) *cluster {
	t.Helper()
	c := &cluster{t: t, dir: t.TempDir()}
	var regs []engine.Region
	for i := range n {
		f := faulty.Wrap(mem.New())
		name := string(rune('a' + i))
		c.regions = append(c.regions, f)
		c.names = append(c.names, name)
		regs = append(regs, engine.Region{Name: name, Backend: f})
	}
	c.cfg = engine.Config{DataDir: c.dir, Regions: regs, Policy: policy, SegmentSize: 1 << 20, BlockSize: 64 << 10,
		NoSync: true, NoBackground: true, MasterKey: bytes.Repeat([]byte{7}, 32), SnapshotEvery: -1}
	c.open()
	t.Cleanup(func() {
		if c.e != nil {
			c.e.Close()
		}
	})
	return c
}

func (c *cluster) open() {
	c.t.Helper()
	e, err := engine.Open(c.cfg)
	if err != nil {
		c.t.Fatalf("open engine: %v", err)
	}
	c.e = e
}

func (c *cluster) restart() {
	c.t.Helper()
	if err := c.e.Close(); err != nil {
		c.t.Fatalf("close: %v", err)
	}
	c.open()
}

func (c *cluster) backend(i int) backends.Backend { return c.regions[i] }

// payload returns size deterministic bytes for seed.
func payload(seed uint64, size int) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, size)
	for i := 0; i+8 <= size; i += 8 {
		v := r.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	for i := size &^ 7; i < size; i++ {
		b[i] = byte(r.Uint32())
	}
	return b
}

func put(t testing.TB, e *engine.Engine, bucket, key string, data []byte) engine.ObjectInfo {
	t.Helper()
	info, err := e.PutObject(context.Background(), engine.PutInput{Bucket: bucket, Key: key, Size: int64(len(data)), Body: bytes.NewReader(data)})
	if err != nil {
		t.Fatalf("put %s/%s: %v", bucket, key, err)
	}
	return info
}

func engineGet() engine.GetOptions { return engine.GetOptions{} }

// waitFor polls cond until it holds, for up to a minute (a busy machine
// may be slow; a condition that never comes fails the test).
func waitFor(t testing.TB, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in a minute")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func enginelist(bucket string) engine.ListInput { return engine.ListInput{Bucket: bucket} }
