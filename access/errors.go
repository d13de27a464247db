package access

import "errors"

// ErrMalformedPolicy is wrapped by every error ParsePolicy returns; the
// message names the problem.
var ErrMalformedPolicy = errors.New("malformed policy")
