package engine_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/prismd/prismd/backends"
	"github.com/prismd/prismd/backends/faulty"
	"github.com/prismd/prismd/backends/mem"
	"github.com/prismd/prismd/engine"
	plog "github.com/prismd/prismd/log"
)

// bucketRecorder remembers the buckets created on a backend.
type bucketRecorder struct {
	backends.Backend
	mu      sync.Mutex
	created []string
}

func (r *bucketRecorder) CreateBucket(ctx context.Context, bucket string) error {
	r.mu.Lock()
	r.created = append(r.created, bucket)
	r.mu.Unlock()
	return r.Backend.CreateBucket(ctx, bucket)
}

// TestMeasureThroughput: the bytes go up and come back in a scratch
// bucket that is removed afterwards, also when the test fails; a region
// that returns other bytes, one that is down, an invalid spec or size
// are errors.
func TestMeasureThroughput(t *testing.T) {
	c := newCluster(t, 3, plog.Policy{Mode: "replica", ParityShards: 1})
	store := mem.New()
	f := faulty.Wrap(store)
	rec := &bucketRecorder{Backend: f}
	c.cfg.OpenBackend = func(engine.RegionSpec) (backends.Backend, error) { return rec, nil }
	c.restart()
	ctx := context.Background()
	spec := engine.RegionSpec{Name: "candidate", Type: "s3", Endpoint: "http://127.0.0.1:1", AccessKey: "k", SecretKey: "secret-key"}
	got, err := c.e.MeasureThroughput(ctx, spec, 1<<20)
	if err != nil || got.Bytes != 1<<20 || got.Put <= 0 || got.Get <= 0 {
		t.Fatalf("throughput: %+v %v", got, err)
	}
	gone := func() {
		t.Helper()
		rec.mu.Lock()
		defer rec.mu.Unlock()
		if len(rec.created) == 0 {
			t.Fatal("no scratch bucket made")
		}
		for _, b := range rec.created {
			if !strings.Contains(b, "-probe-") {
				t.Errorf("scratch bucket %q", b)
			}
			if err := store.List(ctx, b, "", func(backends.ObjectInfo) bool { return true }); !errors.Is(err, backends.ErrNoSuchBucket) {
				t.Errorf("scratch bucket %q left behind: %v", b, err)
			}
		}
		rec.created = nil
	}
	gone()
	if len(c.e.Regions()) != 3 {
		t.Errorf("the measured region is in use: %+v", c.e.Regions())
	}

	f.Corrupt(func(bucket, key string) bool { return true })
	if _, err := c.e.MeasureThroughput(ctx, spec, 4096); err == nil || !strings.Contains(err.Error(), "not the bytes written") {
		t.Errorf("corrupt download: %v", err)
	}
	gone()
	f.Reset()
	f.FailPuts(1)
	if _, err := c.e.MeasureThroughput(ctx, spec, 4096); err == nil || !strings.Contains(err.Error(), "upload") {
		t.Errorf("failed upload: %v", err)
	}
	gone()
	f.Reset()
	f.SetDown(true)
	if _, err := c.e.MeasureThroughput(ctx, spec, 4096); err == nil || errors.Is(err, engine.ErrInvalidArgument) {
		t.Errorf("down: %v", err)
	}
	f.SetDown(false)

	for _, size := range []int64{0, -1, engine.MaxThroughputSize + 1} {
		if _, err := c.e.MeasureThroughput(ctx, spec, size); !errors.Is(err, engine.ErrInvalidArgument) {
			t.Errorf("size %d: %v", size, err)
		}
	}
	bad := spec
	bad.Endpoint = "not a url"
	if _, err := c.e.MeasureThroughput(ctx, bad, 4096); !errors.Is(err, engine.ErrInvalidArgument) {
		t.Errorf("invalid spec: %v", err)
	}
}
