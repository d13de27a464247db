package engine

import (
	"context"
	"fmt"

	plog "github.com/prismd/prismd/log"
)

// Object tags travel in a version's metadata (ObjectInfo.Tags, set by
// PutInput.Tags, CopyInput, CreateUploadInput.Tags); SetObjectTags
// changes them on an existing version. Bucket tags are the bucket
// configuration document ConfigTagging (SetBucketConfig).

// SetObjectTags replaces the tags of a version of bucket/key (the latest
// when versionID is ""); nil or empty tags remove them. The caller
// validates the tags. It returns the version's description (VersionID ""
// in a bucket never versioned). Errors are lookupVersion's: ErrNoSuchKey
// (no object, or its latest version is a delete marker: the info then
// describes the marker), ErrNoSuchVersion, ErrInvalidVersion,
// ErrDeleteMarker (the id names a marker). A version removed before the
// change is applied is ErrNoSuchKey.
func (e *Engine) SetObjectTags(ctx context.Context, bucket, key, versionID string, tags map[string]string) (ObjectInfo, error) {
	x, versioned, err := e.lookupVersion(bucket, key, versionID)
	if err != nil {
		if x.DeleteMarker {
			return versionInfo(bucket, x, versioned), err
		}
		return ObjectInfo{}, err
	}
	ev := plog.ObjectTagsSet{Bucket: bucket, Key: key, VersionID: x.VersionID, Tags: nilIfEmpty(tags)}
	if _, err := e.append(ctx, ev); err != nil {
		return ObjectInfo{}, fmt.Errorf("%s/%s version %s: set tags: %w", bucket, key, x.VersionID, err)
	}
	x.Meta.Tags = ev.Tags
	return versionInfo(bucket, x, versioned), nil
}
