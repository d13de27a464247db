package fs

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
)

// TestPutAckedAfterDurableRound checks the durability contract of the
// shared rounds: when Put returns nil, a round (one syncfs) that started
// after the key's file had its name and its whole content has ended. The
// rounds are observed by wrapping syncFS: at the start of each, the test
// records which keys are in place with their bytes; when each ends, it
// counts it as done.
func TestPutAckedAfterDurableRound(t *testing.T) {
	b, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := b.CreateBucket(ctx, "bk"); err != nil {
		t.Fatal(err)
	}
	const n = 64
	keys := make([]string, n)
	bodies := make([][]byte, n)
	for i := range n {
		keys[i] = fmt.Sprintf("b/%02x/0/%d", i, i%3)
		bodies[i] = bytes.Repeat([]byte{byte(i)}, 1000+i*37)
	}

	var mu sync.Mutex
	var inPlace []map[int]bool // per round started: keys in place with their whole content
	var ended []bool           // per round started: it has returned
	real := syncFS
	t.Cleanup(func() { syncFS = real })
	syncFS = func(fd int) error {
		seen := map[int]bool{}
		for i, k := range keys {
			if data, err := os.ReadFile(b.path("bk", k)); err == nil && bytes.Equal(data, bodies[i]) {
				seen[i] = true
			}
		}
		mu.Lock()
		round := len(inPlace)
		inPlace = append(inPlace, seen)
		ended = append(ended, false)
		mu.Unlock()
		err := real(fd)
		mu.Lock()
		ended[round] = true
		mu.Unlock()
		return err
	}

	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := b.Put(ctx, "bk", keys[i], bytes.NewReader(bodies[i]), int64(len(bodies[i]))); err != nil {
				t.Errorf("put %s: %v", keys[i], err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			for r := range inPlace {
				if ended[r] && inPlace[r][i] {
					return
				}
			}
			t.Errorf("put %s acknowledged before any finished sync round saw it in place", keys[i])
		}()
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(inPlace) >= 2*n {
		t.Errorf("%d sync rounds for %d concurrent Puts: the rounds are not shared", len(inPlace), n)
	}
	t.Logf("%d concurrent Puts, %d sync rounds", n, len(inPlace))
}
