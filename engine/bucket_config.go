package engine

import (
	"context"
	"fmt"

	plog "github.com/prismd/prismd/log"
)

// Names of a bucket's configuration documents: see SetBucketConfig.
const (
	ConfigLifecycle  = plog.ConfigLifecycle
	ConfigCORS       = plog.ConfigCORS
	ConfigTagging    = plog.ConfigTagging
	ConfigObjectLock = plog.ConfigObjectLock
)

// SetBucketConfig stores the bucket's configuration document name (one of
// the Config* names), or removes it when doc is empty. The document is
// stored as given: the caller validates it and gives its canonical form.
// It returns ErrNoSuchBucket when the bucket does not exist.
func (e *Engine) SetBucketConfig(ctx context.Context, bucket, name string, doc []byte) error {
	if name == "" {
		return fmt.Errorf("bucket config without a name: %w", ErrInvalidArgument)
	}
	if _, ok := e.view().Bucket(bucket); !ok {
		return fmt.Errorf("bucket %q: %w", bucket, ErrNoSuchBucket)
	}
	if _, err := e.append(ctx, plog.BucketConfigSet{Bucket: bucket, Name: name, Doc: doc}); err != nil {
		return fmt.Errorf("bucket %q: set %s: %w", bucket, name, err)
	}
	return nil
}

// BucketConfig returns the bucket's configuration document name; found is
// false when none is set. It returns ErrNoSuchBucket when the bucket does
// not exist. The caller must not change the bytes.
func (e *Engine) BucketConfig(bucket, name string) (doc []byte, found bool, err error) {
	v := e.view()
	if _, ok := v.Bucket(bucket); !ok {
		return nil, false, fmt.Errorf("bucket %q: %w", bucket, ErrNoSuchBucket)
	}
	doc, found = v.BucketConfig(bucket, name)
	return doc, found, nil
}
