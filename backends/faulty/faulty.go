package faulty

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prismd/prismd/backends"
)

var _ backends.Backend = (*Backend)(nil)

// ErrInjected is returned by calls failed by FailPuts, FailListAfter or SetErrorRate.
var ErrInjected = errors.New("faulty: injected error")

// ErrFull is returned by Puts that would go beyond SetCapacity: the
// region's disk is full. It is not backends.ErrUnavailable: the region
// answers, and reads and deletes still work.
var ErrFull = errors.New("faulty: no space left on device")

// Op names a Backend method for Calls.
type Op int

// The methods counted by Calls.
const (
	OpPut Op = iota
	OpGet
	OpStat
	OpDelete
	OpList
	OpCreateBucket
	OpDeleteBucket
	numOps
)

var opNames = [numOps]string{"Put", "Get", "Stat", "Delete", "List", "CreateBucket", "DeleteBucket"}

func (o Op) String() string { return opNames[o] }

// corruptStride is the distance between corrupted bytes in a Get body.
const corruptStride = 4096

// Backend is a fault-injecting wrapper; create it with Wrap.
type Backend struct {
	inner backends.Backend
	calls [numOps]atomic.Int64
	down  atomic.Bool

	mu        sync.Mutex
	latency   time.Duration
	readRate  int64 // bytes per second; 0 means unlimited
	errorRate float64
	failPuts  int
	listFail  int // > 0: the next List fails after listFail-1 keys
	corrupt   func(bucket, key string) bool
	capacity  int64            // bytes; 0: unlimited
	used      int64            // bytes of the objects in sizes
	sizes     map[string]int64 // bucket + "/" + key → size, of objects put through the wrapper
}

// Wrap returns a Backend that passes every call to b until told otherwise.
func Wrap(b backends.Backend) *Backend { return &Backend{inner: b} }

// Unwrap returns the wrapped backend.
func (f *Backend) Unwrap() backends.Backend { return f.inner }

// SetLatency makes every call wait d before it starts (0, the default: none).
// A call whose context ends while waiting returns the context's error.
func (f *Backend) SetLatency(d time.Duration) {
	f.mu.Lock()
	f.latency = d
	f.mu.Unlock()
}

// SetReadRate throttles Get bodies to bytesPerSecond (0, the default: unlimited).
func (f *Backend) SetReadRate(bytesPerSecond int64) {
	f.mu.Lock()
	f.readRate = bytesPerSecond
	f.mu.Unlock()
}

// SetDown starts (true) or ends (false) an outage. During an outage every
// call, and every read of a Get body or Put reader already in flight, fails
// with an error wrapping backends.ErrUnavailable.
func (f *Backend) SetDown(down bool) { f.down.Store(down) }

// Down reports whether an outage is on.
func (f *Backend) Down() bool { return f.down.Load() }

// SetErrorRate makes each call fail with ErrInjected with probability p
// (0, the default: never; 1: always).
func (f *Backend) SetErrorRate(p float64) {
	f.mu.Lock()
	f.errorRate = p
	f.mu.Unlock()
}

// FailPuts makes the next n Puts fail with ErrInjected without calling the
// wrapped backend (so nothing is stored).
func (f *Backend) FailPuts(n int) {
	f.mu.Lock()
	f.failPuts = n
	f.mu.Unlock()
}

// FailListAfter makes the next List hand n keys to its callback and then
// fail with ErrInjected, as a listing cut off part-way (n = 0: before the
// first key). Later Lists are whole again.
func (f *Backend) FailListAfter(n int) {
	f.mu.Lock()
	f.listFail = n + 1
	f.mu.Unlock()
}

// SetCapacity makes the region hold at most bytes of the objects put
// through the wrapper (0, the default: unlimited): a Put that would exceed
// it fails with ErrFull and stores nothing, as on a full disk; Deletes free
// space.
func (f *Backend) SetCapacity(bytes int64) {
	f.mu.Lock()
	f.capacity = bytes
	f.mu.Unlock()
}

// Used returns the bytes held by objects put through the wrapper.
func (f *Backend) Used() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.used
}

// Corrupt makes Get bodies of keys for which match returns true come back
// corrupted; nil (the default) turns corruption off.
func (f *Backend) Corrupt(match func(bucket, key string) bool) {
	f.mu.Lock()
	f.corrupt = match
	f.mu.Unlock()
}

// CorruptPrefix corrupts Get bodies of every key starting with prefix, in
// any bucket.
func (f *Backend) CorruptPrefix(prefix string) {
	f.Corrupt(func(_, key string) bool { return strings.HasPrefix(key, prefix) })
}

// Reset removes every fault (latency, throttle, outage, errors, corruption,
// a List to cut off).
// Counters are kept; see ResetCalls.
func (f *Backend) Reset() {
	f.mu.Lock()
	f.latency, f.readRate, f.errorRate, f.failPuts, f.corrupt, f.capacity, f.listFail = 0, 0, 0, 0, nil, 0, 0
	f.mu.Unlock()
	f.down.Store(false)
}

// Calls returns how many times op was called, failed calls included.
func (f *Backend) Calls(op Op) int64 { return f.calls[op].Load() }

// ResetCalls sets every counter to zero.
func (f *Backend) ResetCalls() {
	for i := range f.calls {
		f.calls[i].Store(0)
	}
}

