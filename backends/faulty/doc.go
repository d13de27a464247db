// Package faulty wraps a backends.Backend to inject faults in tests.
//
//	f := faulty.Wrap(mem.New())
//	f.SetLatency(20 * time.Millisecond)     // every call waits first
//	f.SetReadRate(1 << 20)                  // Get bodies trickle at 1 MiB/s
//	f.FailPuts(2)                           // the next 2 Puts fail with ErrInjected
//	f.SetErrorRate(0.1)                     // 10% of calls fail with ErrInjected
//	f.CorruptPrefix("b/3f2a/")              // Get bodies of those keys are corrupted
//	f.SetDown(true)                         // outage: everything fails with backends.ErrUnavailable
//	f.SetCapacity(1 << 20)                  // a full disk: Puts beyond 1 MiB fail with ErrFull
//	f.FailListAfter(5)                      // the next List stops after 5 keys with ErrInjected
//	n := f.Calls(faulty.OpPut)              // calls seen per method (failed ones too)
//	f.Reset()                               // no faults, counters kept
//
// Every method is safe to call concurrently with the backend in use.
// Faults are checked when a call starts, and an outage also fails reads and
// writes in flight: a Get body or Put reader used after SetDown(true) fails
// with backends.ErrUnavailable.
//
// Corruption XORs 0xFF into the first byte of every matching Get body and
// every 4096th byte after it, so any read of one byte or more comes back
// wrong; Stat and List are unchanged.
package faulty
