package admin

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prismd/prismd/engine"
	plog "github.com/prismd/prismd/log"
)

// The live event stream: the log as it is written, as Server-Sent Events.
//
//	GET /api/events?type=ObjectCommitted,ObjectDeleted&bucket=photos&from=1200
//	→ text/event-stream, one "data: {"index", "time", "type", "bucket", "event": {…}}" per event
//
// type and bucket filter (comma-separated types); from is the first index
// (default: the next event written; 0 for the oldest the log still
// holds). A reconnecting EventSource resumes after Last-Event-ID. The
// stream wakes when the engine's log advances (Engine.LogAdvanced), not
// on a timer; an idle stream sends a keep-alive comment every 30 s. Sealed
// secrets and hashes are never sent: fields named SealedSecret and Hash
// are left out.

type eventView struct {
	Index  uint64         `json:"index"`
	Time   time.Time      `json:"time"`
	Type   string         `json:"type"`
	Bucket string         `json:"bucket,omitempty"`
	Event  map[string]any `json:"event"`
}

// hidden are the event fields the API never shows.
var hidden = []string{"SealedSecret", "Hash"}

func viewOf(rec engine.LogRecord) eventView {
	v := eventView{Index: rec.Index, Time: rec.Time, Type: rec.Event.EventType().String(), Bucket: rec.Bucket(), Event: map[string]any{}}
	data, err := json.Marshal(rec.Event)
	if err == nil {
		json.Unmarshal(data, &v.Event)
	}
	redact(v.Event)
	return v
}

// redact removes hidden fields at any depth (a RegionAdded's Region holds one).
func redact(m map[string]any) {
	for k, val := range m {
		if slices.Contains(hidden, k) {
			delete(m, k)
			continue
		}
		if sub, ok := val.(map[string]any); ok {
			redact(sub)
		}
	}
}

// eventKeepAlive is how often an idle stream sends a comment, so that
// proxies keep it open and a client that went away is noticed.
const eventKeepAlive = 30 * time.Second

func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var types []string
	if v := q.Get("type"); v != "" {
		types = strings.Split(v, ",")
	}
	bucket := q.Get("bucket")
	from := s.cfg.Engine.LastIndex() + 1
	if v := cmp.Or(r.Header.Get("Last-Event-ID"), q.Get("from")); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": fmt.Sprintf("from %q: not an index", v)})
			return
		}
		from = n
		if r.Header.Get("Last-Event-ID") != "" {
			from++
		}
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	rc.Flush()
	keepAlive := time.NewTicker(eventKeepAlive)
	defer keepAlive.Stop()
	for {
		// The channel is taken before the log is read: an append after
		// the read closes it, and none is missed.
		advanced := s.cfg.Engine.LogAdvanced()
		var out []eventView
		next, err := s.cfg.Engine.ReadLog(from, 1000, func(rec engine.LogRecord) {
			v := viewOf(rec)
			if (len(types) == 0 || slices.Contains(types, v.Type)) && (bucket == "" || v.Bucket == bucket) {
				out = append(out, v)
			}
		})
		if err != nil {
			fmt.Fprintf(w, "event: error\ndata: %q\n\n", err.Error())
			rc.Flush()
			return
		}
		more := next > from && next <= s.cfg.Engine.LastIndex() // a full page read: read on at once
		from = next
		for _, v := range out {
			data, _ := json.Marshal(v)
			if _, err := fmt.Fprintf(w, "id: %d\ndata: %s\n\n", v.Index, data); err != nil {
				return
			}
		}
		if len(out) > 0 && rc.Flush() != nil {
			return
		}
		if more {
			continue
		}
		select {
		case <-r.Context().Done():
			return
		case <-advanced:
		case <-keepAlive.C:
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil || rc.Flush() != nil {
				return
			}
		}
	}
}

// recentRepairs returns the last repairs the log holds (up to 50 of the
// last 10,000 events).
func (s *Server) recentRepairs() []eventView {
	last := s.cfg.Engine.LastIndex()
	from := uint64(1)
	if last > 10_000 {
		from = last - 10_000 + 1
	}
	out := []eventView{}
	for from <= last {
		next, err := s.cfg.Engine.ReadLog(from, 1000, func(rec engine.LogRecord) {
			switch rec.Event.(type) {
			case plog.ShardRepaired, plog.ShardCorrupt, plog.ShardMissing:
				out = append(out, viewOf(rec))
			}
		})
		if err != nil || next == from {
			break
		}
		from = next
	}
	if len(out) > 50 {
		out = out[len(out)-50:]
	}
	return out
}
