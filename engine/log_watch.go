package engine

import "sync/atomic"

// logSignal tells waiters that the log advanced. It costs an append one
// atomic load while nobody waits: the channel exists only once a waiter
// asked for it, and the append that finds it closes it and clears it.
type logSignal struct {
	ch atomic.Pointer[chan struct{}]
}

// wait returns a channel closed at the next notify.
func (s *logSignal) wait() <-chan struct{} {
	for {
		if p := s.ch.Load(); p != nil {
			return *p
		}
		ch := make(chan struct{})
		if s.ch.CompareAndSwap(nil, &ch) {
			return ch
		}
	}
}

// notify closes the channel waiters hold, if any.
func (s *logSignal) notify() {
	if p := s.ch.Load(); p != nil && s.ch.CompareAndSwap(p, nil) {
		close(*p)
	}
}

// LogAdvanced returns a channel that is closed when the log next advances
// (an append returned). A follower of the log takes the channel first,
// then reads the log to its end (ReadLog), then waits on the channel:
// an append between the read and the wait is never missed.
func (e *Engine) LogAdvanced() <-chan struct{} { return e.logSignal.wait() }
