package admin

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/prismd/prismd/engine"
)

// The regions API adds, changes and removes regions at run time:
//
//	GET    /api/regions          → [{"name": …, "type": …, "configured": true}, …]
//	PUT    /api/regions/{name}   ← {"type": "s3", "endpoint": …, "access_key": …, "secret_key": …, …}
//	DELETE /api/regions/{name}
//
// Secrets go in and are sealed in the log; they never come back out. The
// body is checked by the engine's one region validation (the config file's
// too); an invalid field answers 400 naming it. Like pprof, the API answers
// loopback clients only, with a Host header naming this machine, until the
// management login exists.

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

func (s *Server) listRegions(w http.ResponseWriter, r *http.Request) {
	out := []regionBody{}
	for _, ri := range s.cfg.Engine.Regions() {
		out = append(out, regionBody{Name: ri.Name, Type: ri.Type, Path: ri.Path, Endpoint: ri.Endpoint, Region: ri.SigningRegion,
			AccessKey: ri.AccessKey, PathStyle: ri.PathStyle, Bucket: ri.Bucket, InsecureSkipVerify: ri.Insecure, Configured: ri.Configured})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) putRegion(w http.ResponseWriter, r *http.Request) {
	var b regionBody
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "region body: " + err.Error()})
		return
	}
	if b.Name != "" && b.Name != r.PathValue("name") {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "name: the body names another region than the path"})
		return
	}
	spec := engine.RegionSpec{Name: r.PathValue("name"), Type: b.Type, Path: b.Path, Endpoint: b.Endpoint, SigningRegion: b.Region,
		AccessKey: b.AccessKey, SecretKey: b.SecretKey, PathStyle: b.PathStyle, Bucket: b.Bucket, Insecure: b.InsecureSkipVerify}
	if err := s.cfg.Engine.AddRegion(r.Context(), spec); err != nil {
		writeJSON(w, statusOf(err), map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) deleteRegion(w http.ResponseWriter, r *http.Request) {
	if err := s.cfg.Engine.RemoveRegion(r.Context(), r.PathValue("name")); err != nil {
		writeJSON(w, statusOf(err), map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func statusOf(err error) int {
	if errors.Is(err, engine.ErrInvalidArgument) {
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
