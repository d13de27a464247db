package replica

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// maxLeaseSize bounds an encoded lease.
const maxLeaseSize = 4 << 10

// Lease says which gateway writes to a system area, until when. It is the
// file LeaseName of the area, in plain JSON (an operator can read it
// without the master key) with a SHA-256 of its fields (see doc.go).
type Lease struct {
	Gateway  string    `json:"gateway"`
	Instance string    `json:"instance"`
	Acquired time.Time `json:"acquired"`
	Renewed  time.Time `json:"renewed"`
	Expires  time.Time `json:"expires"`
}

// leaseFile is the lease as stored: its fields and the SHA-256 of their
// JSON encoding.
type leaseFile struct {
	Lease
	SHA256 string `json:"sha256"`
}

// Check returns an error unless the gateway id passes CheckGateway, the
// instance is 1 to 256 bytes, and Acquired <= Renewed < Expires.
func (l Lease) Check() error {
	if err := CheckGateway(l.Gateway); err != nil {
		return fmt.Errorf("lease: %w", err)
	}
	if len(l.Instance) == 0 || len(l.Instance) > 256 {
		return fmt.Errorf("lease: instance of %d bytes, want 1 to 256", len(l.Instance))
	}
	if l.Acquired.IsZero() || l.Renewed.Before(l.Acquired) || !l.Expires.After(l.Renewed) {
		return fmt.Errorf("lease: want acquired (%v) <= renewed (%v) < expires (%v)", l.Acquired, l.Renewed, l.Expires)
	}
	return nil
}

// EncodeLease returns the stored form of l, its times in UTC.
func EncodeLease(l Lease) ([]byte, error) {
	if err := l.Check(); err != nil {
		return nil, err
	}
	l.Acquired, l.Renewed, l.Expires = l.Acquired.UTC(), l.Renewed.UTC(), l.Expires.UTC()
	sum, err := leaseSum(l)
	if err != nil {
		return nil, err
	}
	return json.Marshal(leaseFile{Lease: l, SHA256: sum})
}

// DecodeLease parses and verifies a stored lease. Anything else (bad
// JSON, unknown fields, a SHA-256 that does not match, a failed Check) is
// an error wrapping ErrCorrupt.
func DecodeLease(data []byte) (Lease, error) {
	var f leaseFile
	if err := decodeStrictJSON("lease", data, maxLeaseSize, &f); err != nil {
		return Lease{}, err
	}
	if sum, err := leaseSum(f.Lease); err != nil || sum != f.SHA256 {
		return Lease{}, fmt.Errorf("%w: lease: SHA-256 mismatch", ErrCorrupt)
	}
	if err := f.Lease.Check(); err != nil {
		return Lease{}, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return f.Lease, nil
}

// leaseSum is the hex SHA-256 of the JSON encoding of l's fields.
func leaseSum(l Lease) (string, error) {
	data, err := json.Marshal(l)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

// Acquire takes the system area's lease for instance of gateway until
// now+ttl. It succeeds when there is no lease, an expired one, or one of
// the same gateway (a restored gateway takes its lease back at once,
// whatever the instance); a live lease of another gateway is a
// *LeaseHeldError. Acquire writes the lease and reads it back: if another
// gateway's write landed in between, that is a *LeaseHeldError too.
//
// A Store has no conditional write, so two gateways whose read, write and
// read-back interleave exactly (the second writes after the first read
// its lease back) may both succeed; the first then fails its next Renew.
// A gateway that starts after another's write always fails.
func Acquire(ctx context.Context, s Store, gateway, instance string, ttl time.Duration, now time.Time) (Lease, error) {
	cur, err := readLease(ctx, s)
	if err != nil {
		return Lease{}, err
	}
	if cur != nil && cur.Gateway != gateway && now.Before(cur.Expires) {
		return Lease{}, heldBy(*cur)
	}
	return writeLease(ctx, s, Lease{Gateway: gateway, Instance: instance, Acquired: now, Renewed: now, Expires: now.Add(ttl)})
}

// Renew extends l until now+ttl. It fails with a *LeaseHeldError if a
// live lease of another holder (another gateway, or another instance of
// the same gateway that took it over) is in place; a missing or expired
// lease is taken again.
func Renew(ctx context.Context, s Store, l Lease, ttl time.Duration, now time.Time) (Lease, error) {
	cur, err := readLease(ctx, s)
	if err != nil {
		return Lease{}, err
	}
	ours := cur != nil && cur.Gateway == l.Gateway && cur.Instance == l.Instance
	if cur != nil && !ours && now.Before(cur.Expires) {
		return Lease{}, heldBy(*cur)
	}
	if !ours {
		l.Acquired = now
	}
	l.Renewed, l.Expires = now, now.Add(ttl)
	return writeLease(ctx, s, l)
}

// readLease returns the current lease, nil if there is none.
func readLease(ctx context.Context, s Store) (*Lease, error) {
	rc, err := s.Get(ctx, LeaseName)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read lease: %w", err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxLeaseSize+1))
	if err != nil {
		return nil, fmt.Errorf("read lease: %w", err)
	}
	l, err := DecodeLease(data)
	if err != nil {
		return nil, fmt.Errorf("read lease (delete the file %q of the system area to clear it): %w", LeaseName, err)
	}
	return &l, nil
}

// writeLease stores l and reads it back to confirm it is still there.
func writeLease(ctx context.Context, s Store, l Lease) (Lease, error) {
	data, err := EncodeLease(l)
	if err != nil {
		return Lease{}, err
	}
	if err := s.Put(ctx, LeaseName, bytes.NewReader(data), int64(len(data))); err != nil {
		return Lease{}, fmt.Errorf("write lease: %w", err)
	}
	cur, err := readLease(ctx, s)
	if err != nil {
		return Lease{}, err
	}
	if cur == nil {
		return Lease{}, fmt.Errorf("write lease: deleted right after it was written")
	}
	if cur.Gateway != l.Gateway || cur.Instance != l.Instance || !cur.Expires.Equal(l.Expires) {
		return Lease{}, heldBy(*cur)
	}
	return *cur, nil
}

func heldBy(l Lease) error {
	return &LeaseHeldError{Gateway: l.Gateway, Instance: l.Instance, Expires: l.Expires}
}

// Release gives l up at a clean shutdown, so that another gateway may take
// the system area at once: the lease is deleted if it is still l's (a
// lease another holder took since is left alone).
func Release(ctx context.Context, s Store, l Lease) error {
	cur, err := readLease(ctx, s)
	if err != nil || cur == nil {
		return err
	}
	if cur.Gateway != l.Gateway || cur.Instance != l.Instance {
		return nil
	}
	if err := s.Delete(ctx, LeaseName); err != nil {
		return fmt.Errorf("release lease: %w", err)
	}
	return nil
}
