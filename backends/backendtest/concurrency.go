package backendtest

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/prismd/prismd/backends"
)

// parallel runs fn(0..n-1) on workers goroutines and fails t on any error.
func parallel(t *testing.T, workers, n int, fn func(i int) error) {
	t.Helper()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		next = make(chan int)
	)
	for range workers {
		wg.Go(func() {
			for i := range next {
				if err := fn(i); err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("item %d: %w", i, err))
					mu.Unlock()
				}
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
}

func testConcurrentDistinctKeys(t *testing.T, b backends.Backend) {
	bucket := newBucket(t, b)
	const n = 64
	bodies := make([][]byte, n)
	for i := range bodies {
		bodies[i] = randBytes(1000 + i*517)
	}
	key := func(i int) string { return fmt.Sprintf("c/%02d/%d", i%8, i) }
	parallel(t, 16, n, func(i int) error {
		if err := b.Put(t.Context(), bucket, key(i), bytes.NewReader(bodies[i]), int64(len(bodies[i]))); err != nil {
			return err
		}
		rc, err := b.Get(t.Context(), bucket, key(i), 0, -1)
		if err != nil {
			return err
		}
		defer rc.Close()
		var buf bytes.Buffer
		if _, err := buf.ReadFrom(rc); err != nil {
			return err
		}
		if !bytes.Equal(buf.Bytes(), bodies[i]) {
			return fmt.Errorf("read back %d bytes that differ from the %d put", buf.Len(), len(bodies[i]))
		}
		return nil
	})
	if got := listKeys(t, b, bucket, "c/"); len(got) != n {
		t.Errorf("List = %d keys, want %d", len(got), n)
	}
	// Concurrent deletes of distinct keys prune shared directories safely.
	parallel(t, 16, n, func(i int) error {
		errs, err := b.Delete(t.Context(), bucket, []string{key(i)})
		if err != nil {
			return err
		}
		return errs[0]
	})
	if got := listKeys(t, b, bucket, ""); len(got) != 0 {
		t.Errorf("List after deleting all = %q", got)
	}
}

// sameKeyBody is writer w's body: size depends on w, every byte is w.
func sameKeyBody(w int) []byte {
	return bytes.Repeat([]byte{byte(w)}, 20000+w*3001)
}

func checkSameKeyBody(got []byte) error {
	if len(got) == 0 {
		return errors.New("empty body")
	}
	w := int(got[0])
	if want := sameKeyBody(w); !bytes.Equal(got, want) {
		return fmt.Errorf("torn read: %d bytes starting with writer %d's byte, want %d bytes all %d", len(got), w, len(want), w)
	}
	return nil
}

func testConcurrentSameKey(t *testing.T, b backends.Backend) {
	bucket := newBucket(t, b)
	const writers, rounds = 8, 5
	put(t, b, bucket, "same/key", sameKeyBody(1))
	var wg sync.WaitGroup
	errc := make(chan error, writers*rounds*2+writers)
	for w := 1; w <= writers; w++ {
		wg.Go(func() {
			body := sameKeyBody(w)
			for range rounds {
				if err := b.Put(t.Context(), bucket, "same/key", bytes.NewReader(body), int64(len(body))); err != nil {
					errc <- fmt.Errorf("writer %d: %w", w, err)
				}
			}
		})
		wg.Go(func() {
			for range rounds * 2 {
				rc, err := b.Get(t.Context(), bucket, "same/key", 0, -1)
				if err != nil {
					errc <- fmt.Errorf("reader %d: %w", w, err)
					continue
				}
				var buf bytes.Buffer
				_, err = buf.ReadFrom(rc)
				rc.Close()
				if err == nil {
					err = checkSameKeyBody(buf.Bytes())
				}
				if err != nil {
					errc <- fmt.Errorf("reader %d: %w", w, err)
				}
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	if err := checkSameKeyBody(mustGet(t, b, bucket, "same/key")); err != nil {
		t.Errorf("final object: %v", err)
	}
	if keys := listKeys(t, b, bucket, ""); len(keys) != 1 {
		t.Errorf("List after concurrent overwrites = %q, want one key", keys)
	}
}
