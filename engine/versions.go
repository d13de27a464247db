package engine

import (
	"context"
	"fmt"
	"sync"

	plog "github.com/prismd/prismd/log"
	"github.com/prismd/prismd/projections"
)

// Versioning statuses of a bucket, as S3 names them. A bucket that was
// never versioned has the status "".
const (
	VersioningEnabled   = plog.VersioningEnabled
	VersioningSuspended = plog.VersioningSuspended
)

// NullVersion is the version id of the object written while a bucket was
// unversioned or suspended.
const NullVersion = projections.NullVersion

// ListVersionsInput is a ListObjectVersions query.
type ListVersionsInput struct {
	Bucket          string
	Prefix          string
	Delimiter       string
	KeyMarker       string
	VersionIDMarker string
	MaxKeys         int // 0 means 1000; capped at 1000
}

// ListVersionsResult is one page of versions and delete markers, in key
// order and newest first within a key.
type ListVersionsResult struct {
	Versions            []ObjectInfo // DeleteMarker set for markers
	CommonPrefixes      []string
	Truncated           bool
	NextKeyMarker       string
	NextVersionIDMarker string
}

// DeleteResult is what a DELETE did: the delete marker it wrote, or the
// version it removed (DeleteMarker set when that version was a marker).
type DeleteResult struct {
	VersionID    string // "" in a bucket that was never versioned
	DeleteMarker bool
}

// SetBucketVersioning sets a bucket's versioning to VersioningEnabled or
// VersioningSuspended (ErrInvalidArgument otherwise). A bucket never goes
// back to unversioned.
func (e *Engine) SetBucketVersioning(ctx context.Context, bucket, status string) error {
	if status != VersioningEnabled && status != VersioningSuspended {
		return fmt.Errorf("versioning status %q: %w", status, ErrInvalidArgument)
	}
	if _, ok := e.view().Bucket(bucket); !ok {
		return fmt.Errorf("bucket %q: %w", bucket, ErrNoSuchBucket)
	}
	if status != VersioningEnabled && e.view().ObjectLockEnabled(bucket) {
		return fmt.Errorf("bucket %q has object lock: %w", bucket, ErrInvalidBucketState)
	}
	_, err := e.append(ctx, plog.BucketVersioningSet{Bucket: bucket, Status: status})
	return err
}

// BucketVersioning returns the bucket's versioning status ("" when it was
// never set).
func (e *Engine) BucketVersioning(ctx context.Context, bucket string) (string, error) {
	b, ok := e.view().Bucket(bucket)
	if !ok {
		return "", fmt.Errorf("bucket %q: %w", bucket, ErrNoSuchBucket)
	}
	return b.Versioning, nil
}

// ValidVersionID reports whether id is a version id prismd could have
// given ("null" included). Requests naming another are invalid
// (ErrInvalidVersion), not of a missing version (ErrNoSuchVersion).
func ValidVersionID(id string) bool {
	_, _, ok := projections.ParseVersionID(id)
	return ok
}

// lookupVersion returns the version of (bucket, key) named by id, or the
// latest when id is "". It returns ErrNoSuchKey when the key has no
// version, or its latest is a delete marker (the marker is returned too);
// ErrInvalidVersion or ErrNoSuchVersion for an id that is not one or does
// not exist; and ErrDeleteMarker, with the marker, when id names one.
func (e *Engine) lookupVersion(bucket, key, id string) (projections.Version, bool, error) {
	v := e.view()
	b, ok := v.Bucket(bucket)
	if !ok {
		return projections.Version{}, false, fmt.Errorf("bucket %q: %w", bucket, ErrNoSuchBucket)
	}
	versioned := b.Versioning != ""
	if id == "" {
		x, ok := v.Latest(bucket, key)
		switch {
		case !ok:
			return x, versioned, fmt.Errorf("%s/%s: %w", bucket, key, ErrNoSuchKey)
		case x.DeleteMarker:
			return x, versioned, fmt.Errorf("%s/%s: latest version is a delete marker: %w", bucket, key, ErrNoSuchKey)
		}
		return x, versioned, nil
	}
	if !ValidVersionID(id) {
		return projections.Version{}, versioned, fmt.Errorf("version %q: %w", id, ErrInvalidVersion)
	}
	x, ok := v.ObjectVersion(bucket, key, id)
	switch {
	case !ok:
		return x, versioned, fmt.Errorf("%s/%s version %s: %w", bucket, key, id, ErrNoSuchVersion)
	case x.DeleteMarker:
		return x, true, fmt.Errorf("%s/%s version %s: %w", bucket, key, id, ErrDeleteMarker)
	}
	return x, versioned, nil
}

// versionPinned is lookupVersion that pins the version's data against
// purge until the caller calls unpin (see lookupPinned).
func (e *Engine) versionPinned(bucket, key, id string) (x projections.Version, versioned bool, unpin func(), err error) {
	for range 4 {
		if x, versioned, err = e.lookupVersion(bucket, key, id); err != nil {
			return x, versioned, nil, err
		}
		ids := make([]plog.BlobID, len(x.Extents))
		for i, ext := range x.Extents {
			ids[i] = ext.Blob
		}
		if e.pins.pin(ids) {
			return x, versioned, sync.OnceFunc(func() { e.pins.unpin(ids) }), nil
		}
	}
	return x, versioned, nil, fmt.Errorf("%s/%s changed while being read: %w", bucket, key, ErrNoSuchKey)
}

