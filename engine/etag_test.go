package engine

import (
	"bytes"
	"crypto/md5"
	"fmt"
	"hash"
	"runtime"
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

// TestETagLanesAreReused hashes thousands of large bodies, a few at a
// time, as a gateway does over its life, some abandoned half-way (a
// client that went away). Every sum is crypto/md5's, md5-simd's server
// never holds more than simdLanes hashes, and the memory the process
// keeps does not grow with the bodies hashed: md5-simd v1.1.2 never
// forgets a closed hash, so closing one per body leaked it, and every
// later hashing round polled it.
func TestETagLanesAreReused(t *testing.T) {
	const rounds, streams = 1500, simdMinStreams + 1
	hashRound := func(r int) error {
		var wg sync.WaitGroup
		errs := make(chan error, streams)
		for s := range streams {
			// Taken before any is released: all are in flight at once, so
			// the later ones take lanes.
			h, release := etagHash(simdMinSize)
			wg.Add(1)
			go func() {
				defer wg.Done()
				body := []byte(fmt.Sprintf("round %d stream %d: %0200d", r, s, r*s))
				h.Write(body[:len(body)/2])
				if (r+s)%5 == 0 {
					release() // abandoned: the next body must not see this one
					return
				}
				h.Write(body[len(body)/2:])
				got := h.Sum(nil)
				release()
				if want := md5.Sum(body); !bytes.Equal(got, want[:]) {
					errs <- fmt.Errorf("round %d stream %d: md5 %x, want %x", r, s, got, want)
				}
			}()
		}
		wg.Wait()
		close(errs)
		return <-errs
	}
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	for r := range 50 { // the pools fill
		if err := hashRound(r); err != nil {
			t.Fatal(err)
		}
	}
	before := heap()
	for r := range rounds {
		if err := hashRound(r); err != nil {
			t.Fatal(err)
		}
	}
	after := heap()
	for i, p := range md5Servers() {
		p.mu.Lock()
		made, idle := p.made, len(p.idle)
		p.mu.Unlock()
		if made > simdLanes || idle != made {
			t.Errorf("server %d: %d hashes made (at most %d), %d idle after every body ended", i, made, simdLanes, idle)
		}
	}
	// Closing a hash per body kept about 300 bytes per body that took a
	// lane (its input channel and map entry): 0.9 MB for these 3,000.
	grew := int64(after) - int64(before)
	t.Logf("the heap grew by %d bytes over %d bodies", grew, rounds*streams)
	if grew > 256<<10 {
		t.Errorf("the heap grew by %d bytes over %d bodies", grew, rounds*streams)
	}
	if n := largeBodies.Load(); n != 0 {
		t.Errorf("%d large bodies still counted after release", n)
	}
}

// TestETagLanesFull: with every lane of the server taken, a body more is
// hashed by crypto/md5, correctly, and takes no lane.
func TestETagLanesFull(t *testing.T) {
	servers := md5Servers()
	n := simdLanes*len(servers) + simdMinStreams + 4
	hs := make([]hash.Hash, n)
	releases := make([]func(), n)
	for i := range n {
		hs[i], releases[i] = etagHash(simdMinSize)
	}
	for i, h := range hs {
		body := []byte(fmt.Sprintf("body %d", i))
		h.Write(body)
		if got, want := h.Sum(nil), md5.Sum(body); !bytes.Equal(got, want[:]) {
			t.Errorf("body %d: md5 %x, want %x", i, got, want)
		}
	}
	last := servers[len(servers)-1] // takes the bodies beyond the others' lanes
	last.mu.Lock()
	if last.made != simdLanes || len(last.idle) != 0 {
		t.Errorf("last server: %d hashes made, %d idle; want all %d in use", last.made, len(last.idle), simdLanes)
	}
	last.mu.Unlock()
	for _, release := range releases {
		release()
	}
	for i, p := range servers {
		p.mu.Lock()
		if p.made > simdLanes || len(p.idle) != p.made {
			t.Errorf("server %d: %d hashes made (at most %d), %d idle after every body ended", i, p.made, simdLanes, len(p.idle))
		}
		p.mu.Unlock()
	}
}
