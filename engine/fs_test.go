package engine_test

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"hash"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prismd/prismd/engine"
)

// TestCorruptShardFile flips bytes in a shard file of the fs backend: the
// GET still returns the right bytes, the corruption is recorded, and the
// background worker rewrites the shard.
func TestCorruptShardFile(t *testing.T) {
	dir := t.TempDir()
	e := crashEngine(t, dir, true)
	defer e.Close()
	ctx := context.Background()
	if err := e.CreateBucket(ctx, "rot", ""); err != nil {
		t.Fatal(err)
	}
	data := payload(42, 1_700_000) // erasure 2+1, two segments
	put(t, e, "rot", "obj", data)
	e.WaitWrites()
	locs, err := e.Locate("rot", "obj")
	if err != nil {
		t.Fatal(err)
	}
	victim := locs[0] // segment 0, shard 0: a data shard, read by default
	path := filepath.Join(dir, "regions", victim.Region, victim.Bucket, victim.Key)
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	bad := append([]byte(nil), orig...)
	for i := 100; i < len(bad); i += 4096 {
		bad[i] ^= 0xff
	}
	if err := os.WriteFile(path, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := readAll(e, "rot", "obj")
	if err != nil || string(got) != string(data) {
		t.Fatalf("read with a corrupt shard: %d bytes, err %v, equal %v", len(got), err, string(got) == string(data))
	}
	// The corruption is recorded and repaired in the background: wait until
	// the shard's bytes are back and its repair is applied (the file is
	// rewritten before ShardRepaired is appended).
	repaired := func() bool {
		now, err := os.ReadFile(path)
		if err != nil || string(now) != string(orig) {
			return false
		}
		locs, _ := e.Locate("rot", "obj")
		for _, l := range locs {
			if l.State != "stored" {
				return false
			}
		}
		return true
	}
	deadline := time.Now().Add(time.Minute)
	for !repaired() {
		if time.Now().After(deadline) {
			locs, _ := e.Locate("rot", "obj")
			t.Fatalf("shard %s not repaired within a minute; states %+v", victim.Key, locs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// pattern is 1 MiB + 7 bytes of random data: repeating it never aligns with
// blocks or segments, so a misplaced block changes the content.
var pattern = payload(99, 1<<20+7)

// patternReader yields size bytes of the repeating pattern, streamed.
type patternReader struct{ left, pos int64 }

func (r *patternReader) Read(p []byte) (int, error) {
	if r.left == 0 {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), r.left)]
	n := copy(p, pattern[r.pos%int64(len(pattern)):])
	r.left -= int64(n)
	r.pos += int64(n)
	return n, nil
}

// heapPeak samples the heap in use until stop is called.
func heapPeak() (stop func() uint64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	return func() uint64 { close(done); wg.Wait(); return peak.Load() }
}

// TestLargeObjectMemory streams a 2 GiB object in and out through fs
// regions with the default 64 MiB segments and checks the heap stays
// within a fixed bound that does not depend on the object's size.
func TestLargeObjectMemory(t *testing.T) {
	if testing.Short() {
		t.Log("-short: streaming 256 MiB instead of 2 GiB")
	}
	size := int64(2 << 30)
	if testing.Short() {
		size = 256 << 20
	}
	dir := t.TempDir()
	e := largeEngine(t, dir)
	defer e.Close()
	ctx := context.Background()
	e.CreateBucket(ctx, "big", "")
	runtime.GC()
	stop := heapPeak()
	want := md5.New()
	info, err := e.PutObject(ctx, engine.PutInput{Bucket: "big", Key: "blob", Size: size, Body: io.TeeReader(&patternReader{left: size}, want)})
	if err != nil {
		t.Fatal(err)
	}
	r, err := e.GetObject(ctx, "big", "blob", engine.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sum := md5.New()
	n, err := io.Copy(sum, r)
	r.Close()
	peak := stop()
	if err != nil || n != size {
		t.Fatalf("read back %d of %d bytes: %v", n, size, err)
	}
	if hexSum(sum) != hexSum(want) || info.ETag != hexSum(want) {
		t.Fatalf("content differs: read md5 %s, written %s, etag %s", hexSum(sum), hexSum(want), info.ETag)
	}
	const bound = 64 << 20
	t.Logf("%d MiB streamed in and out; peak heap in use %.1f MiB (bound %d MiB)", size>>20, float64(peak)/(1<<20), bound>>20)
	if peak > bound {
		t.Fatalf("peak heap %.1f MiB exceeds %d MiB for a %d MiB object", float64(peak)/(1<<20), bound>>20, size>>20)
	}
}

func hexSum(h hash.Hash) string { return hex.EncodeToString(h.Sum(nil)) }
