package log

// Names of a bucket's configuration documents (BucketConfigSet.Name). Each
// is the canonical form the s3 layer validated and serialises back: the
// XML body of the matching S3 API (PutBucketLifecycleConfiguration,
// PutBucketCors, PutBucketTagging, PutObjectLockConfiguration).
const (
	ConfigLifecycle  = "lifecycle"
	ConfigCORS       = "cors"
	ConfigTagging    = "tagging"
	ConfigObjectLock = "object-lock"
)

// BucketConfigSet sets (Doc not empty) or removes (Doc empty) a bucket's
// configuration document Name. It is refused when the bucket does not
// exist or Name is empty. The document is opaque to the log and the
// projections: the package that owns the configuration parses it.
type BucketConfigSet struct {
	Bucket string `msgpack:"bucket"`
	Name   string `msgpack:"name"`
	Doc    []byte `msgpack:"doc,omitempty"`
}

func (BucketConfigSet) EventType() Type { return TypeBucketConfigSet }
