package projections

import (
	"fmt"
	"slices"

	"github.com/prismd/prismd/log"
)

// Access is a bucket's access configuration: who owns it and what its ACL,
// policy, public access block and object ownership setting say.
type Access struct {
	Owner     string // access key id of the owner; "" is the root key
	Ownership string // BucketOwnerEnforced, BucketOwnerPreferred, ObjectWriter; "" none set
	Grants    []log.Grant
	Policy    string                 // the policy document; "" none
	Block     *log.PublicAccessBlock // nil: none set
}

func (a *Access) clone() *Access {
	c := *a
	c.Grants = slices.Clone(a.Grants)
	if a.Block != nil {
		b := *a.Block
		c.Block = &b
	}
	return &c
}

// objACL is an object's ACL, for the object whose first blob is blob.
type objACL struct {
	blob   log.BlobID
	grants []log.Grant
}

// mutAccess returns the bucket's record, cloned, with its access cloned,
// for the caller to change and store.
func (s *State) mutAccess(bucket string) (*bucketRec, error) {
	old, ok := s.t.buckets.Get(bucket)
	if !ok {
		return nil, fmt.Errorf("bucket %q: %w", bucket, ErrNoSuchBucket)
	}
	r := *old
	if r.access == nil {
		r.access = &Access{}
	} else {
		r.access = r.access.clone()
	}
	return &r, nil
}

// setAccess applies one of the bucket access events.
func (s *State) setAccess(bucket string, change func(a *Access)) error {
	r, err := s.mutAccess(bucket)
	if err != nil {
		return err
	}
	change(r.access)
	s.t.buckets.Set(bucket, r)
	return nil
}

// objectACLSet applies ObjectACLSet: refused unless the key holds the
// object whose data starts with e.Blob.
func (s *State) objectACLSet(e log.ObjectACLSet) error {
	o, ok := s.t.objects.Get(objectKey(e.Bucket, e.Key))
	if !ok || o.identity() != e.Blob {
		return fmt.Errorf("object %q/%q: %w", e.Bucket, e.Key, ErrNoSuchKey)
	}
	s.t.objACLs.Set(objectKey(e.Bucket, e.Key), objACL{blob: e.Blob, grants: slices.Clone(e.Grants)})
	return nil
}

// identity is the first blob of the object's data: it tells one object
// stored at a key from the next.
func (o *objRec) identity() log.BlobID {
	if ex := o.extents(); len(ex) > 0 {
		return ex[0].Blob
	}
	return o.blob
}

// dropObjectACL forgets the ACL of the object at objKey (it was replaced or deleted).
func (s *State) dropObjectACL(objKey string) {
	if s.t.objACLs.Len() > 0 {
		s.t.objACLs.Delete(objKey)
	}
}

// Access returns a bucket's access configuration.
func (v *View) Access(bucket string) (Access, bool) {
	b, ok := v.t.buckets.Get(bucket)
	if !ok {
		return Access{}, false
	}
	if b.access == nil {
		return Access{}, true
	}
	return *b.access.clone(), true
}

// ObjectACL returns the ACL set on an object, and false when none was set
// (the object has the default ACL: its owner has FULL_CONTROL).
func (v *View) ObjectACL(bucket, key string) ([]log.Grant, bool) {
	a, ok := v.t.objACLs.Get(objectKey(bucket, key))
	if !ok {
		return nil, false
	}
	return slices.Clone(a.grants), true
}

func clonePAB(b *log.PublicAccessBlock) *log.PublicAccessBlock {
	if b == nil {
		return nil
	}
	c := *b
	return &c
}
