package admin

import (
	"time"

	"github.com/prismd/prismd/engine"
	"github.com/prometheus/client_golang/prometheus"
)

// scrubState is the background scrubber in /health.
type scrubState struct {
	Enabled bool `json:"enabled"`
	// Running: a background pass is under way, at Bucket/Key, Objects of
	// TotalObjects walked.
	Running      bool   `json:"running"`
	Deep         bool   `json:"deep"`
	Bucket       string `json:"bucket,omitempty"`
	Key          string `json:"key,omitempty"`
	Objects      int64  `json:"objects"`
	TotalObjects int64  `json:"total_objects"`
	// LastQuick and LastDeep are the last complete passes (RFC 3339, "" never).
	LastQuick     string               `json:"last_quick,omitempty"`
	LastDeep      string               `json:"last_deep,omitempty"`
	NextDue       string               `json:"next_due,omitempty"`
	Last          *engine.ScrubSummary `json:"last,omitempty"`
	ManualRunning bool                 `json:"manual_running"`
}

func scrubStateOf(st engine.ScrubStatus) scrubState {
	stamp := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	return scrubState{Enabled: st.Enabled, Running: st.Running, Deep: st.Deep, Bucket: st.Bucket, Key: st.Key, Objects: st.Objects,
		TotalObjects: st.TotalObjects, LastQuick: stamp(st.LastQuick), LastDeep: stamp(st.LastDeep), NextDue: stamp(st.NextDue),
		Last: st.Last, ManualRunning: st.ManualRunning}
}

// scrubCollector reads the scrubber's state at scrape time.
type scrubCollector struct{ e Engine }

var (
	descScrubRunning  = prometheus.NewDesc("prismd_scrub_running", "1 while a scrub runs: the background scrubber's pass (kind=background) or one started by prismd scrub (kind=manual).", []string{"kind"}, nil)
	descScrubObjects  = prometheus.NewDesc("prismd_scrub_position_objects", "Objects the background scrubber's pass under way has walked.", nil, nil)
	descScrubTotal    = prometheus.NewDesc("prismd_scrub_position_total_objects", "Objects the background scrubber's pass under way walks in all.", nil, nil)
	descScrubLastDone = prometheus.NewDesc("prismd_scrub_last_completion_timestamp_seconds", "When the last complete pass over every object ended (mode quick counts deep passes too); absent before the first.", []string{"mode"}, nil)
	descScrubNextDue  = prometheus.NewDesc("prismd_scrub_next_due_timestamp_seconds", "When the background scrubber's next pass is due.", nil, nil)
	descScrubLast     = prometheus.NewDesc("prismd_scrub_last", "Counts of the last complete pass, by what was counted.", []string{"count"}, nil)
)

func (c scrubCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descScrubRunning, descScrubObjects, descScrubTotal, descScrubLastDone, descScrubNextDue, descScrubLast} {
		ch <- d
	}
}

func (c scrubCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.e.ScrubStatus()
	bit := func(b bool) float64 {
		if b {
			return 1
		}
		return 0
	}
	ch <- prometheus.MustNewConstMetric(descScrubRunning, prometheus.GaugeValue, bit(st.Running), "background")
	ch <- prometheus.MustNewConstMetric(descScrubRunning, prometheus.GaugeValue, bit(st.ManualRunning), "manual")
	if !st.Enabled {
		return
	}
	ch <- prometheus.MustNewConstMetric(descScrubObjects, prometheus.GaugeValue, float64(st.Objects))
	ch <- prometheus.MustNewConstMetric(descScrubTotal, prometheus.GaugeValue, float64(st.TotalObjects))
	ch <- prometheus.MustNewConstMetric(descScrubNextDue, prometheus.GaugeValue, float64(st.NextDue.Unix()))
	for mode, t := range map[string]time.Time{"quick": st.LastQuick, "deep": st.LastDeep} {
		if !t.IsZero() {
			ch <- prometheus.MustNewConstMetric(descScrubLastDone, prometheus.GaugeValue, float64(t.Unix()), mode)
		}
	}
	if l := st.Last; l != nil {
		for name, v := range map[string]int64{"objects": l.Objects, "shards_checked": l.ShardsChecked, "bytes_read": l.BytesRead,
			"missing": l.Missing, "corrupt": l.Corrupt, "repaired": l.Repaired, "unrepairable": l.Unrepairable,
			"orphans_found": l.OrphansFound, "orphans_purged": l.OrphansPurged, "failed": l.Failed} {
			ch <- prometheus.MustNewConstMetric(descScrubLast, prometheus.GaugeValue, float64(v), name)
		}
	}
}
