package admin

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/prismd/prismd/engine"
)

// Buckets:
//
//	GET  /api/buckets          → [{"name", "created", "location", "objects", "bytes", "region_bytes": {region: bytes}, "policy", "default_policy", "partial",
//	                               "versioning": "Enabled", "configs": {"object-lock": true, "lifecycle": false, "cors": false, "tagging": false}}]
//	POST /api/buckets          ← {"name": "photos"} → the bucket
//
// Counts walk the bucket's objects (at most statsLimit of each; "partial"
// says the walk stopped there). "versioning" is the S3 versioning status
// ("" when never set: unversioned, else Enabled or Suspended); "configs"
// says which configuration documents the bucket has (set or not; their
// content is the S3 API's).

const statsLimit = 100_000

type bucketView struct {
	Name          string           `json:"name"`
	Created       time.Time        `json:"created"`
	Location      string           `json:"location,omitempty"`
	Objects       int64            `json:"objects"`
	Bytes         int64            `json:"bytes"`
	RegionBytes   map[string]int64 `json:"region_bytes"`
	Partial       bool             `json:"partial,omitempty"`
	Policy        policyBody       `json:"policy"`
	DefaultPolicy bool             `json:"default_policy"`
	Versioning    string           `json:"versioning"`
	Configs       map[string]bool  `json:"configs"`
}

// bucketConfigs are the configuration documents the buckets list reports.
var bucketConfigs = []string{engine.ConfigObjectLock, engine.ConfigLifecycle, engine.ConfigCORS, engine.ConfigTagging}

func (s *Server) listBuckets(r *http.Request) (any, error) {
	buckets, err := s.cfg.Engine.ListBuckets(r.Context())
	if err != nil {
		return nil, err
	}
	out := []bucketView{}
	for _, b := range buckets {
		v, err := s.bucketView(r.Context(), b.Name)
		if err != nil {
			continue // deleted meanwhile
		}
		v.Created, v.Location = b.Created, b.Location
		out = append(out, v)
	}
	return out, nil
}

func (s *Server) bucketView(ctx context.Context, name string) (bucketView, error) {
	st, err := s.cfg.Engine.BucketStats(name, statsLimit)
	if err != nil {
		return bucketView{}, err
	}
	p, err := s.cfg.Engine.BucketPolicy(name)
	if err != nil {
		return bucketView{}, err
	}
	v := bucketView{Name: name, Objects: st.Objects, Bytes: st.Bytes, RegionBytes: st.RegionBytes, Partial: st.Partial,
		Policy: policyOf(s.cfg.Engine.DefaultPolicy()), DefaultPolicy: p == nil}
	if p != nil {
		v.Policy = policyOf(*p)
	}
	if v.Versioning, err = s.cfg.Engine.BucketVersioning(ctx, name); err != nil {
		return bucketView{}, err
	}
	v.Configs = map[string]bool{}
	for _, c := range bucketConfigs {
		_, found, err := s.cfg.Engine.BucketConfig(name, c)
		if err != nil {
			return bucketView{}, err
		}
		v.Configs[c] = found
	}
	return v, nil
}

func (s *Server) createBucket(r *http.Request) (any, error) {
	var b struct {
		Name string `json:"name"`
	}
	if err := decode(r, &b); err != nil {
		return nil, err
	}
	if err := s.cfg.Engine.CreateBucket(r.Context(), b.Name, ""); err != nil {
		return nil, fmt.Errorf("bucket %q: %w", b.Name, err)
	}
	info, err := s.cfg.Engine.HeadBucket(r.Context(), b.Name)
	if err != nil {
		return nil, err
	}
	v, err := s.bucketView(r.Context(), b.Name)
	v.Created, v.Location = info.Created, info.Location
	return v, err
}
