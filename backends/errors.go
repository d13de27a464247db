package backends

import "errors"

var (
	// ErrNotFound is returned when a key does not exist.
	ErrNotFound = errors.New("backend: not found")
	// ErrNoSuchBucket is returned when the bucket does not exist.
	ErrNoSuchBucket = errors.New("backend: no such bucket")
	// ErrBucketNotEmpty is returned by DeleteBucket when keys remain.
	ErrBucketNotEmpty = errors.New("backend: bucket not empty")
	// ErrInvalidRange is returned when a read starts beyond the object's end.
	ErrInvalidRange = errors.New("backend: invalid range")
	// ErrUnavailable is returned when the region cannot be reached (outage, breaker open).
	ErrUnavailable = errors.New("backend: region unavailable")
	// ErrShortBody is returned by Put when the reader yields fewer or more bytes than declared.
	ErrShortBody = errors.New("backend: body length does not match size")
)

// ErrInvalidKey is returned when a key or bucket name cannot be stored by the
// backend (for example a key with a ".." path element in backends/fs).
var ErrInvalidKey = errors.New("backend: invalid key or bucket name")
