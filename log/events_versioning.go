package log

// Versioning events (types 60–69, numbered in events.go).

// Versioning states of a bucket. A bucket starts unversioned and, once
// versioning was set, never goes back to it.
const (
	VersioningEnabled   = "Enabled"
	VersioningSuspended = "Suspended"
)

// BucketVersioningSet sets a bucket's versioning state (VersioningEnabled
// or VersioningSuspended). It is refused when the bucket does not exist or
// the status is neither.
type BucketVersioningSet struct {
	Bucket string `msgpack:"bucket"`
	Status string `msgpack:"status"`
}

// ObjectVersionDeleted removes one version (or delete marker) of Key for
// good. VersionID is the id the projections gave it ("null" for the null
// version). Deleting a version that does not exist changes nothing.
// Deleting a version under object lock (legal hold, or retention in
// force) is refused, unless its retention is GOVERNANCE, it has no legal
// hold and Bypass is set (version 2).
type ObjectVersionDeleted struct {
	Bucket    string `msgpack:"bucket"`
	Key       string `msgpack:"key"`
	VersionID string `msgpack:"vid"`
	Bypass    bool   `msgpack:"bypass,omitempty"`
}

func (BucketVersioningSet) EventType() Type  { return TypeBucketVersioningSet }
func (ObjectVersionDeleted) EventType() Type { return TypeObjectVersionDeleted }
