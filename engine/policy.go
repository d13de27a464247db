package engine

import (
	"fmt"
	"math/rand/v2"
	"slices"

	plog "github.com/prismd/prismd/log"
)

// ValidatePolicy checks a policy against the number of regions available.
func ValidatePolicy(p plog.Policy, regions int) error {
	switch p.Mode {
	case "replica", "erasure", "hybrid":
	default:
		return fmt.Errorf("mode %q: want replica, erasure or hybrid: %w", p.Mode, ErrInvalidArgument)
	}
	if p.Placement != "" && p.Placement != "shuffle" && p.Placement != "priority" {
		return fmt.Errorf("placement %q: want shuffle or priority: %w", p.Placement, ErrInvalidArgument)
	}
	if p.ParityShards < 0 || p.ParityShards > 16 {
		return fmt.Errorf("parity shards %d: want 0..16: %w", p.ParityShards, ErrInvalidArgument)
	}
	if p.Mode != "replica" && (p.DataShards < 1 || p.DataShards > 32) {
		return fmt.Errorf("data shards %d: want 1..32: %w", p.DataShards, ErrInvalidArgument)
	}
	n := p.DataShards + p.ParityShards
	if p.Mode == "replica" {
		n = p.ParityShards + 1
	}
	if n > regions {
		return fmt.Errorf("%d shards need %d distinct regions, have %d: %w", n, n, regions, ErrInvalidArgument)
	}
	if p.HybridThreshold < 0 {
		return fmt.Errorf("hybrid threshold %d: %w", p.HybridThreshold, ErrInvalidArgument)
	}
	if p.WriteQuorum < 0 || p.WriteQuorum > n {
		return fmt.Errorf("write quorum %d: want 0..%d: %w", p.WriteQuorum, n, ErrInvalidArgument)
	}
	if p.Mode == "erasure" && p.WriteQuorum != 0 && p.WriteQuorum < p.DataShards {
		return fmt.Errorf("write quorum %d below k=%d: %w", p.WriteQuorum, p.DataShards, ErrInvalidArgument)
	}
	return nil
}

// policyFor returns the bucket's policy, or the global default.
func (e *Engine) policyFor(bucket string) plog.Policy {
	if b, ok := e.view().Bucket(bucket); ok && b.Policy != nil {
		return *b.Policy
	}
	return e.cfg.Policy
}

// layoutFor picks the layout of a blob of the given size under policy p.
func (e *Engine) layoutFor(p plog.Policy, size int64) plog.Layout {
	l := plog.Layout{K: p.DataShards, M: p.ParityShards, BlockSize: e.cfg.BlockSize, SegmentSize: e.cfg.SegmentSize, Hash: plog.HashXXH3, Keys: plog.KeysFanout}
	if e.cfg.HighwayBlocks {
		l.Hash = plog.HashHighway
	}
	if e.cfg.NestedKeys {
		l.Keys = plog.KeysNested
	}
	if p.Mode == "replica" || p.Mode == "hybrid" && size < p.HybridThreshold {
		l.K = 1
	}
	return l
}

// quorum returns how many shards of each segment must land before a commit.
func quorum(p plog.Policy, l plog.Layout) int {
	q := p.WriteQuorum
	if l.K == 1 {
		if q == 0 {
			q = 1
		}
		return min(q, l.K+l.M)
	}
	return min(max(q, l.K), l.K+l.M)
}

// place picks n distinct regions for the shards of a new blob: healthy
// regions whose writes succeed first, in priority order or shuffled.
func (e *Engine) place(p plog.Policy, n int) ([]string, error) {
	e.regionsMu.RLock()
	names := slices.Clone(e.order)
	healthy := map[string]bool{}
	for _, name := range names {
		r := e.regions[name]
		healthy[name] = r.healthy() && r.writable() && !r.unreachableWrites()
	}
	e.regionsMu.RUnlock()
	if len(names) < n {
		return nil, fmt.Errorf("place %d shards on %d regions: %w", n, len(names), ErrQuorum)
	}
	if p.Placement != "priority" {
		rand.Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] })
	}
	slices.SortStableFunc(names, func(a, b string) int {
		switch {
		case healthy[a] == healthy[b]:
			return 0
		case healthy[a]:
			return -1
		}
		return 1
	})
	return names[:n], nil
}

func (e *Engine) region(name string) *region {
	e.regionsMu.RLock()
	defer e.regionsMu.RUnlock()
	return e.regions[name]
}
