package engine

import "testing"

// BenchmarkLogSignalNotify is what an append pays for LogAdvanced: with no
// stream waiting, one atomic load; with one, the close of a channel.
func BenchmarkLogSignalNotify(b *testing.B) {
	b.Run("idle", func(b *testing.B) {
		var s logSignal
		for b.Loop() {
			s.notify()
		}
	})
	b.Run("waiter", func(b *testing.B) {
		var s logSignal
		for b.Loop() {
			s.wait()
			s.notify()
		}
	})
}
