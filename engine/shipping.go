package engine

// shipping ships the log to every region's system area (see ship.go);
// nil when the log is not shipped.
type shipping struct{}

// everywhere returns the newest snapshot index that every region holds.
func (s *shipping) everywhere() uint64 { return 0 }
