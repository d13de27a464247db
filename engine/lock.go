package engine

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"time"

	plog "github.com/prismd/prismd/log"
	"github.com/prismd/prismd/projections"
)

// Object lock modes.
const (
	LockGovernance = plog.LockGovernance
	LockCompliance = plog.LockCompliance
)

// ObjectLockConfig is a bucket's object lock configuration: lock is on
// (it cannot be turned off), and new versions get DefaultMode retention
// for DefaultDays days or DefaultYears years unless their writer sets one.
// DefaultMode "" means no default retention.
type ObjectLockConfig struct {
	DefaultMode  string
	DefaultDays  int
	DefaultYears int
}

// ObjectLock is the lock a write asks for (x-amz-object-lock-* headers):
// a retention (Mode and Until, or neither) and a legal hold.
type ObjectLock struct {
	Mode      string
	Until     time.Time
	LegalHold bool
}

// Retention is a version's retention; Mode "" means none.
type Retention struct {
	Mode  string
	Until time.Time
}

// lockDoc is the stored form of ObjectLockConfig (log.ConfigObjectLock):
// the XML S3 answers GetObjectLockConfiguration with.
type lockDoc struct {
	XMLName xml.Name `xml:"ObjectLockConfiguration"`
	Xmlns   string   `xml:"xmlns,attr"`
	Enabled string   `xml:"ObjectLockEnabled"`
	Rule    *struct {
		DefaultRetention struct {
			Mode  string `xml:"Mode"`
			Days  int    `xml:"Days,omitempty"`
			Years int    `xml:"Years,omitempty"`
		} `xml:"DefaultRetention"`
	} `xml:"Rule,omitempty"`
}

// validate checks a configuration as S3 does: a default retention has a
// mode and exactly one positive period.
func (c ObjectLockConfig) validate() error {
	switch {
	case c.DefaultMode == "" && c.DefaultDays == 0 && c.DefaultYears == 0:
		return nil
	case c.DefaultMode != LockGovernance && c.DefaultMode != LockCompliance:
		return fmt.Errorf("default retention mode %q: %w", c.DefaultMode, ErrInvalidArgument)
	case (c.DefaultDays > 0) == (c.DefaultYears > 0) || c.DefaultDays < 0 || c.DefaultYears < 0:
		return fmt.Errorf("default retention of %d days and %d years: %w", c.DefaultDays, c.DefaultYears, ErrInvalidArgument)
	}
	return nil
}

func (c ObjectLockConfig) doc() ([]byte, error) {
	d := lockDoc{Xmlns: "http://s3.amazonaws.com/doc/2006-03-01/", Enabled: "Enabled"}
	if c.DefaultMode != "" {
		d.Rule = &struct {
			DefaultRetention struct {
				Mode  string `xml:"Mode"`
				Days  int    `xml:"Days,omitempty"`
				Years int    `xml:"Years,omitempty"`
			} `xml:"DefaultRetention"`
		}{}
		d.Rule.DefaultRetention.Mode = c.DefaultMode
		d.Rule.DefaultRetention.Days = c.DefaultDays
		d.Rule.DefaultRetention.Years = c.DefaultYears
	}
	return xml.Marshal(d)
}

func parseLockDoc(doc []byte) (ObjectLockConfig, error) {
	var d lockDoc
	if err := xml.NewDecoder(bytes.NewReader(doc)).Decode(&d); err != nil {
		return ObjectLockConfig{}, fmt.Errorf("stored object lock configuration: %w", err)
	}
	var c ObjectLockConfig
	if d.Rule != nil {
		c = ObjectLockConfig{DefaultMode: d.Rule.DefaultRetention.Mode, DefaultDays: d.Rule.DefaultRetention.Days, DefaultYears: d.Rule.DefaultRetention.Years}
	}
	return c, c.validate()
}

