package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/prismd/prismd/access"
	plog "github.com/prismd/prismd/log"
	"github.com/prismd/prismd/projections"
)

// CanonicalID is the canonical user id of an access key: hex SHA-256 of
// the key id, the same on every gateway and after every replay.
func CanonicalID(accessKey string) string {
	sum := sha256.Sum256([]byte("prismd canonical user\x00" + accessKey))
	return hex.EncodeToString(sum[:])
}

// BucketAccess is a bucket's access configuration.
type BucketAccess = projections.Access

// BucketAccess returns a bucket's access configuration; its Owner is ""
// for a bucket of the root key created before buckets had owners.
func (e *Engine) BucketAccess(bucket string) (BucketAccess, error) {
	a, ok := e.view().Access(bucket)
	if !ok {
		return a, fmt.Errorf("bucket %q: %w", bucket, ErrNoSuchBucket)
	}
	return a, nil
}

// RootAccessKey returns the id of the root key, "" if there is none.
func (e *Engine) RootAccessKey() string {
	for _, k := range e.view().AccessKeys() {
		if k.Root {
			return k.AccessKey
		}
	}
	return ""
}

// SetBucketACL replaces a bucket's ACL.
func (e *Engine) SetBucketACL(ctx context.Context, bucket string, grants []plog.Grant) error {
	return e.setAccess(ctx, bucket, plog.BucketACLSet{Bucket: bucket, Grants: grants})
}

// SetBucketAccessPolicy replaces a bucket's policy document ("" deletes
// it). A document that is not a valid policy for the bucket is refused
// with an error wrapping access.ErrMalformedPolicy.
func (e *Engine) SetBucketAccessPolicy(ctx context.Context, bucket, policy string) error {
	if policy != "" {
		if _, err := access.ParsePolicy([]byte(policy), bucket); err != nil {
			return err
		}
	}
	return e.setAccess(ctx, bucket, plog.BucketAccessPolicySet{Bucket: bucket, Policy: policy})
}

// SetPublicAccessBlock replaces a bucket's public access block; nil deletes it.
func (e *Engine) SetPublicAccessBlock(ctx context.Context, bucket string, b *plog.PublicAccessBlock) error {
	return e.setAccess(ctx, bucket, plog.PublicAccessBlockSet{Bucket: bucket, Block: b})
}

// SetOwnershipControls replaces a bucket's object ownership ("" deletes it).
func (e *Engine) SetOwnershipControls(ctx context.Context, bucket, ownership string) error {
	switch ownership {
	case "", "BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter":
	default:
		return fmt.Errorf("object ownership %q: %w", ownership, ErrInvalidArgument)
	}
	return e.setAccess(ctx, bucket, plog.OwnershipControlsSet{Bucket: bucket, Ownership: ownership})
}

func (e *Engine) setAccess(ctx context.Context, bucket string, ev plog.Event) error {
	if _, ok := e.view().Bucket(bucket); !ok {
		return fmt.Errorf("bucket %q: %w", bucket, ErrNoSuchBucket)
	}
	if _, err := e.append(ctx, ev); err != nil {
		return fmt.Errorf("bucket %q: %w", bucket, err)
	}
	return nil
}

// ObjectACL returns the ACL set on an object and true, or false when it
// has none of its own. ErrNoSuchKey when there is no object.
func (e *Engine) ObjectACL(bucket, key string) ([]plog.Grant, bool, error) {
	v := e.view()
	if _, ok := v.Object(bucket, key); !ok {
		if _, ok := v.Bucket(bucket); !ok {
			return nil, false, fmt.Errorf("bucket %q: %w", bucket, ErrNoSuchBucket)
		}
		return nil, false, fmt.Errorf("object %q/%q: %w", bucket, key, ErrNoSuchKey)
	}
	g, ok := v.ObjectACL(bucket, key)
	return g, ok, nil
}

// SetObjectACL replaces the ACL of the object now at bucket/key. If the
// key is rewritten meanwhile, the ACL is not applied to the new object:
// ErrNoSuchKey.
func (e *Engine) SetObjectACL(ctx context.Context, bucket, key string, grants []plog.Grant) error {
	o, ok := e.view().Object(bucket, key)
	if !ok {
		if _, ok := e.view().Bucket(bucket); !ok {
			return fmt.Errorf("bucket %q: %w", bucket, ErrNoSuchBucket)
		}
		return fmt.Errorf("object %q/%q: %w", bucket, key, ErrNoSuchKey)
	}
	var blob plog.BlobID
	if len(o.Extents) > 0 {
		blob = o.Extents[0].Blob
	}
	if _, err := e.append(ctx, plog.ObjectACLSet{Bucket: bucket, Key: key, Blob: blob, Grants: grants}); err != nil {
		return fmt.Errorf("object %q/%q acl: %w", bucket, key, err)
	}
	return nil
}
