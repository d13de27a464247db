package projections

import "errors"

// ErrBadSnapshot is returned (wrapped) by LoadSnapshot when its input is not
// a consistent snapshot.
var ErrBadSnapshot = errors.New("projections: bad snapshot")