// SetObjectLockConfiguration turns object lock on for a bucket (for good)
// and sets its default retention. A bucket without object lock must have
// versioning enabled (ErrInvalidBucketState). It returns
// ErrInvalidArgument for a malformed default retention.
func (e *Engine) SetObjectLockConfiguration(ctx context.Context, bucket string, c ObjectLockConfig) error {
	if err := c.validate(); err != nil {
		return err
	}
	v := e.view()
	b, ok := v.Bucket(bucket)
	if !ok {
		return fmt.Errorf("bucket %q: %w", bucket, ErrNoSuchBucket)
	}
	if !v.ObjectLockEnabled(bucket) && b.Versioning != VersioningEnabled {
		return fmt.Errorf("bucket %q: object lock needs versioning enabled: %w", bucket, ErrInvalidBucketState)
	}
	doc, err := c.doc()
	if err != nil {
		return err
	}
	if _, err := e.append(ctx, plog.BucketConfigSet{Bucket: bucket, Name: plog.ConfigObjectLock, Doc: doc}); err != nil {
		return fmt.Errorf("bucket %q: set object lock: %w", bucket, err)
	}
	return nil
}

// ObjectLockConfiguration returns a bucket's object lock configuration:
// ErrNoObjectLockConfig when the bucket has no object lock.
func (e *Engine) ObjectLockConfiguration(bucket string) (ObjectLockConfig, error) {
	doc, found, err := e.BucketConfig(bucket, ConfigObjectLock)
	switch {
	case err != nil:
		return ObjectLockConfig{}, err
	case !found:
		return ObjectLockConfig{}, fmt.Errorf("bucket %q: %w", bucket, ErrNoObjectLockConfig)
	}
	return parseLockDoc(doc)
}

// lockMeta sets the lock fields of a new version of bucket written at
// now: those the writer asked for, else the bucket's default retention.
// It returns ErrNoObjectLockConfig when the writer asks for a lock in a
// bucket without object lock, and reports whether the version gets any
// lock (S3 then wants the request's body protected by a digest).
func (e *Engine) lockMeta(bucket string, lock ObjectLock, now time.Time, m *plog.ObjectMeta) (bool, error) {
	m.LockMode, m.LockUntil, m.LegalHold = "", 0, false
	asked := lock.Mode != "" || lock.LegalHold
	v := e.view()
	if !v.ObjectLockEnabled(bucket) {
		if asked {
			return false, fmt.Errorf("bucket %q: %w", bucket, ErrNoObjectLockConfig)
		}
		return false, nil
	}
	m.LegalHold = lock.LegalHold
	if lock.Mode != "" {
		m.LockMode, m.LockUntil = lock.Mode, lock.Until.UnixNano()
		return true, nil
	}
	doc, _ := v.BucketConfig(bucket, ConfigObjectLock)
	c, err := parseLockDoc(doc)
	if err != nil {
		return false, err
	}
	switch {
	case c.DefaultDays > 0:
		m.LockMode, m.LockUntil = c.DefaultMode, now.AddDate(0, 0, c.DefaultDays).UnixNano()
	case c.DefaultYears > 0:
		m.LockMode, m.LockUntil = c.DefaultMode, now.AddDate(c.DefaultYears, 0, 0).UnixNano()
	}
	return m.LockMode != "" || m.LegalHold, nil
}

// LockNeedsDigest reports whether a write of ObjectLock lock into bucket
// would give the new version a retention or legal hold: S3 then requires
// the request to carry Content-MD5 or a checksum.
func (e *Engine) LockNeedsDigest(bucket string, lock ObjectLock) bool {
	var m plog.ObjectMeta
	locked, err := e.lockMeta(bucket, lock, e.now(), &m)
	return locked || err != nil
}

// lockedVersion returns the version a lock request is about (the latest
// when id is ""), after checking the bucket has object lock.
func (e *Engine) lockedVersion(bucket, key, id string) (projections.Version, error) {
	v := e.view()
	if _, ok := v.Bucket(bucket); !ok {
		return projections.Version{}, fmt.Errorf("bucket %q: %w", bucket, ErrNoSuchBucket)
	}
	if !v.ObjectLockEnabled(bucket) {
		return projections.Version{}, fmt.Errorf("bucket %q: %w", bucket, ErrNoObjectLockConfig)
	}
	x, _, err := e.lookupVersion(bucket, key, id)
	return x, err
}

