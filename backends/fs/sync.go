package fs

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"
)

// syncer makes every write to one filesystem durable in rounds, shared by
// every Backend of this process on that filesystem. A round is one
// syncfs(2): it writes back the filesystem's dirty data and commits its
// metadata (new directories, renames), and reports a write-back error of
// any file on it since the previous round. Wait returns the outcome of a
// round that started after Wait was called, so whatever the caller wrote
// before calling Wait is on stable storage when it returns nil.
//
// Concurrent Puts therefore share their syncs: the shards of every PUT in
// flight, over every region on the disk, are made durable by one syscall
// instead of a file fsync and up to three directory fsyncs each.
type syncer struct {
	dir *os.File // an open directory of the filesystem, kept for the process's life

	mu   sync.Mutex
	next *round // collects waiters until its round starts; nil when none wait
	busy bool   // a goroutine is running rounds

	rounds atomic.Uint64 // rounds run, for Syncs
}

// round is one syncfs; done is closed when it returned, with err.
type round struct {
	done chan struct{}
	err  error
}

// Wait blocks until a round that started after the call has ended, and
// returns its error.
func (s *syncer) Wait() error {
	s.mu.Lock()
	r := s.next
	if r == nil {
		r = &round{done: make(chan struct{})}
		s.next = r
	}
	if !s.busy {
		s.busy = true
		go s.run()
	}
	s.mu.Unlock()
	<-r.done
	return r.err
}

// run runs rounds while anyone waits for one.
func (s *syncer) run() {
	for {
		s.mu.Lock()
		r := s.next
		s.next = nil
		if r == nil {
			s.busy = false
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		if err := syncFS(int(s.dir.Fd())); err != nil {
			r.err = fmt.Errorf("syncfs: %w", err)
		}
		s.rounds.Add(1)
		close(r.done)
	}
}

// syncers holds one syncer per filesystem (device), created on first use.
// Its directory stays open, which keeps that filesystem mounted where it
// is: a device number cannot come to name another filesystem meanwhile.
var syncers struct {
	mu sync.Mutex
	m  map[uint64]*syncer
}

// syncerFor returns the syncer of the filesystem holding dir, or nil when
// the platform has no syncfs (Put then fsyncs every file and directory).
func syncerFor(dir string) (*syncer, error) {
	if !haveSyncFS {
		return nil, nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	dev, err := deviceOf(d)
	if err != nil {
		d.Close()
		return nil, err
	}
	syncers.mu.Lock()
	defer syncers.mu.Unlock()
	if s, ok := syncers.m[dev]; ok {
		d.Close()
		return s, nil
	}
	if syncers.m == nil {
		syncers.m = map[uint64]*syncer{}
	}
	s := &syncer{dir: d} // never closed
	syncers.m[dev] = s
	return s, nil
}
