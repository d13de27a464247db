package engine

import "sync"

// tasks counts the work that outlives the requests that started it (shard
// writes beyond the write quorum, shard problem reports), so that Close can
// wait for it. Unlike a bare sync.WaitGroup, it refuses new work once
// closed instead of racing with the wait.
type tasks struct {
	mu     sync.Mutex
	cond   sync.Cond
	n      int
	closed bool
}

// add counts one more task; false once close was called (the caller must
// not start it).
func (t *tasks) add() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return false
	}
	t.n++
	return true
}

// done ends a task counted by add.
func (t *tasks) done() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.n--
	if t.n == 0 && t.cond.L != nil {
		t.cond.Broadcast()
	}
}

// wait returns once no task is running.
func (t *tasks) wait() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cond.L == nil {
		t.cond.L = &t.mu
	}
	for t.n > 0 {
		t.cond.Wait()
	}
}

// close refuses every later add.
func (t *tasks) close() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closed = true
}
