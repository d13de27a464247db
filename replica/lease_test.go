package replica

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	gwA = "gateway-a"
	gwB = "gateway-b"
	ttl = 30 * time.Second
)

var t0 = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

func wantHeld(t *testing.T, what string, err error, gateway string, expires time.Time) {
	t.Helper()
	var held *LeaseHeldError
	if !errors.As(err, &held) || !errors.Is(err, ErrLeaseHeld) {
		t.Fatalf("%s: %v, want a *LeaseHeldError", what, err)
	}
	if held.Gateway != gateway || !held.Expires.Equal(expires) {
		t.Errorf("%s: held by %s until %v, want %s until %v", what, held.Gateway, held.Expires, gateway, expires)
	}
}

func TestLeaseAcquire(t *testing.T) {
	ctx := t.Context()
	s := NewMemStore()
	a, err := Acquire(ctx, s, gwA, "a1", ttl, t0)
	if err != nil {
		t.Fatal(err)
	}
	if a.Gateway != gwA || a.Instance != "a1" || !a.Expires.Equal(t0.Add(ttl)) {
		t.Errorf("Acquire = %+v", a)
	}
	// Another gateway waits for the lease to expire.
	_, err = Acquire(ctx, s, gwB, "b1", ttl, t0.Add(ttl-time.Nanosecond))
	wantHeld(t, "Acquire of a live lease", err, gwA, t0.Add(ttl))
	if !strings.Contains(err.Error(), gwA) || !strings.Contains(err.Error(), "2025-01-02T03:04:35Z") {
		t.Errorf("the error does not say who holds the area until when: %v", err)
	}
	b, err := Acquire(ctx, s, gwB, "b1", ttl, t0.Add(ttl))
	if err != nil {
		t.Fatalf("Acquire of an expired lease: %v", err)
	}
	// The first holder cannot renew a lease another gateway took.
	_, err = Renew(ctx, s, a, ttl, t0.Add(ttl+time.Second))
	wantHeld(t, "Renew of a lease taken over", err, gwB, b.Expires)
	// The holder renews.
	b2, err := Renew(ctx, s, b, ttl, t0.Add(ttl+10*time.Second))
	if err != nil || !b2.Expires.Equal(t0.Add(2*ttl+10*time.Second)) || !b2.Acquired.Equal(b.Acquired) {
		t.Fatalf("Renew = %+v, %v", b2, err)
	}
}

func TestLeaseSameGatewayTakesBack(t *testing.T) {
	ctx := t.Context()
	s := NewMemStore()
	old, err := Acquire(ctx, s, gwA, "old", ttl, t0)
	if err != nil {
		t.Fatal(err)
	}
	// A restored gateway (a new instance) takes its lease back at once ...
	restored, err := Acquire(ctx, s, gwA, "restored", ttl, t0.Add(time.Second))
	if err != nil {
		t.Fatalf("Acquire by another instance of the same gateway: %v", err)
	}
	// ... and the old instance's next renewal fails.
	_, err = Renew(ctx, s, old, ttl, t0.Add(2*time.Second))
	wantHeld(t, "Renew by the replaced instance", err, gwA, restored.Expires)
}

