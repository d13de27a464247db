package log

// Lifecycle events (type 79, numbered in events.go).

// ObjectExpired is a lifecycle rule's expiry of Key's current version: it
// does what ObjectDeleted does (an unversioned bucket drops the object, a
// versioned or suspended one gets a delete marker), but only while the
// key's current version is still the one the rule judged — VersionID (the
// id the projections gave it, "null" included) written at ModTime (unix
// nanoseconds). It is refused otherwise (a client wrote the key since),
// and when the bucket does not exist. Rule is the rule's ID, for the
// record.
type ObjectExpired struct {
	Bucket    string `msgpack:"bucket"`
	Key       string `msgpack:"key"`
	VersionID string `msgpack:"vid"`
	ModTime   int64  `msgpack:"mtime"`
	Rule      string `msgpack:"rule,omitempty"`
}

func (ObjectExpired) EventType() Type { return TypeObjectExpired }
