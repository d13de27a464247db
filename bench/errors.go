package bench

import "errors"

var (
	// ErrInvalidConfig is returned when a Config or Workload cannot be run;
	// the wrapping error names the field.
	ErrInvalidConfig = errors.New("bench: invalid config")
	// ErrPrepare is returned when the objects a GET, mixed or LIST workload
	// reads could not be created; the wrapping error says why.
	ErrPrepare = errors.New("bench: prepare failed")
	// ErrProcess is returned when a process of the standard set (a
	// versitygw region, prismd serve, go test) could not be started or
	// did not become ready.
	ErrProcess = errors.New("bench: process failed")
)
