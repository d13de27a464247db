package projections

import (
	"maps"

	"github.com/prismd/prismd/log"
)

// objectTagsSet applies ObjectTagsSet: the version's tags are replaced
// (removed when the event has none). Refused (ErrNoSuchKey) when the
// version does not exist or is a delete marker.
func (s *State) objectTagsSet(e log.ObjectTagsSet) error {
	return s.updateVersion(e.Bucket, e.Key, e.VersionID, func(m *log.ObjectMeta) {
		m.Tags = nil
		if len(e.Tags) > 0 {
			m.Tags = maps.Clone(e.Tags)
		}
	})
}