// versionInfo describes a version; the version id is left out in a
// bucket that was never versioned, as S3 does.
func versionInfo(bucket string, x projections.Version, versioned bool) ObjectInfo {
	info := objectInfo(bucket, x.Key, x.Meta)
	if x.DeleteMarker {
		info = ObjectInfo{Bucket: bucket, Key: x.Key, LastModified: info.LastModified, DeleteMarker: true}
	}
	info.IsLatest = x.IsLatest
	if versioned {
		info.VersionID = x.VersionID
	}
	return info
}

// writtenVersion returns the version id of the write applied at index idx
// to (bucket, key): "" in a bucket that was never versioned.
func (e *Engine) writtenVersion(bucket, key string, idx uint64) string {
	v := e.view()
	b, _ := v.Bucket(bucket)
	switch {
	case b.Versioning == "":
		return ""
	case v.Applied() >= idx:
		if x, ok := v.ObjectVersion(bucket, key, projections.FormatVersionID(v.VersionSeq(idx))); ok {
			return x.VersionID
		}
	}
	if b.Versioning == VersioningEnabled {
		return projections.FormatVersionID(v.VersionSeq(idx))
	}
	return NullVersion
}

// DeleteObjectVersion deletes a key: with id "", the latest version (an
// unversioned bucket drops the object, a versioned one writes a delete
// marker); with an id, that version or delete marker for good. Deleting
// what does not exist succeeds. The data of a removed version is purged in
// the background.
func (e *Engine) DeleteObjectVersion(ctx context.Context, bucket, key, id string) (DeleteResult, error) {
	v := e.view()
	b, ok := v.Bucket(bucket)
	if !ok {
		return DeleteResult{}, fmt.Errorf("bucket %q: %w", bucket, ErrNoSuchBucket)
	}
	if id == "" {
		if b.Versioning == "" {
			return DeleteResult{}, e.DeleteObject(ctx, bucket, key)
		}
		idx, err := e.append(ctx, plog.ObjectDeleted{Bucket: bucket, Key: key})
		if err != nil {
			return DeleteResult{}, err
		}
		return DeleteResult{VersionID: e.writtenVersion(bucket, key, idx), DeleteMarker: true}, nil
	}
	return e.deleteVersion(ctx, v, bucket, key, id, false)
}

// deleteVersion removes version id of (bucket, key) for good, with bypass
// allowed to remove one under GOVERNANCE retention; the log refuses a
// locked version (ErrObjectLocked). A version that does not exist is
// removed already.
func (e *Engine) deleteVersion(ctx context.Context, v *projections.View, bucket, key, id string, bypass bool) (DeleteResult, error) {
	if !ValidVersionID(id) {
		return DeleteResult{}, fmt.Errorf("version %q: %w", id, ErrInvalidVersion)
	}
	res := DeleteResult{VersionID: id}
	x, found := v.ObjectVersion(bucket, key, id)
	if !found {
		return res, nil
	}
	res.DeleteMarker = x.DeleteMarker
	if _, err := e.append(ctx, plog.ObjectVersionDeleted{Bucket: bucket, Key: key, VersionID: id, Bypass: bypass}); err != nil {
		return res, fmt.Errorf("%s/%s version %s: %w", bucket, key, id, err)
	}
	return res, nil
}

// ListObjectVersions returns one page of a bucket's versions and delete
// markers. A bucket that was never versioned lists its objects as null
// versions.
func (e *Engine) ListObjectVersions(ctx context.Context, in ListVersionsInput) (ListVersionsResult, error) {
	v := e.view()
	b, ok := v.Bucket(in.Bucket)
	if !ok {
		return ListVersionsResult{}, fmt.Errorf("bucket %q: %w", in.Bucket, ErrNoSuchBucket)
	}
	if in.VersionIDMarker != "" && !ValidVersionID(in.VersionIDMarker) {
		return ListVersionsResult{}, fmt.Errorf("version id marker %q: %w", in.VersionIDMarker, ErrInvalidVersion)
	}
	max := in.MaxKeys
	if max <= 0 || max > 1000 {
		max = 1000
	}
	page := v.ListVersions(in.Bucket, projections.VersionQuery{Prefix: in.Prefix, Delimiter: in.Delimiter,
		KeyMarker: in.KeyMarker, VersionIDMarker: in.VersionIDMarker, Max: max})
	res := ListVersionsResult{CommonPrefixes: page.CommonPrefixes, Truncated: page.Truncated}
	if page.Truncated {
		res.NextKeyMarker, res.NextVersionIDMarker = page.NextKeyMarker, page.NextVersionIDMarker
	}
	for _, x := range page.Versions {
		info := versionInfo(in.Bucket, x, true)
		if b.Versioning == "" {
			info.VersionID = NullVersion
		}
		res.Versions = append(res.Versions, info)
	}
	return res, nil
}
