package admin

import "errors"

var (
	// ErrInvalid is returned (wrapped with the field) for a request the API refuses as malformed.
	ErrInvalid = errors.New("invalid request")
	// ErrNotFound is returned when the resource a request names does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict is returned when the request conflicts with the current state.
	ErrConflict = errors.New("conflict")
)
