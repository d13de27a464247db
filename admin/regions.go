package admin

import (
	"fmt"
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
	out := []regionBody{}
	for _, ri := range s.cfg.Engine.Regions() {
		out = append(out, bodyOf(ri))
	}
	return out, nil
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
