package faulty_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prismd/prismd/backends"
	"github.com/prismd/prismd/backends/backendtest"
	"github.com/prismd/prismd/backends/faulty"
	"github.com/prismd/prismd/backends/mem"
)

func TestConformance(t *testing.T) {
	backendtest.Run(t, func(t *testing.T) backends.Backend { return faulty.Wrap(mem.New()) })
}

func setup(t *testing.T) *faulty.Backend {
	t.Helper()
	f := faulty.Wrap(mem.New())
	if err := f.CreateBucket(t.Context(), "bk"); err != nil {
		t.Fatal(err)
	}
	return f
}

func put(f *faulty.Backend, t *testing.T, key string, data []byte) error {
	return f.Put(t.Context(), "bk", key, bytes.NewReader(data), int64(len(data)))
}

func TestOutage(t *testing.T) {
	ctx := t.Context()
	f := setup(t)
	data := bytes.Repeat([]byte("x"), 10000)
	if err := put(f, t, "k", data); err != nil {
		t.Fatal(err)
	}
	body, err := f.Get(ctx, "bk", "k", 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer body.Close()
	if _, err := body.Read(make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	f.SetDown(true)
	if _, err := io.ReadAll(body); !errors.Is(err, backends.ErrUnavailable) {
		t.Errorf("read in flight during outage: %v, want ErrUnavailable", err)
	}
	if err := put(f, t, "k2", data); !errors.Is(err, backends.ErrUnavailable) {
		t.Errorf("Put during outage: %v", err)
	}
	if _, err := f.Stat(ctx, "bk", "k"); !errors.Is(err, backends.ErrUnavailable) {
		t.Errorf("Stat during outage: %v", err)
	}
	if _, err := f.Delete(ctx, "bk", []string{"k"}); !errors.Is(err, backends.ErrUnavailable) {
		t.Errorf("Delete during outage: %v", err)
	}
	if err := f.List(ctx, "bk", "", func(backends.ObjectInfo) bool { return true }); !errors.Is(err, backends.ErrUnavailable) {
		t.Errorf("List during outage: %v", err)
	}
	f.SetDown(false)
	if _, err := f.Stat(ctx, "bk", "k"); err != nil {
		t.Errorf("Stat after outage: %v", err)
	}
	if got := f.Calls(faulty.OpStat); got != 2 {
		t.Errorf("Calls(Stat) = %d, want 2", got)
	}
}

func TestOutageDuringPut(t *testing.T) {
	f := setup(t)
	pr, pw := io.Pipe()
	errc := make(chan error, 1)
	go func() { errc <- f.Put(t.Context(), "bk", "k", pr, 100) }()
	pw.Write(make([]byte, 10))
	f.SetDown(true)
	go pw.Write(make([]byte, 90))
	if err := <-errc; !errors.Is(err, backends.ErrUnavailable) {
		t.Errorf("Put in flight during outage: %v, want ErrUnavailable", err)
	}
	f.SetDown(false)
	if _, err := f.Stat(t.Context(), "bk", "k"); !errors.Is(err, backends.ErrNotFound) {
		t.Errorf("Stat after failed put: %v", err)
	}
}

func TestFailPuts(t *testing.T) {
	f := setup(t)
	f.FailPuts(2)
	for i, want := range []error{faulty.ErrInjected, faulty.ErrInjected, nil} {
		if err := put(f, t, "k", []byte("v")); !errors.Is(err, want) && !(want == nil && err == nil) {
			t.Errorf("put %d: %v, want %v", i, err, want)
		}
	}
	if n := f.Calls(faulty.OpPut); n != 3 {
		t.Errorf("Calls(Put) = %d", n)
	}
}

func TestErrorRate(t *testing.T) {
	f := setup(t)
	f.SetErrorRate(1)
	if _, err := f.Stat(t.Context(), "bk", "k"); !errors.Is(err, faulty.ErrInjected) {
		t.Errorf("Stat at error rate 1: %v", err)
	}
	f.SetErrorRate(0.5)
	failed := 0
	for range 400 {
		if _, err := f.Stat(t.Context(), "bk", "k"); errors.Is(err, faulty.ErrInjected) {
			failed++
		}
	}
	if failed < 120 || failed > 280 {
		t.Errorf("%d of 400 calls failed at rate 0.5", failed)
	}
	f.Reset()
	if _, err := f.Stat(t.Context(), "bk", "k"); !errors.Is(err, backends.ErrNotFound) {
		t.Errorf("Stat after Reset: %v", err)
	}
}

func TestCorruption(t *testing.T) {
	ctx := t.Context()
	f := setup(t)
	data := bytes.Repeat([]byte{7}, 10000)
	for _, k := range []string{"shard/1", "other/1"} {
		if err := put(f, t, k, data); err != nil {
			t.Fatal(err)
		}
	}
	f.CorruptPrefix("shard/")
	read := func(key string, off, n int64) []byte {
		rc, err := f.Get(ctx, "bk", key, off, n)
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	got := read("shard/1", 0, -1)
	diffs := 0
	for i := range got {
		if got[i] != data[i] {
			diffs++
		}
	}
	if diffs != 3 { // bytes 0, 4096, 8192
		t.Errorf("%d corrupted bytes, want 3", diffs)
	}
	if b := read("shard/1", 5000, 1); b[0] == 7 {
		t.Errorf("a 1-byte ranged read was not corrupted")
	}
	if !bytes.Equal(read("other/1", 0, -1), data) {
		t.Errorf("a key not matching was corrupted")
	}
	f.Corrupt(nil)
	if !bytes.Equal(read("shard/1", 0, -1), data) {
		t.Errorf("corruption still on after Corrupt(nil)")
	}
	// The stored object itself is intact.
	if rc, _ := f.Unwrap().Get(ctx, "bk", "shard/1", 0, 1); rc != nil {
		b, _ := io.ReadAll(rc)
		if b[0] != 7 {
			t.Errorf("stored data changed")
		}
	}
}

func TestLatencyAndThrottle(t *testing.T) {
	ctx := t.Context()
	f := setup(t)
	if err := put(f, t, "k", make([]byte, 20000)); err != nil {
		t.Fatal(err)
	}
	f.SetLatency(50 * time.Millisecond)
	start := time.Now()
	if _, err := f.Stat(ctx, "bk", "k"); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("Stat took %v with 50ms latency", d)
	}
	f.SetLatency(0)
	f.SetReadRate(100000) // 20000 bytes: ~200ms
	start = time.Now()
	rc, err := f.Get(ctx, "bk", "k", 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, rc)
	rc.Close()
	if err != nil || n != 20000 {
		t.Fatalf("read %d, %v", n, err)
	}
	if d := time.Since(start); d < 150*time.Millisecond || d > 2*time.Second {
		t.Errorf("throttled read of 20000 B at 100000 B/s took %v", d)
	}
}

func TestConcurrentControl(t *testing.T) {
	f := setup(t)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			f.SetDown(i%2 == 0)
			f.SetLatency(time.Duration(i%3) * time.Microsecond)
			f.SetErrorRate(float64(i%2) / 10)
			f.CorruptPrefix("x")
			f.FailPuts(i % 3)
			f.SetReadRate(0)
		}
	})
	for range 4 {
		wg.Go(func() {
			for range 200 {
				_ = f.Put(t.Context(), "bk", "k", strings.NewReader("v"), 1)
				if rc, err := f.Get(t.Context(), "bk", "k", 0, -1); err == nil {
					_, _ = io.ReadAll(rc)
					rc.Close()
				}
			}
		})
	}
	time.Sleep(50 * time.Millisecond)
	close(stop)
	wg.Wait()
}

