package log

// Who may do what: the events that set a bucket's or an object's access
// configuration. Each one replaces the whole setting it names.

// Grant gives one grantee one permission, as an S3 ACL does. Grantee is
// "id:<canonical user id>" or "group:AllUsers" / "group:AuthenticatedUsers";
// Permission is FULL_CONTROL, READ, WRITE, READ_ACP or WRITE_ACP.
type Grant struct {
	Grantee    string `msgpack:"g"`
	Permission string `msgpack:"p"`
}

// BucketACLSet replaces a bucket's ACL.
type BucketACLSet struct {
	Bucket string  `msgpack:"bucket"`
	Grants []Grant `msgpack:"grants"`
}

// ObjectACLSet replaces the ACL of the object at Bucket/Key whose data is
// Blob; applying it is refused when the key holds another object by then.
type ObjectACLSet struct {
	Bucket string  `msgpack:"bucket"`
	Key    string  `msgpack:"key"`
	Blob   BlobID  `msgpack:"blob"`
	Grants []Grant `msgpack:"grants"`
}

// BucketAccessPolicySet replaces a bucket's access policy (the IAM policy
// document, JSON, validated before it was appended); "" deletes it.
type BucketAccessPolicySet struct {
	Bucket string `msgpack:"bucket"`
	Policy string `msgpack:"policy,omitempty"`
}

// PublicAccessBlock is a bucket's public access block configuration.
type PublicAccessBlock struct {
	BlockPublicAcls       bool `msgpack:"bacls,omitempty"`
	IgnorePublicAcls      bool `msgpack:"iacls,omitempty"`
	BlockPublicPolicy     bool `msgpack:"bpolicy,omitempty"`
	RestrictPublicBuckets bool `msgpack:"restrict,omitempty"`
}

// PublicAccessBlockSet replaces a bucket's public access block; nil deletes it.
type PublicAccessBlockSet struct {
	Bucket string             `msgpack:"bucket"`
	Block  *PublicAccessBlock `msgpack:"block,omitempty"`
}

// OwnershipControlsSet replaces a bucket's object ownership setting
// (BucketOwnerEnforced, BucketOwnerPreferred, ObjectWriter); "" deletes it.
type OwnershipControlsSet struct {
	Bucket    string `msgpack:"bucket"`
	Ownership string `msgpack:"ownership,omitempty"`
}

func (BucketACLSet) EventType() Type          { return TypeBucketACLSet }
func (ObjectACLSet) EventType() Type          { return TypeObjectACLSet }
func (BucketAccessPolicySet) EventType() Type { return TypeBucketAccessPolicySet }
func (PublicAccessBlockSet) EventType() Type  { return TypePublicAccessBlockSet }
func (OwnershipControlsSet) EventType() Type  { return TypeOwnershipControlsSet }
