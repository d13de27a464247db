package admin

import (
	"net/http"

	"github.com/prismd/prismd/engine"
)

// Background work:
//
//	GET /api/background → {"pending": {"shards", "purges"}, "pending_shards": [first 100], "purge_queue": [first 100],
//	                        "recent_repairs": [the last repairs the event stream saw], "scrub": {…}, "manual_scrub": {…}}
//
// Start and stop a scrub with POST and DELETE /api/scrub (scrub.go).

const workListLimit = 100

func (s *Server) background(r *http.Request) (any, error) {
	e := s.cfg.Engine
	out := struct {
		Pending struct {
			Shards int `json:"shards"`
			Purges int `json:"purges"`
		} `json:"pending"`
		PendingShards []engine.WorkItem `json:"pending_shards"`
		PurgeQueue    []engine.WorkItem `json:"purge_queue"`
		Repairs       []eventView       `json:"recent_repairs"`
		Scrub         scrubState        `json:"scrub"`
		ManualScrub   *ScrubEvent       `json:"manual_scrub,omitempty"`
	}{PendingShards: e.PendingWork(workListLimit), PurgeQueue: e.PurgeWork(workListLimit), Scrub: scrubStateOf(e.ScrubStatus()), ManualScrub: s.scrubs.last()}
	out.Pending.Shards, out.Pending.Purges = e.Pending()
	if out.PendingShards == nil {
		out.PendingShards = []engine.WorkItem{}
	}
	if out.PurgeQueue == nil {
		out.PurgeQueue = []engine.WorkItem{}
	}
	out.Repairs = s.recentRepairs()
	return out, nil
}
