package admin

import (
	"net/http"
	"time"
)

// GET /api/status: the dashboard's numbers in one answer.
//
//	{"version", "started", "uptime_seconds", "log": {"first_index", "last_index"},
//	 "regions": [health…], "shipping": [per region…], "pending": {"shards", "purges"},
//	 "scrub": {background scrubber…}, "manual_scrub": {"id", "running", "progress"}}

type statusBody struct {
	Version   string        `json:"version"`
	Status    string        `json:"status"`
	Error     string        `json:"error,omitempty"`
	Started   time.Time     `json:"started"`
	UptimeSec float64       `json:"uptime_seconds"`
	Log       logState      `json:"log"`
	Regions   []regionState `json:"regions"`
	Shipping  []shipState   `json:"shipping"`
	Pending   struct {
		Shards int `json:"shards"`
		Purges int `json:"purges"`
	} `json:"pending"`
	Scrub       scrubState  `json:"scrub"`
	ManualScrub *ScrubEvent `json:"manual_scrub,omitempty"`
}

type logState struct {
	First uint64 `json:"first_index"`
	Last  uint64 `json:"last_index"`
}

func (s *Server) status(r *http.Request) (any, error) {
	e := s.cfg.Engine
	body := statusBody{Version: s.cfg.Version, Status: "serving", Started: s.started, UptimeSec: s.now().Sub(s.started).Seconds(),
		Log: logState{First: e.FirstIndex(), Last: e.LastIndex()}, Regions: s.regionStates(), Shipping: []shipState{}}
	if err := s.serving(); err != nil {
		body.Status, body.Error = "not serving", err.Error()
	}
	for _, st := range e.Shipping() {
		body.Shipping = append(body.Shipping, shipState{Region: st.Region, Shipped: st.Shipped, Snapshot: st.Snapshot,
			LagEvents: st.LagEvents, LagSeconds: st.LagSeconds, Error: st.Error})
	}
	body.Pending.Shards, body.Pending.Purges = e.Pending()
	body.Scrub = scrubStateOf(e.ScrubStatus())
	body.ManualScrub = s.scrubs.last()
	return body, nil
}

// regionStates is every region's health with its pending shards.
func (s *Server) regionStates() []regionState {
	usage := s.cfg.Engine.Usage()
	out := []regionState{}
	for _, h := range s.cfg.Engine.Health() {
		out = append(out, regionState{Name: h.Name, Healthy: h.Healthy, State: h.State, LatencyMS: h.LatencyMS,
			ErrorRate: h.ErrorRate, WriteError: h.WriteError, PendingShards: usage[h.Name].Pending})
	}
	return out
}
