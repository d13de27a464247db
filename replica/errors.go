package replica

import (
	"errors"
	"fmt"
	"time"
)

var (
	// ErrNotFound is returned by Store.Get when no file has the name, and by
	// a restore plan when the listings hold no file of the gateway asked for.
	ErrNotFound = errors.New("replica: not found")

	// ErrInvalidName is returned for a name a Store refuses (not a relative
	// '/'-separated path of [A-Za-z0-9._-] elements, see CheckName) and by
	// ParseName for a name outside the naming scheme.
	ErrInvalidName = errors.New("replica: invalid name")

	// ErrCorrupt is returned when a shipped file fails verification: a
	// sealed chunk that does not authenticate, a missing final chunk,
	// a segment or lease whose format or checksum is wrong. The error
	// wrapping it says what was wrong.
	ErrCorrupt = errors.New("replica: corrupt")

	// ErrWrongKey is returned by Open when the file's key check does not
	// match the master key: the file was sealed with another master key
	// (another gateway's, or an old one). No byte of it can be read.
	ErrWrongKey = errors.New("replica: the master key does not open this file")

	// ErrGap is wrapped by *GapError: the files listed do not hold every
	// log index a restore needs.
	ErrGap = errors.New("replica: gap in the shipped log")

	// ErrTooOld is wrapped by *TooOldError: the target of a restore is
	// older than the oldest state the files listed can restore.
	ErrTooOld = errors.New("replica: target older than the oldest restorable point")

	// ErrLeaseHeld is wrapped by *LeaseHeldError: another gateway holds
	// the system area's lease.
	ErrLeaseHeld = errors.New("replica: lease held by another gateway")
)

// GapError names the log indexes [From, To] that no usable file holds.
type GapError struct {
	From, To uint64
}

func (e *GapError) Error() string {
	if e.From == e.To {
		return fmt.Sprintf("replica: gap in the shipped log: no file holds index %d", e.From)
	}
	return fmt.Sprintf("replica: gap in the shipped log: no file holds indexes %d to %d", e.From, e.To)
}

func (e *GapError) Unwrap() error { return ErrGap }

// TooOldError names the oldest state the files can restore: the snapshot
// (or, with none, the first event) at Index, whose event happened at Time.
type TooOldError struct {
	Index uint64
	Time  time.Time
}

func (e *TooOldError) Error() string {
	return fmt.Sprintf("replica: target older than the oldest restorable point: log index %d (%s)",
		e.Index, e.Time.UTC().Format(time.RFC3339Nano))
}

func (e *TooOldError) Unwrap() error { return ErrTooOld }

// LeaseHeldError says which gateway holds a system area's lease, and until when.
type LeaseHeldError struct {
	Gateway  string
	Instance string
	Expires  time.Time
}

func (e *LeaseHeldError) Error() string {
	return fmt.Sprintf("replica: the system area is held by gateway %q (instance %q) until %s: "+
		"another prismd gateway ships to this region",
		e.Gateway, e.Instance, e.Expires.UTC().Format(time.RFC3339))
}

func (e *LeaseHeldError) Unwrap() error { return ErrLeaseHeld }
