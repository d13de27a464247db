package log

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
)

// The replay pipeline: one goroutine reads stored records in index order
// into batches, a few goroutines decode the batches, and the caller of
// Replay takes the batches in order and calls fn for each record. A fixed
// set of batches circulates, so memory is bounded and the slices are
// reused; the pipeline stops (and its goroutines end) before Replay returns.

const (
	// replayBatchSize is how many records a replay batch holds.
	replayBatchSize = 256
	// replayMaxWorkers caps the decoding goroutines.
	replayMaxWorkers = 4
)

// replayWorkers returns how many goroutines decode during Replay: one per
// processor, at most replayMaxWorkers.
func replayWorkers() int { return min(runtime.GOMAXPROCS(0), replayMaxWorkers) }

// replayBatch is a run of consecutive records, from first.
type replayBatch struct {
	first uint64
	raw   [][]byte // stored bytes, as read
	recs  []Record // decoded; recs[i] is record first+i

	// bad is the position in recs of the first record that did not
	// decode, with its error; len(raw) when all did.
	bad    int
	badErr error
	// readErr is the error reading record first+len(raw), which ends the
	// replay; nil if the batch is full or reaches the last record.
	readErr error

	decoded chan struct{} // receives once the batch is decoded
}

// replayPipeline replays the records [from, last], from > 0.
func (l *Log) replayPipeline(from, last uint64, fn func(Record) error, workers, batchSize int) error {
	depth := 2 * workers // batches in flight
	var (
		free    = make(chan *replayBatch, depth)
		work    = make(chan *replayBatch, depth)
		ordered = make(chan *replayBatch, depth)
		stop    = make(chan struct{})
		wg      sync.WaitGroup
	)
	for range depth {
		free <- &replayBatch{
			raw:     make([][]byte, 0, batchSize),
			recs:    make([]Record, 0, batchSize),
			decoded: make(chan struct{}, 1),
		}
	}
	defer func() {
		close(stop)
		wg.Wait()
	}()

	wg.Add(1)
	go func() { // reader
		defer wg.Done()
		defer close(ordered)
		defer close(work)
		for i := from; i <= last; {
			var b *replayBatch
			select {
			case b = <-free:
			case <-stop:
				return
			}
			b.first, b.raw, b.readErr = i, b.raw[:0], nil
			for ; i <= last && len(b.raw) < batchSize; i++ {
				data, err := l.read(i)
				if err != nil {
					b.readErr = err
					break
				}
				b.raw = append(b.raw, data)
			}
			// Neither send blocks: at most depth batches exist.
			work <- b
			ordered <- b
			if b.readErr != nil {
				return
			}
		}
	}()

	for range workers {
		wg.Add(1)
		go func() { // decoder
			defer wg.Done()
			for b := range work {
				b.decode(stop)
				b.decoded <- struct{}{}
			}
		}()
	}

	for b := range ordered {
		<-b.decoded
		for _, r := range b.recs[:b.bad] {
			if err := fn(r); err != nil {
				return err
			}
		}
		if b.badErr != nil {
			return fmt.Errorf("log: record %d: %w", b.first+uint64(b.bad), b.badErr)
		}
		if b.readErr != nil {
			i := b.first + uint64(len(b.raw))
			if errors.Is(b.readErr, errUnreadable) {
				return l.replayDamaged(i, fn)
			}
			return b.readErr
		}
		clear(b.raw) // drop the stored bytes and events before reuse
		clear(b.recs)
		free <- b
	}
	return nil
}

// decode decodes the batch's records, up to the first that fails. It
// gives up early once stop is closed: nobody will read the result.
func (b *replayBatch) decode(stop <-chan struct{}) {
	b.recs, b.bad, b.badErr = b.recs[:0], len(b.raw), nil
	for i, data := range b.raw {
		if i%32 == 0 {
			select {
			case <-stop:
				b.bad = len(b.recs)
				return
			default:
			}
		}
		ev, t, err := Decode(data)
		if err != nil {
			b.bad, b.badErr = i, err
			return
		}
		b.recs = append(b.recs, Record{Index: b.first + uint64(i), Time: t, Event: ev})
	}
}