// enter counts a call, waits the latency and decides on injected failures.
func (f *Backend) enter(ctx context.Context, op Op) error {
	f.calls[op].Add(1)
	f.mu.Lock()
	latency, rate := f.latency, f.errorRate
	failPut := op == OpPut && f.failPuts > 0
	if failPut {
		f.failPuts--
	}
	f.mu.Unlock()
	if latency > 0 {
		t := time.NewTimer(latency)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
	switch {
	case f.down.Load():
		return fmt.Errorf("faulty %s: %w", op, backends.ErrUnavailable)
	case failPut:
		return fmt.Errorf("faulty %s: %w", op, ErrInjected)
	case rate > 0 && rand.Float64() < rate:
		return fmt.Errorf("faulty %s: %w", op, ErrInjected)
	}
	return nil
}

// Put implements backends.Backend.
func (f *Backend) Put(ctx context.Context, bucket, key string, r io.Reader, size int64) error {
	if err := f.enter(ctx, OpPut); err != nil {
		return err
	}
	id := bucket + "/" + key
	f.mu.Lock()
	if f.capacity > 0 && f.used-f.sizes[id]+size > f.capacity {
		f.mu.Unlock()
		return fmt.Errorf("faulty Put %s: %w", id, ErrFull)
	}
	f.mu.Unlock()
	if err := f.inner.Put(ctx, bucket, key, &outageReader{f: f, r: r}, size); err != nil {
		return err
	}
	f.mu.Lock()
	if f.sizes == nil {
		f.sizes = map[string]int64{}
	}
	f.used += size - f.sizes[id]
	f.sizes[id] = size
	f.mu.Unlock()
	return nil
}

// Get implements backends.Backend.
func (f *Backend) Get(ctx context.Context, bucket, key string, offset, length int64) (io.ReadCloser, error) {
	if err := f.enter(ctx, OpGet); err != nil {
		return nil, err
	}
	rc, err := f.inner.Get(ctx, bucket, key, offset, length)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	match := f.corrupt
	f.mu.Unlock()
	return &getBody{
		outageReader: outageReader{f: f, r: rc},
		ctx:          ctx,
		rc:           rc,
		corrupt:      match != nil && match(bucket, key),
	}, nil
}

// Stat implements backends.Backend.
func (f *Backend) Stat(ctx context.Context, bucket, key string) (backends.ObjectInfo, error) {
	if err := f.enter(ctx, OpStat); err != nil {
		return backends.ObjectInfo{}, err
	}
	return f.inner.Stat(ctx, bucket, key)
}

// Delete implements backends.Backend.
func (f *Backend) Delete(ctx context.Context, bucket string, keys []string) ([]error, error) {
	if err := f.enter(ctx, OpDelete); err != nil {
		return nil, err
	}
	errs, err := f.inner.Delete(ctx, bucket, keys)
	if err == nil {
		f.mu.Lock()
		for i, k := range keys {
			if i >= len(errs) || errs[i] == nil {
				id := bucket + "/" + k
				f.used -= f.sizes[id]
				delete(f.sizes, id)
			}
		}
		f.mu.Unlock()
	}
	return errs, err
}

// List implements backends.Backend. An outage starting during a List ends it
// with ErrUnavailable.
func (f *Backend) List(ctx context.Context, bucket, prefix string, fn func(backends.ObjectInfo) bool) error {
	if err := f.enter(ctx, OpList); err != nil {
		return err
	}
	f.mu.Lock()
	budget := f.listFail - 1 // keys handed out before failing; < 0: no failure
	f.listFail = 0
	f.mu.Unlock()
	var down, cut bool
	err := f.inner.List(ctx, bucket, prefix, func(oi backends.ObjectInfo) bool {
		if f.down.Load() {
			down = true
			return false
		}
		if budget == 0 {
			cut = true
			return false
		}
		budget--
		return fn(oi)
	})
	switch {
	case err == nil && down:
		err = fmt.Errorf("faulty List: %w", backends.ErrUnavailable)
	case err == nil && cut:
		err = fmt.Errorf("faulty List cut off: %w", ErrInjected)
	}
	return err
}

// CreateBucket implements backends.Backend.
func (f *Backend) CreateBucket(ctx context.Context, bucket string) error {
	if err := f.enter(ctx, OpCreateBucket); err != nil {
		return err
	}
	return f.inner.CreateBucket(ctx, bucket)
}

// DeleteBucket implements backends.Backend.
func (f *Backend) DeleteBucket(ctx context.Context, bucket string) error {
	if err := f.enter(ctx, OpDeleteBucket); err != nil {
		return err
	}
	return f.inner.DeleteBucket(ctx, bucket)
}

// outageReader fails once an outage starts.
type outageReader struct {
	f *Backend
	r io.Reader
}

func (o *outageReader) Read(p []byte) (int, error) {
	if o.f.down.Load() {
		return 0, fmt.Errorf("faulty: read in flight: %w", backends.ErrUnavailable)
	}
	return o.r.Read(p)
}

// getBody adds throttling and corruption to a Get body.
type getBody struct {
	outageReader
	ctx     context.Context
	rc      io.ReadCloser
	corrupt bool
	pos     int64 // bytes returned so far
}

func (g *getBody) Read(p []byte) (int, error) {
	g.f.mu.Lock()
	rate := g.f.readRate
	g.f.mu.Unlock()
	if rate > 0 {
		// Read at most ~10ms worth at a time, then wait for it.
		p = p[:min(int64(len(p)), max(rate/100, 1))]
	}
	n, err := g.outageReader.Read(p)
	if g.corrupt {
		for i := range n {
			if (g.pos+int64(i))%corruptStride == 0 {
				p[i] ^= 0xFF
			}
		}
	}
	g.pos += int64(n)
	if rate > 0 && n > 0 {
		t := time.NewTimer(time.Duration(float64(n) / float64(rate) * float64(time.Second)))
		select {
		case <-g.ctx.Done():
			t.Stop()
			return n, g.ctx.Err()
		case <-t.C:
		}
	}
	return n, err
}

func (g *getBody) Close() error { return g.rc.Close() }