func TestCapacity(t *testing.T) {
	ctx := context.Background()
	f := faulty.Wrap(mem.New())
	if err := f.CreateBucket(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	f.SetCapacity(10)
	if err := f.Put(ctx, "b", "k1", strings.NewReader("123456"), 6); err != nil {
		t.Fatal(err)
	}
	err := f.Put(ctx, "b", "k2", strings.NewReader("12345"), 5)
	if !errors.Is(err, faulty.ErrFull) || errors.Is(err, backends.ErrUnavailable) {
		t.Fatalf("Put beyond capacity: %v", err)
	}
	if _, err := f.Stat(ctx, "b", "k2"); !errors.Is(err, backends.ErrNotFound) {
		t.Fatalf("a refused Put stored something: %v", err)
	}
	// Overwriting in place fits; a delete frees space.
	if err := f.Put(ctx, "b", "k1", strings.NewReader("1234567890"), 10); err != nil {
		t.Fatalf("overwrite within capacity: %v", err)
	}
	if _, err := f.Delete(ctx, "b", []string{"k1"}); err != nil {
		t.Fatal(err)
	}
	if f.Used() != 0 {
		t.Fatalf("used %d after delete", f.Used())
	}
	if err := f.Put(ctx, "b", "k2", strings.NewReader("12345"), 5); err != nil {
		t.Fatalf("Put after space was freed: %v", err)
	}
}

func TestFailListAfter(t *testing.T) {
	f := setup(t)
	for _, k := range []string{"a", "b", "c", "d"} {
		if err := put(f, t, k, []byte(k)); err != nil {
			t.Fatal(err)
		}
	}
	list := func() ([]string, error) {
		var keys []string
		err := f.List(t.Context(), "bk", "", func(oi backends.ObjectInfo) bool { keys = append(keys, oi.Key); return true })
		return keys, err
	}
	f.FailListAfter(2)
	keys, err := list()
	if !errors.Is(err, faulty.ErrInjected) || strings.Join(keys, ",") != "a,b" {
		t.Fatalf("cut-off list: %v, %v", keys, err)
	}
	if keys, err := list(); err != nil || len(keys) != 4 {
		t.Fatalf("next list: %v, %v", keys, err)
	}
	f.FailListAfter(0)
	if keys, err := list(); !errors.Is(err, faulty.ErrInjected) || len(keys) != 0 {
		t.Fatalf("list cut before the first key: %v, %v", keys, err)
	}
}
