package projections

import (
	"fmt"

	"github.com/prismd/prismd/log"
)

// objectExpired applies a lifecycle expiry: ObjectDeleted of the key's
// current version, refused (ErrPreconditionFailed) unless that version is
// still the one the rule judged (same version id and write time).
func (s *State) objectExpired(e log.ObjectExpired) error {
	if _, ok := s.t.buckets.Get(e.Bucket); !ok {
		return fmt.Errorf("bucket %q: %w", e.Bucket, ErrNoSuchBucket)
	}
	cur, ok := s.t.objects.Get(objectKey(e.Bucket, e.Key))
	if !ok || cur.versionID() != e.VersionID || cur.mtime != e.ModTime {
		return fmt.Errorf("expire %q/%q version %s: current version changed: %w", e.Bucket, e.Key, e.VersionID, ErrPreconditionFailed)
	}
	return s.objectDeleted(log.ObjectDeleted{Bucket: e.Bucket, Key: e.Key})
}
