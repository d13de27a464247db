package projections

import "errors"

// ErrBadSnapshot is returned (wrapped) by LoadSnapshot when its input is not
// a consistent snapshot.
var ErrBadSnapshot = errors.New("projections: bad snapshot")

// Rejections. Apply returns one of these, wrapped with detail, when it
// refuses an event: the event changes nothing. The log records refused
// events like any other, and applying them again refuses them again, so
// replay rebuilds the same state. The engine turns them into its domain
// errors.
var (
	// ErrNoSuchBucket refuses a write into, or a change of, a bucket that does not exist.
	ErrNoSuchBucket = errors.New("projections: no such bucket")
	// ErrBucketExists refuses BucketCreated of a bucket that exists.
	ErrBucketExists = errors.New("projections: bucket exists")
	// ErrBucketNotEmpty refuses BucketDeleted of a bucket that holds objects.
	ErrBucketNotEmpty = errors.New("projections: bucket not empty")
	// ErrNoSuchUpload refuses a part, completion or abort of an upload that
	// is gone (never created, completed, aborted, or deleted with its bucket).
	ErrNoSuchUpload = errors.New("projections: no such upload")
	// ErrPartMismatch refuses UploadCompleted when a listed part is not (or
	// no longer) the blob the completion names: it was uploaded again.
	ErrPartMismatch = errors.New("projections: part changed")
	// ErrBlobGone refuses a commit, part or copy whose data is no longer
	// known: it was purged (a copy whose source was deleted meanwhile).
	ErrBlobGone = errors.New("projections: blob gone")
	// ErrPreconditionFailed refuses a conditional write whose If-Match or
	// If-None-Match does not hold for the current object.
	ErrPreconditionFailed = errors.New("projections: precondition failed")
	// ErrNoSuchKey refuses an If-Match write when no object exists.
	ErrNoSuchKey = errors.New("projections: no such key")
)

// ErrBadVersioning refuses a BucketVersioningSet whose status is neither
// log.VersioningEnabled nor log.VersioningSuspended.
var ErrBadVersioning = errors.New("projections: bad versioning status")

// ErrBadTimeline refuses a TimelineStarted that does not move the log to a
// later timeline.
var ErrBadTimeline = errors.New("projections: bad timeline")

// ErrBadConfig refuses a BucketConfigSet without a name.
var ErrBadConfig = errors.New("projections: bad bucket config")
