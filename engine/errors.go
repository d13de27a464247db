package engine

import (
	"errors"
	"fmt"

	"github.com/prismd/prismd/engine/datapath"
	"github.com/prismd/prismd/projections"
)

// Domain errors. The s3 package maps each to one S3 error code.
var (
	// ErrNoSuchBucket is returned when the bucket does not exist.
	ErrNoSuchBucket = errors.New("no such bucket")
	// ErrBucketExists is returned by CreateBucket when the bucket already exists.
	ErrBucketExists = errors.New("bucket already exists")
	// ErrBucketNotEmpty is returned by DeleteBucket when the bucket still holds objects.
	ErrBucketNotEmpty = errors.New("bucket not empty")
	// ErrInvalidBucketName is returned for names that break the S3 bucket naming rules.
	ErrInvalidBucketName = errors.New("invalid bucket name")
	// ErrNoSuchKey is returned when the object does not exist.
	ErrNoSuchKey = errors.New("no such key")
	// ErrInvalidKey is returned for keys that are empty, too long, not UTF-8, hold NUL or a ".." segment.
	ErrInvalidKey = errors.New("invalid key")
	// ErrNoSuchUpload is returned when the multipart upload does not exist (or belongs to another key).
	ErrNoSuchUpload = errors.New("no such upload")
	// ErrInvalidPart is returned when a completed part is missing or its ETag does not match.
	ErrInvalidPart = errors.New("invalid part")
	// ErrInvalidPartOrder is returned when completed parts are not in ascending order.
	ErrInvalidPartOrder = errors.New("invalid part order")
	// ErrEntityTooSmall is returned when a part other than the last is below the 5 MiB minimum.
	ErrEntityTooSmall = errors.New("entity too small")
	// ErrEntityTooLarge is returned when an object or part exceeds the size limit.
	ErrEntityTooLarge = errors.New("entity too large")
	// ErrInvalidRange is returned when a range does not overlap the object.
	ErrInvalidRange = errors.New("invalid range")
	// ErrInvalidPartNumber is returned when a GET or HEAD asks for a part
	// number the object does not have.
	ErrInvalidPartNumber = errors.New("invalid part number")
	// ErrPreconditionFailed is returned when If-Match / If-None-Match: * / If-Unmodified-Since fails.
	ErrPreconditionFailed = errors.New("precondition failed")
	// ErrNotModified is returned when If-None-Match (an ETag) / If-Modified-Since says the client's copy is current.
	ErrNotModified = errors.New("not modified")
	// ErrBadDigest is returned when Content-MD5 or a checksum does not match the body.
	ErrBadDigest = errors.New("bad digest")
	// ErrIncompleteBody is returned when the body is shorter than its declared length.
	ErrIncompleteBody = errors.New("incomplete body")
	// ErrQuorum is returned when too few regions took the shards of a write (or hold them for a read).
	ErrQuorum = errors.New("not enough regions available")
	// ErrClosed is returned after Close, or after the log failed.
	ErrClosed = errors.New("engine closed")
	// ErrInvalidArgument is returned for malformed arguments (bad part number, bad policy, …).
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrNoSuchAccessKey is returned when a client access key is unknown.
	ErrNoSuchAccessKey = errors.New("no such access key")
	// ErrNoSuchAdminToken is returned when a management API token is unknown.
	ErrNoSuchAdminToken = errors.New("no such admin token")
	// ErrNoSuchVersion is returned when a version id names no version of the key.
	ErrNoSuchVersion = errors.New("no such version")
	// ErrInvalidVersion is returned for a version id prismd never gives.
	ErrInvalidVersion = errors.New("invalid version id")
	// ErrDeleteMarker is returned when a GET, HEAD or copy names a delete
	// marker by its version id.
	ErrDeleteMarker = errors.New("version is a delete marker")
	// ErrCopyFromDeleteMarker is returned when a copy's source version id
	// names a delete marker.
	ErrCopyFromDeleteMarker = errors.New("copy source is a delete marker")
	// ErrObjectLocked is returned when object lock forbids removing a
	// version or shortening its retention.
	ErrObjectLocked = errors.New("object locked")
	// ErrNoObjectLockConfig is returned when a bucket has no object lock.
	ErrNoObjectLockConfig = errors.New("bucket has no object lock configuration")
	// ErrNoSuchObjectLock is returned when a version has no retention.
	ErrNoSuchObjectLock = errors.New("version has no object lock retention")
	// ErrInvalidBucketState is returned when versioning of a bucket with
	// object lock would be suspended, or object lock turned on in a bucket
	// whose versioning is not enabled.
	ErrInvalidBucketState = errors.New("invalid bucket state")
)

// rejections maps the projections' refusals of an event to domain errors.
var rejections = []struct{ from, to error }{
	{projections.ErrNoSuchBucket, ErrNoSuchBucket},
	{projections.ErrBucketExists, ErrBucketExists},
	{projections.ErrBucketNotEmpty, ErrBucketNotEmpty},
	{projections.ErrNoSuchUpload, ErrNoSuchUpload},
	{projections.ErrPartMismatch, ErrInvalidPart},
	{projections.ErrBlobGone, ErrNoSuchKey},
	{projections.ErrPreconditionFailed, ErrPreconditionFailed},
	{projections.ErrNoSuchKey, ErrNoSuchKey},
	{projections.ErrObjectLocked, ErrObjectLocked},
	{projections.ErrNoObjectLock, ErrNoObjectLockConfig},
	{projections.ErrInvalidBucketState, ErrInvalidBucketState},
	{projections.ErrBadRetention, ErrInvalidArgument},
}

// rejection turns a refused append (log.ErrRejected wrapping a projections
// error) into the domain error the caller answers with.
func rejection(err error) error {
	for _, r := range rejections {
		if errors.Is(err, r.from) {
			return fmt.Errorf("%w: %w", r.to, err)
		}
	}
	return err
}

// dataError turns the data path's errors into domain errors: too few
// shards is ErrQuorum, a body that ended early ErrIncompleteBody.
func dataError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, datapath.ErrTooFewShards):
		return fmt.Errorf("%w: %w", ErrQuorum, err)
	case errors.Is(err, datapath.ErrShortBody):
		return fmt.Errorf("%w: %w", ErrIncompleteBody, err)
	}
	return err
}
