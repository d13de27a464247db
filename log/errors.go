package log

import "errors"

var (
	// ErrCorrupt is returned when stored bytes fail verification: a record
	// whose checksum or encoding is wrong, a damaged record followed by valid
	// ones, or a snapshot whose format or SHA-256 does not match. The error
	// wrapping it names the record index or file.
	ErrCorrupt = errors.New("log: corrupt")

	// ErrFailed is returned by every call after a write or fsync of the log
	// failed. The log never retries: reopen it to recover what is durable.
	// The error wrapping it carries the original cause.
	ErrFailed = errors.New("log: failed")

	// ErrClosed is returned by calls made after Close.
	ErrClosed = errors.New("log: closed")

	// ErrUnknownType is returned when an event's type, or the version of a
	// known type, is not registered in this build (an event written by a
	// newer binary, or a struct that is not an event of this package).
	ErrUnknownType = errors.New("log: unknown event type")

	// ErrNoSnapshot is returned by LatestSnapshot when the directory holds no
	// snapshot at all.
	ErrNoSnapshot = errors.New("log: no snapshot")

	// ErrRejected is returned by Append when the apply hook refused one of
	// its events (see SetApply): the events are durable, the refused one
	// changed nothing. The error wrapping it carries the hook's reason.
	ErrRejected = errors.New("log: event rejected")

	// ErrOutOfRange is returned by ReadRaw and TruncateFront when the indexes
	// asked for are not held by the log (truncated away, or not written yet).
	ErrOutOfRange = errors.New("log: index out of range")
)