func TestLeaseRenewMissingOrExpired(t *testing.T) {
	ctx := t.Context()
	s := NewMemStore()
	a, err := Acquire(ctx, s, gwA, "a1", ttl, t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, LeaseName); err != nil {
		t.Fatal(err)
	}
	if _, err := Renew(ctx, s, a, ttl, t0.Add(time.Second)); err != nil {
		t.Errorf("Renew of a deleted lease: %v", err)
	}
	if _, err := Acquire(ctx, s, gwB, "b1", ttl, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	// B's lease expired: A takes it again.
	if _, err := Renew(ctx, s, a, ttl, t0.Add(2*time.Hour)); err != nil {
		t.Errorf("Renew over an expired lease of another gateway: %v", err)
	}
}

// hookStore runs afterPut once, right after the first Put of the lease.
type hookStore struct {
	Store
	once     sync.Once
	afterPut func()
}

func (h *hookStore) Put(ctx context.Context, name string, r io.Reader, size int64) error {
	err := h.Store.Put(ctx, name, r, size)
	if name == LeaseName {
		h.once.Do(h.afterPut)
	}
	return err
}

// TestLeaseRaceLaterAcquirerFails: a gateway whose Acquire starts after
// another's write fails, even before the first confirmed its lease.
func TestLeaseRaceLaterAcquirerFails(t *testing.T) {
	ctx := t.Context()
	mem := NewMemStore()
	var errB error
	s := &hookStore{Store: mem, afterPut: func() {
		_, errB = Acquire(ctx, mem, gwB, "b1", ttl, t0)
	}}
	if _, err := Acquire(ctx, s, gwA, "a1", ttl, t0); err != nil {
		t.Fatalf("first acquirer: %v", err)
	}
	wantHeld(t, "acquirer starting after the first one's write", errB, gwA, t0.Add(ttl))
}

// TestLeaseRaceWriteAfterWrite: when another gateway's write lands between
// our write and our read-back, we fail and name it.
func TestLeaseRaceWriteAfterWrite(t *testing.T) {
	ctx := t.Context()
	mem := NewMemStore()
	other, _ := EncodeLease(Lease{Gateway: gwB, Instance: "b1", Acquired: t0, Renewed: t0, Expires: t0.Add(ttl)})
	s := &hookStore{Store: mem, afterPut: func() {
		if err := mem.Put(ctx, LeaseName, bytes.NewReader(other), int64(len(other))); err != nil {
			t.Error(err)
		}
	}}
	_, err := Acquire(ctx, s, gwA, "a1", ttl, t0)
	wantHeld(t, "acquirer overwritten before its read-back", err, gwB, t0.Add(ttl))
}

// TestLeaseConcurrentAcquire: gateways racing may each believe they won
// (the documented window), but afterwards exactly one renews.
func TestLeaseConcurrentAcquire(t *testing.T) {
	ctx := t.Context()
	s := NewMemStore()
	const n = 8
	leases := make([]*Lease, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			l, err := Acquire(ctx, s, fmt.Sprintf("gateway-%d", i), "x", ttl, t0)
			if err == nil {
				leases[i] = &l
			} else if !errors.Is(err, ErrLeaseHeld) {
				t.Errorf("gateway %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	renewed := 0
	for _, l := range leases {
		if l == nil {
			continue
		}
		if _, err := Renew(ctx, s, *l, ttl, t0.Add(time.Second)); err == nil {
			renewed++
		} else if !errors.Is(err, ErrLeaseHeld) {
			t.Errorf("Renew: %v", err)
		}
	}
	if renewed != 1 {
		t.Errorf("%d gateways renewed the lease, want exactly 1", renewed)
	}
}

func TestLeaseCorrupt(t *testing.T) {
	ctx := t.Context()
	s := NewMemStore()
	if err := s.Put(ctx, LeaseName, strings.NewReader("{}"), 2); err != nil {
		t.Fatal(err)
	}
	if _, err := Acquire(ctx, s, gwA, "a1", ttl, t0); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Acquire over a corrupt lease: %v, want ErrCorrupt", err)
	}
	if _, err := Acquire(ctx, NewMemStore(), gwA, "a1", 0, t0); err == nil {
		t.Error("Acquire with a zero ttl succeeded")
	}
}

func TestLeaseEncoding(t *testing.T) {
	l := Lease{Gateway: gwA, Instance: "host-1:4242", Acquired: t0, Renewed: t0.Add(time.Second), Expires: t0.Add(ttl)}
	data, err := EncodeLease(l)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"gateway":"gateway-a","instance":"host-1:4242","acquired":"2025-01-02T03:04:05Z",` +
		`"renewed":"2025-01-02T03:04:06Z","expires":"2025-01-02T03:04:35Z",` +
		`"sha256":"`
	if !strings.HasPrefix(string(data), want) {
		t.Errorf("EncodeLease = %s", data)
	}
	if got, err := DecodeLease(data); err != nil || got != l {
		t.Errorf("DecodeLease = %+v, %v", got, err)
	}
	for i := range data {
		flipped := bytes.Clone(data)
		flipped[i] ^= 0x01
		if _, err := DecodeLease(flipped); !errors.Is(err, ErrCorrupt) {
			t.Errorf("byte %d flipped: %v, want ErrCorrupt", i, err)
		}
	}
}

func FuzzDecodeLease(f *testing.F) {
	data, _ := EncodeLease(Lease{Gateway: gwA, Instance: "i", Acquired: t0, Renewed: t0, Expires: t0.Add(ttl)})
	f.Add(data)
	f.Add([]byte(`{"gateway":"gateway-a","sha256":""}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := DecodeLease(data)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error that is not ErrCorrupt: %v", err)
			}
			return
		}
		again, err := EncodeLease(l)
		if err != nil {
			t.Fatalf("decoded lease %+v does not encode: %v", l, err)
		}
		l2, err := DecodeLease(again)
		if err != nil || l2.Gateway != l.Gateway || l2.Instance != l.Instance || !l2.Expires.Equal(l.Expires) ||
			!l2.Renewed.Equal(l.Renewed) || !l2.Acquired.Equal(l.Acquired) {
			t.Fatalf("lease %+v re-encoded as %s decodes to %+v, %v", l, again, l2, err)
		}
	})
}
