package projections

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/prismd/prismd/log"
)

// Object lock. A bucket has object lock when it holds a log.ConfigObjectLock
// document; such a bucket is versioned (Enabled) for good: the document
// cannot be removed and versioning cannot be suspended. A version is
// locked while it has a legal hold or a retention whose date is after the
// time of the event being applied. Every event that would remove a locked
// version, or shorten or remove its retention, is refused here, under the
// log's order, whoever wrote it (a client, lifecycle, an admin).
var (
	// ErrObjectLocked refuses the removal of a locked version, or a
	// retention change that would shorten or remove one in force.
	ErrObjectLocked = errors.New("projections: object locked")
	// ErrNoObjectLock refuses lock settings in a bucket without object lock.
	ErrNoObjectLock = errors.New("projections: bucket has no object lock")
	// ErrInvalidBucketState refuses suspending versioning of a bucket with
	// object lock, removing its object lock, or turning object lock on in
	// a bucket whose versioning is not enabled.
	ErrInvalidBucketState = errors.New("projections: invalid bucket state")
	// ErrBadRetention refuses a retention whose mode is not one of
	// log.LockGovernance, log.LockCompliance, or that has a mode without a
	// date (or a date without a mode).
	ErrBadRetention = errors.New("projections: bad retention")
)

// lockEnabled reports whether the bucket has object lock.
func (r *bucketRec) lockEnabled() bool {
	_, ok := r.configs[log.ConfigObjectLock]
	return ok
}

// ObjectLockEnabled reports whether the bucket exists and has object lock.
func (v *View) ObjectLockEnabled(bucket string) bool {
	b, ok := v.t.buckets.Get(bucket)
	return ok && b.lockEnabled()
}

// checkLockConfig refuses a BucketConfigSet of the object lock document
// that removes it, or sets it on a bucket whose versioning is not enabled.
func checkLockConfig(b *bucketRec, e log.BucketConfigSet) error {
	if e.Name != log.ConfigObjectLock {
		return nil
	}
	if len(e.Doc) == 0 && b.lockEnabled() {
		return fmt.Errorf("bucket %q: object lock cannot be removed: %w", e.Bucket, ErrInvalidBucketState)
	}
	if len(e.Doc) > 0 && b.versioning != log.VersioningEnabled {
		return fmt.Errorf("bucket %q: object lock needs versioning enabled: %w", e.Bucket, ErrInvalidBucketState)
	}
	return nil
}

// checkVersioningLock refuses suspending versioning of a bucket with object lock.
func checkVersioningLock(b *bucketRec, status string) error {
	if status != log.VersioningEnabled && b.lockEnabled() {
		return fmt.Errorf("bucket %q: versioning of a bucket with object lock: %w", b.name, ErrInvalidBucketState)
	}
	return nil
}

// validRetention reports whether mode and until form a retention: both
// set (a known mode) or neither.
func validRetention(mode string, until int64) bool {
	switch mode {
	case "":
		return until == 0
	case log.LockGovernance, log.LockCompliance:
		return until > 0
	}
	return false
}

// checkLockMeta refuses a new version carrying lock settings in a bucket
// without object lock, or carrying a malformed retention.
func (t *tables) checkLockMeta(bucket string, m log.ObjectMeta) error {
	if m.LockMode == "" && m.LockUntil == 0 && !m.LegalHold {
		return nil
	}
	if !validRetention(m.LockMode, m.LockUntil) {
		return fmt.Errorf("%s: mode %q until %d: %w", bucket, m.LockMode, m.LockUntil, ErrBadRetention)
	}
	if b, ok := t.buckets.Get(bucket); ok && !b.lockEnabled() {
		return fmt.Errorf("bucket %q: %w", bucket, ErrNoObjectLock)
	}
	return nil
}

