package log

// Tagging events (types 85–89, numbered in events.go). Bucket tags are a
// bucket configuration document (BucketConfigSet, ConfigTagging).

// ObjectTagsSet replaces the tags of one version of Key: VersionID is the
// id the projections gave it ("null" for the null version). Tags nil or
// empty removes them. Applying it is refused when the version does not
// exist or is a delete marker.
type ObjectTagsSet struct {
	Bucket    string            `msgpack:"bucket"`
	Key       string            `msgpack:"key"`
	VersionID string            `msgpack:"vid"`
	Tags      map[string]string `msgpack:"tags,omitempty"`
}

func (ObjectTagsSet) EventType() Type { return TypeObjectTagsSet }