// SetObjectRetention sets the retention of a version (the latest when id
// is ""): Mode "" removes it. A retention in force cannot be shortened
// or removed (ErrObjectLocked): a COMPLIANCE one ever, a GOVERNANCE one
// unless bypass (the caller checked the requester may bypass).
func (e *Engine) SetObjectRetention(ctx context.Context, bucket, key, id string, r Retention, bypass bool) error {
	x, err := e.lockedVersion(bucket, key, id)
	if err != nil {
		return err
	}
	ev := plog.ObjectRetentionSet{Bucket: bucket, Key: key, VersionID: x.VersionID, Mode: r.Mode, Bypass: bypass}
	if r.Mode != "" {
		if r.Mode != LockGovernance && r.Mode != LockCompliance {
			return fmt.Errorf("retention mode %q: %w", r.Mode, ErrInvalidArgument)
		}
		ev.Until = r.Until.UnixNano()
	}
	if _, err := e.append(ctx, ev); err != nil {
		return fmt.Errorf("%s/%s version %s: set retention: %w", bucket, key, x.VersionID, err)
	}
	return nil
}

// ObjectRetention returns the retention of a version (the latest when id
// is ""): ErrNoObjectLockConfig when the bucket has no object lock,
// ErrNoSuchObjectLock when the version has no retention.
func (e *Engine) ObjectRetention(bucket, key, id string) (Retention, error) {
	x, err := e.lockedVersion(bucket, key, id)
	if err != nil {
		return Retention{}, err
	}
	if x.Meta.LockMode == "" {
		return Retention{}, fmt.Errorf("%s/%s version %s: %w", bucket, key, x.VersionID, ErrNoSuchObjectLock)
	}
	return Retention{Mode: x.Meta.LockMode, Until: time.Unix(0, x.Meta.LockUntil).UTC()}, nil
}

// SetObjectLegalHold puts (on) or lifts the legal hold of a version (the
// latest when id is "").
func (e *Engine) SetObjectLegalHold(ctx context.Context, bucket, key, id string, on bool) error {
	x, err := e.lockedVersion(bucket, key, id)
	if err != nil {
		return err
	}
	if _, err := e.append(ctx, plog.ObjectLegalHoldSet{Bucket: bucket, Key: key, VersionID: x.VersionID, On: on}); err != nil {
		return fmt.Errorf("%s/%s version %s: set legal hold: %w", bucket, key, x.VersionID, err)
	}
	return nil
}

// ObjectLegalHold reports whether a version (the latest when id is "")
// has a legal hold: ErrNoObjectLockConfig when the bucket has no object
// lock.
func (e *Engine) ObjectLegalHold(bucket, key, id string) (bool, error) {
	x, err := e.lockedVersion(bucket, key, id)
	if err != nil {
		return false, err
	}
	return x.Meta.LegalHold, nil
}

// DeleteObjectVersionBypass is DeleteObjectVersion that, with bypass,
// may remove a version under GOVERNANCE retention (the caller checked the
// requester may bypass). A version under legal hold or retention in force
// is ErrObjectLocked; the log refuses it too, so a lock set meanwhile
// still wins.
func (e *Engine) DeleteObjectVersionBypass(ctx context.Context, bucket, key, id string, bypass bool) (DeleteResult, error) {
	if id == "" {
		return e.DeleteObjectVersion(ctx, bucket, key, id)
	}
	v := e.view()
	if _, ok := v.Bucket(bucket); !ok {
		return DeleteResult{}, fmt.Errorf("bucket %q: %w", bucket, ErrNoSuchBucket)
	}
	return e.deleteVersion(ctx, v, bucket, key, id, bypass)
}