// lockOf returns a version's object lock settings without exporting the
// rest of its metadata.
func (o *objRec) lockOf() (mode string, until int64, hold bool) {
	eachAttr(o.attrs, func(tag byte, name, value string) {
		if tag != attrLock {
			return
		}
		switch name {
		case "hold":
			hold = true
		case "mode":
			mode = value
		case "until":
			until, _ = strconv.ParseInt(value, 10, 64)
		}
	})
	return mode, until, hold
}

// checkRemovable refuses the removal of a locked version at time now:
// one with a legal hold, or a retention in force (a GOVERNANCE one may be
// bypassed). Delete markers are never locked.
func checkRemovable(o *objRec, now int64, bypass bool) error {
	if o.marker() {
		return nil
	}
	mode, until, hold := o.lockOf()
	switch {
	case hold:
		return fmt.Errorf("version %s has a legal hold: %w", o.versionID(), ErrObjectLocked)
	case until > now && !(bypass && mode == log.LockGovernance):
		return fmt.Errorf("version %s is under %s retention until %d: %w", o.versionID(), mode, until, ErrObjectLocked)
	}
	return nil
}

// checkRetentionChange refuses replacing a version's retention (mode,
// until) with (newMode, newUntil) at time now when the old one is in
// force and the new one would protect less: a COMPLIANCE retention can
// only be extended; a GOVERNANCE one extended or made COMPLIANCE, or
// anything with bypass.
func checkRetentionChange(mode string, until int64, newMode string, newUntil int64, now int64, bypass bool) error {
	if until <= now {
		return nil
	}
	weaker := newUntil < until || newMode == "" || mode == log.LockCompliance && newMode != log.LockCompliance
	switch {
	case !weaker:
		return nil
	case mode == log.LockGovernance && bypass:
		return nil
	}
	return fmt.Errorf("%s retention until %d cannot become %q until %d: %w", mode, until, newMode, newUntil, ErrObjectLocked)
}

func (s *State) objectRetentionSet(e log.ObjectRetentionSet) error {
	o, err := s.lockTarget(e.Bucket, e.Key, e.VersionID)
	if err != nil {
		return err
	}
	if !validRetention(e.Mode, e.Until) {
		return fmt.Errorf("%s/%s: mode %q until %d: %w", e.Bucket, e.Key, e.Mode, e.Until, ErrBadRetention)
	}
	mode, until, _ := o.lockOf()
	if err := checkRetentionChange(mode, until, e.Mode, e.Until, s.now, e.Bypass); err != nil {
		return fmt.Errorf("%s/%s version %s: %w", e.Bucket, e.Key, e.VersionID, err)
	}
	return s.updateVersion(e.Bucket, e.Key, e.VersionID, func(m *log.ObjectMeta) { m.LockMode, m.LockUntil = e.Mode, e.Until })
}

func (s *State) objectLegalHoldSet(e log.ObjectLegalHoldSet) error {
	if _, err := s.lockTarget(e.Bucket, e.Key, e.VersionID); err != nil {
		return err
	}
	return s.updateVersion(e.Bucket, e.Key, e.VersionID, func(m *log.ObjectMeta) { m.LegalHold = e.On })
}

// lockTarget returns the version a lock change is about. It refuses a
// bucket that does not exist or has no object lock, and a version that
// does not exist or is a delete marker.
func (s *State) lockTarget(bucket, key, id string) (*objRec, error) {
	b, ok := s.t.buckets.Get(bucket)
	if !ok {
		return nil, fmt.Errorf("bucket %q: %w", bucket, ErrNoSuchBucket)
	}
	if !b.lockEnabled() {
		return nil, fmt.Errorf("bucket %q: %w", bucket, ErrNoObjectLock)
	}
	ent, found := s.t.findVersion(objectKey(bucket, key), id)
	if !found || ent.o.marker() {
		return nil, fmt.Errorf("object %q/%q version %q: %w", bucket, key, id, ErrNoSuchKey)
	}
	return ent.o, nil
}
