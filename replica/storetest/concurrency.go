package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/prismd/prismd/replica"
)

// parallel runs fn(0..n-1), at most workers at a time, and fails t with
// every error.
func parallel(t *testing.T, workers, n int, fn func(i int) error) {
	t.Helper()
	errs := make([]error, n)
	slots := make(chan struct{}, workers)
	var wg sync.WaitGroup
	for i := range n {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			if err := fn(i); err != nil {
				errs[i] = fmt.Errorf("item %d: %w", i, err)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
}

func testConcurrent(t *testing.T, s replica.Store) {
	const n = 48
	bodies := make([][]byte, n)
	for i := range bodies {
		bodies[i] = randBytes(1000 + i*517)
	}
	name := func(i int) string { return fmt.Sprintf("c/%02d/%d", i%8, i) }
	parallel(t, 8, n, func(i int) error {
		if err := s.Put(t.Context(), name(i), bytes.NewReader(bodies[i]), int64(len(bodies[i]))); err != nil {
			return err
		}
		got, err := get(t.Context(), s, name(i))
		if err != nil {
			return err
		}
		if !bytes.Equal(got, bodies[i]) {
			return fmt.Errorf("read back %d bytes that differ from the %d put", len(got), len(bodies[i]))
		}
		_, err = s.List(t.Context(), "c/")
		return err
	})
	if got := names(t, s, "c/"); len(got) != n {
		t.Errorf("List = %d files, want %d", len(got), n)
	}
	parallel(t, 8, n, func(i int) error { return s.Delete(t.Context(), name(i)) })
	if got := names(t, s, ""); len(got) != 0 {
		t.Errorf("List after deleting all = %q", got)
	}
}

// sameNameBody is writer w's body: its size depends on w, every byte is w.
func sameNameBody(w int) []byte {
	return bytes.Repeat([]byte{byte(w)}, 20000+w*3001)
}

func checkSameNameBody(got []byte) error {
	if len(got) == 0 {
		return errors.New("empty body")
	}
	if want := sameNameBody(int(got[0])); !bytes.Equal(got, want) {
		return fmt.Errorf("torn read: %d bytes starting with writer %d's byte, want %d", len(got), got[0], len(want))
	}
	return nil
}

func testConcurrentSameName(t *testing.T, s replica.Store) {
	const writers, rounds = 6, 4
	put(t, s, "same", sameNameBody(1))
	parallel(t, 2*writers, 2*writers*rounds, func(i int) error {
		w := i%writers + 1
		if i%2 == 0 {
			body := sameNameBody(w)
			return s.Put(t.Context(), "same", bytes.NewReader(body), int64(len(body)))
		}
		got, err := get(t.Context(), s, "same")
		if err != nil {
			return err
		}
		return checkSameNameBody(got)
	})
	if err := checkSameNameBody(mustGet(t, s, "same")); err != nil {
		t.Errorf("final file: %v", err)
	}
}
