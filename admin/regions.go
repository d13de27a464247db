package admin

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/prismd/prismd/engine"
)

// The regions API adds, changes and removes regions at run time:
//
//	GET    /api/regions              → [{"name", "type", "configured", "healthy", "state", "latency_ms", "read_mib_s",
//	                                     "error_rate", "shards", "bytes", "pending_shards", "pending_purges", …}, …]
//	PUT    /api/regions/{name}       ← {"type": "s3", "endpoint": …, "access_key": …, "secret_key": …, …}
//	POST   /api/regions/{name}/test  ← the same body → {"ok": true, "latency_ms": 12.5} or {"ok": false, "error": …}
//	POST   /api/regions/{name}/drain → {"moved": n, "failed": n, "bootstrap": bool, "note": …}: every shard copied off the region, then the region removed
//	DELETE /api/regions/{name}       (its shards are rebuilt on the others from the remaining ones)
//
// A region of the bootstrap config cannot be changed or removed here
// (400: the config file says what it is), but it can be drained: its
// shards move, it leaves use, and the answer's note asks the operator to
// remove it from the config file before the next start (else that start
// uses it again, as an empty region). A drain that would leave too few
// regions for the default policy or a bucket's policy is refused (400).
//
// Secrets go in and are sealed in the log; they never come back out. The
// body is checked by the engine's one region validation (the config
// file's too: engine.RegionSpec.Validate); an invalid field answers 400
// naming it.

// regionBody is a region as the API reads and writes it.
type regionBody struct {
	Name               string `json:"name"`
	Type               string `json:"type"`
	Path               string `json:"path,omitempty"`
	Endpoint           string `json:"endpoint,omitempty"`
	Region             string `json:"region,omitempty"`
	AccessKey          string `json:"access_key,omitempty"`
	SecretKey          string `json:"secret_key,omitempty"`
	PathStyle          bool   `json:"path_style,omitempty"`
	Bucket             string `json:"bucket,omitempty"`
	InsecureSkipVerify bool   `json:"insecure_skip_verify,omitempty"`
	Configured         bool   `json:"configured"`
}

// regionView is a region as GET /api/regions lists it: its settings
// (never its secret), health and usage.
type regionView struct {
	regionBody
	Healthy       bool    `json:"healthy"`
	State         string  `json:"state"`
	LatencyMS     float64 `json:"latency_ms"`
	ReadMiBps     float64 `json:"read_mib_s"` // 0: not known
	ErrorRate     float64 `json:"error_rate"`
	WriteError    string  `json:"write_error,omitempty"`
	Shards        int64   `json:"shards"`
	Bytes         int64   `json:"bytes"`
	PendingShards int64   `json:"pending_shards"`
	PendingPurges int64   `json:"pending_purges"`
}

// spec is the body as the engine's region spec.
func (b regionBody) spec(name string) engine.RegionSpec {
	return engine.RegionSpec{Name: name, Type: b.Type, Path: b.Path, Endpoint: b.Endpoint, SigningRegion: b.Region,
		AccessKey: b.AccessKey, SecretKey: b.SecretKey, PathStyle: b.PathStyle, Bucket: b.Bucket, Insecure: b.InsecureSkipVerify}
}

// bodyOf is a region as the API shows it: never its secret.
func bodyOf(ri engine.RegionInfo) regionBody {
	return regionBody{Name: ri.Name, Type: ri.Type, Path: ri.Path, Endpoint: ri.Endpoint, Region: ri.SigningRegion,
		AccessKey: ri.AccessKey, PathStyle: ri.PathStyle, Bucket: ri.Bucket, InsecureSkipVerify: ri.Insecure, Configured: ri.Configured}
}

func (s *Server) listRegions(r *http.Request) (any, error) {
	health := map[string]engine.RegionHealth{}
	for _, h := range s.cfg.Engine.Health() {
		health[h.Name] = h
	}
	usage := s.cfg.Engine.Usage()
	out := []regionView{}
	for _, ri := range s.cfg.Engine.Regions() {
		h, u := health[ri.Name], usage[ri.Name]
		out = append(out, regionView{regionBody: bodyOf(ri), Healthy: h.Healthy, State: h.State, LatencyMS: h.LatencyMS, ReadMiBps: h.ReadMiBps,
			ErrorRate: h.ErrorRate, WriteError: h.WriteError, Shards: u.Shards, Bytes: u.Bytes, PendingShards: u.Pending, PendingPurges: u.Purges})
	}
	return out, nil
}

// testRegion reaches a region (new or changed) without using it.
func (s *Server) testRegion(r *http.Request) (any, error) {
	spec, err := regionSpec(r)
	if err != nil {
		return nil, err
	}
	took, err := s.cfg.Engine.TestRegion(r.Context(), spec)
	if errors.Is(err, engine.ErrInvalidArgument) {
		return nil, err
	}
	if err != nil {
		return map[string]any{"ok": false, "error": err.Error()}, nil
	}
	return map[string]any{"ok": true, "latency_ms": float64(took.Microseconds()) / 1000}, nil
}

// regionSpec reads a region body for the region the path names.
func regionSpec(r *http.Request) (engine.RegionSpec, error) {
	var b regionBody
	if err := decode(r, &b); err != nil {
		return engine.RegionSpec{}, err
	}
	if b.Name != "" && b.Name != r.PathValue("name") {
		return engine.RegionSpec{}, fmt.Errorf("name: the body names another region than the path: %w", ErrInvalid)
	}
	return b.spec(r.PathValue("name")), nil
}

func (s *Server) putRegion(r *http.Request) (any, error) {
	spec, err := regionSpec(r)
	if err != nil {
		return nil, err
	}
	if err := s.cfg.Engine.AddRegion(r.Context(), spec); err != nil {
		return nil, err
	}
	return map[string]string{"status": "ok"}, nil
}

func (s *Server) deleteRegion(r *http.Request) (any, error) {
	if err := s.cfg.Engine.RemoveRegion(r.Context(), r.PathValue("name")); err != nil {
		return nil, err
	}
	return map[string]string{"status": "ok"}, nil
}

func (s *Server) drainRegion(r *http.Request) (any, error) {
	res, err := s.cfg.Engine.DrainRegion(r.Context(), r.PathValue("name"))
	if err != nil {
		return nil, err
	}
	out := map[string]any{"moved": res.Moved, "failed": res.Failed, "bootstrap": res.Bootstrap}
	if res.Bootstrap {
		out["note"] = fmt.Sprintf("region %q is in the bootstrap config: remove it from the config file before the next start, or that start uses it again as an empty region", r.PathValue("name"))
	}
	return out, nil
}
