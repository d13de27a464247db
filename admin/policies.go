package admin

import (
	"fmt"
	"net/http"

	"github.com/prismd/prismd/engine"
	plog "github.com/prismd/prismd/log"
)

// Storage policies:
//
//	GET  /api/policies                  → {"default": policy, "buckets": [{"bucket", "policy", "default": bool}], "regions": n}
//	PUT  /api/policies/{bucket}         ← policy → the preview of the policy set
//	POST /api/policies/preview          ← policy → {"valid", "error", "shards", "overhead", "small_overhead", "regions_may_be_lost", "regions"}
//
// A policy is {"mode": "replica|erasure|hybrid", "k", "m", "threshold", "quorum", "placement": "shuffle|priority"}.
// The preview says what a policy costs and survives: stored bytes per
// object byte (overhead; for hybrid, small_overhead for objects under the
// threshold, stored as m+1 replicas) and how many regions may be lost
// with every object still readable (m). Changing a bucket's policy
// applies to objects written from then on.

// policyBody is a policy as the API reads and writes it.
type policyBody struct {
	Mode      string `json:"mode"`
	K         int    `json:"k"`
	M         int    `json:"m"`
	Threshold int64  `json:"threshold,omitempty"`
	Quorum    int    `json:"quorum,omitempty"`
	Placement string `json:"placement,omitempty"`
}

func policyOf(p plog.Policy) policyBody {
	return policyBody{Mode: p.Mode, K: p.DataShards, M: p.ParityShards, Threshold: p.HybridThreshold, Quorum: p.WriteQuorum, Placement: p.Placement}
}

func (b policyBody) policy() plog.Policy {
	return plog.Policy{Mode: b.Mode, DataShards: b.K, ParityShards: b.M, HybridThreshold: b.Threshold, WriteQuorum: b.Quorum, Placement: b.Placement}
}

type bucketPolicy struct {
	Bucket  string     `json:"bucket"`
	Policy  policyBody `json:"policy"`
	Default bool       `json:"default"` // the bucket follows the default policy
}

type preview struct {
	Valid         bool    `json:"valid"`
	Error         string  `json:"error,omitempty"`
	Shards        int     `json:"shards"`
	Overhead      float64 `json:"overhead"`
	SmallOverhead float64 `json:"small_overhead,omitempty"`
	MayBeLost     int     `json:"regions_may_be_lost"`
	Regions       int     `json:"regions"`
}

// previewOf describes policy p over n regions.
func previewOf(p plog.Policy, n int) preview {
	out := preview{Valid: true, Regions: n, MayBeLost: p.ParityShards}
	if err := engine.ValidatePolicy(p, n); err != nil {
		out.Valid, out.Error = false, err.Error()
	}
	switch p.Mode {
	case "replica":
		out.Shards, out.Overhead = p.ParityShards+1, float64(p.ParityShards+1)
	case "erasure", "hybrid":
		out.Shards = p.DataShards + p.ParityShards
		if p.DataShards > 0 {
			out.Overhead = float64(out.Shards) / float64(p.DataShards)
		}
		if p.Mode == "hybrid" {
			out.SmallOverhead = float64(p.ParityShards + 1)
		}
	}
	return out
}

func (s *Server) listPolicies(r *http.Request) (any, error) {
	buckets, err := s.cfg.Engine.ListBuckets(r.Context())
	if err != nil {
		return nil, err
	}
	def := s.cfg.Engine.DefaultPolicy()
	out := struct {
		Default policyBody     `json:"default"`
		Buckets []bucketPolicy `json:"buckets"`
		Regions int            `json:"regions"`
	}{Default: policyOf(def), Buckets: []bucketPolicy{}, Regions: len(s.cfg.Engine.Regions())}
	for _, b := range buckets {
		p, err := s.cfg.Engine.BucketPolicy(b.Name)
		if err != nil {
			continue // deleted meanwhile
		}
		bp := bucketPolicy{Bucket: b.Name, Policy: policyOf(def), Default: p == nil}
		if p != nil {
			bp.Policy = policyOf(*p)
		}
		out.Buckets = append(out.Buckets, bp)
	}
	return out, nil
}

func (s *Server) previewPolicy(r *http.Request) (any, error) {
	var b policyBody
	if err := decode(r, &b); err != nil {
		return nil, err
	}
	return previewOf(b.policy(), len(s.cfg.Engine.Regions())), nil
}

func (s *Server) setPolicy(r *http.Request) (any, error) {
	var b policyBody
	if err := decode(r, &b); err != nil {
		return nil, err
	}
	p := b.policy()
	if p.Placement == "" {
		p.Placement = "shuffle"
	}
	if err := s.cfg.Engine.SetBucketPolicy(r.Context(), r.PathValue("bucket"), p); err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	return previewOf(p, len(s.cfg.Engine.Regions())), nil
}
