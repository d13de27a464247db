package log

// Object lock events (types 62–69, numbered in events.go). A bucket has
// object lock when it holds a ConfigObjectLock document (BucketConfigSet,
// or BucketCreated with ObjectLock); a version's retention and legal hold
// live in its ObjectMeta (LockMode, LockUntil, LegalHold).

// Object lock retention modes.
const (
	LockGovernance = "GOVERNANCE"
	LockCompliance = "COMPLIANCE"
)

// ObjectLockEnabledDoc is the ConfigObjectLock document of a bucket created
// with object lock and no default retention (BucketCreated.ObjectLock).
var ObjectLockEnabledDoc = []byte(`<ObjectLockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><ObjectLockEnabled>Enabled</ObjectLockEnabled></ObjectLockConfiguration>`)

// ObjectRetentionSet sets the retention of one version (VersionID as the
// projections give it): Mode LockGovernance or LockCompliance until Until
// (unix nanoseconds), or none when Mode is "". It is refused when the
// bucket has no object lock, the version does not exist (or is a delete
// marker), or it would shorten or remove a retention still in force: a
// COMPLIANCE one ever, a GOVERNANCE one unless Bypass.
type ObjectRetentionSet struct {
	Bucket    string `msgpack:"bucket"`
	Key       string `msgpack:"key"`
	VersionID string `msgpack:"vid"`
	Mode      string `msgpack:"mode,omitempty"`
	Until     int64  `msgpack:"until,omitempty"`
	Bypass    bool   `msgpack:"bypass,omitempty"`
}

// ObjectLegalHoldSet puts (On) or lifts the legal hold of one version. It
// is refused when the bucket has no object lock or the version does not
// exist (or is a delete marker).
type ObjectLegalHoldSet struct {
	Bucket    string `msgpack:"bucket"`
	Key       string `msgpack:"key"`
	VersionID string `msgpack:"vid"`
	On        bool   `msgpack:"on,omitempty"`
}

func (ObjectRetentionSet) EventType() Type { return TypeObjectRetentionSet }
func (ObjectLegalHoldSet) EventType() Type { return TypeObjectLegalHoldSet }
