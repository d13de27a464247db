package engine

import (
	"bytes"
	"crypto/md5"
	"fmt"
	"sync"
	"testing"
)

// TestETagHashLanes hashes many large bodies at once, so that most take a
// multi-buffer lane, in uneven writes, and wants crypto/md5's sums.
func TestETagHashLanes(t *testing.T) {
	const streams = 12
	var wg sync.WaitGroup
	errs := make(chan error, streams)
	start := make(chan struct{})
	for s := range streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := bytes.Repeat([]byte(fmt.Sprintf("stream %d;", s)), (simdMinSize+12345*s)/9)
			h, release := etagHash(int64(len(body)))
			<-start
			for off, step := 0, 1+s*7919; off < len(body); step = step*3%(256<<10) + 1 {
				end := min(off+step, len(body))
				h.Write(body[off:end])
				off = end
			}
			got := h.Sum(nil)
			release()
			if want := md5.Sum(body); !bytes.Equal(got, want[:]) {
				errs <- fmt.Errorf("stream %d: md5 %x, want %x", s, got, want)
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := largeBodies.Load(); n != 0 {
		t.Errorf("%d large bodies still counted after release", n)
	}
}

func TestLaneServer(t *testing.T) {
	for _, c := range []struct {
		n       int64
		servers int
		want    int
	}{
		{3, 1, 0}, {100, 1, 0}, {3, 4, 0}, {16, 4, 0}, {17, 4, 1}, {32, 4, 1}, {33, 4, 2}, {64, 4, 3}, {1000, 4, 3},
	} {
		if got := laneServer(c.n, c.servers); got != c.want {
			t.Errorf("laneServer(%d, %d) = %d, want %d", c.n, c.servers, got, c.want)
		}
	}
}
