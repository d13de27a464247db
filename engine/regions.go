package engine

import (
	"context"
	"fmt"
	"slices"

	"github.com/prismd/prismd/backends"
	plog "github.com/prismd/prismd/log"
	"github.com/prismd/prismd/projections"
)

// Regions come from two places: Config.Regions (the bootstrap config,
// always present) and RegionAdded/Updated/Removed events (added at run time,
// e.g. from the management UI), which Config.OpenBackend turns into
// backends at start-up and when they happen. A region named in both is the
// configured one.

// RegionSpec is a region to add at run time, with its secret in clear (it
// is sealed before it reaches the log).
type RegionSpec struct {
	plog.Region
	SecretKey string
}

// loadRegions registers the regions the log added at run time. A region
// that cannot be opened is logged and skipped: its shards are read from the
// other regions.
func (e *Engine) loadRegions() {
	for _, r := range e.view().Regions() {
		if e.region(r.Name) != nil {
			continue
		}
		if err := e.registerRegion(r); err != nil {
			e.logger.Error("region from the log cannot be opened; its shards are read from other regions", "region", r.Name, "err", err)
		}
	}
}

// registerRegion builds the backend of a logged region and puts it in use.
func (e *Engine) registerRegion(r plog.Region) error {
	if e.cfg.OpenBackend == nil {
		return fmt.Errorf("region %q: no Config.OpenBackend to build it", r.Name)
	}
	secret := ""
	if len(r.SealedSecret) > 0 {
		s, err := e.unseal(r.SealedSecret)
		if err != nil {
			return fmt.Errorf("region %q: %w", r.Name, err)
		}
		secret = s
	}
	b, err := e.cfg.OpenBackend(r, secret)
	if err != nil {
		return fmt.Errorf("region %q: %w", r.Name, err)
	}
	e.regionsMu.Lock()
	defer e.regionsMu.Unlock()
	if _, ok := e.regions[r.Name]; !ok {
		e.order = append(e.order, r.Name)
	}
	e.regions[r.Name] = newRegion(r.Name, b)
	return nil
}

// AddRegion adds (or, when it exists, updates) a region at run time. New
// objects may be placed on it at once; objects already stored keep their
// shards where they are.
func (e *Engine) AddRegion(ctx context.Context, spec RegionSpec) error {
	if spec.Name == "" {
		return fmt.Errorf("add region: a name is required: %w", ErrInvalidArgument)
	}
	if slices.Contains(e.configured(), spec.Name) {
		return fmt.Errorf("region %q is in the bootstrap config; change it there: %w", spec.Name, ErrInvalidArgument)
	}
	r := spec.Region
	r.SealedSecret = nil
	if spec.SecretKey != "" {
		sealed, err := e.seal(spec.SecretKey)
		if err != nil {
			return err
		}
		r.SealedSecret = sealed
	}
	if err := e.registerRegion(r); err != nil {
		return err
	}
	var ev plog.Event = plog.RegionAdded{Region: r}
	if _, ok := e.view().Region(r.Name); ok {
		ev = plog.RegionUpdated{Region: r}
	}
	if _, err := e.append(ctx, ev); err != nil {
		return err
	}
	go e.ensureAllBackendBuckets(context.WithoutCancel(ctx))
	return nil
}

// RemoveRegion stops using a region added at run time. Its shards count as
// lost: completion rebuilds them on other regions from the remaining ones.
func (e *Engine) RemoveRegion(ctx context.Context, name string) error {
	if slices.Contains(e.configured(), name) {
		return fmt.Errorf("region %q is in the bootstrap config; remove it there: %w", name, ErrInvalidArgument)
	}
	if _, ok := e.view().Region(name); !ok {
		return fmt.Errorf("region %q: %w", name, ErrInvalidArgument)
	}
	if _, err := e.append(ctx, plog.RegionRemoved{Name: name}); err != nil {
		return err
	}
	e.regionsMu.Lock()
	delete(e.regions, name)
	e.order = slices.DeleteFunc(e.order, func(n string) bool { return n == name })
	e.regionsMu.Unlock()
	return e.markRegionLost(ctx, name)
}

// markRegionLost logs ShardMissing for every shard of every object stored on
// a region that is gone, so that completion rebuilds them elsewhere.
func (e *Engine) markRegionLost(ctx context.Context, name string) error {
	v := e.view()
	var batch []plog.Event
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		_, err := e.append(ctx, batch...)
		batch = batch[:0]
		return err
	}
	for _, b := range v.Buckets() {
		after := ""
		for {
			page := v.List(b.Name, projections.ListQuery{After: after, Max: 1000})
			for _, o := range page.Objects {
				for _, x := range o.Extents {
					blob, ok := v.Blob(x.Blob)
					if !ok {
						continue
					}
					for seg := range segmentCount(blob.Layout, blob.Size) {
						for sh := range blob.Layout.K + blob.Layout.M {
							if blob.ShardRegion(seg, sh) == name && blob.ShardState(seg, sh) == "stored" {
								batch = append(batch, plog.ShardMissing{Blob: blob.ID, Segment: seg, Shard: sh, Region: name})
							}
						}
					}
				}
				if len(batch) >= 1000 {
					if err := flush(); err != nil {
						return err
					}
				}
			}
			if !page.Truncated {
				break
			}
			after = page.Next
		}
	}
	return flush()
}

func (e *Engine) configured() []string {
	var names []string
	for _, r := range e.cfg.Regions {
		names = append(names, r.Name)
	}
	return names
}

// Backend returns a region's backend (for operators' tools such as scrub).
func (e *Engine) Backend(name string) (backends.Backend, bool) {
	r := e.region(name)
	if r == nil {
		return nil, false
	}
	return r.backend, true
}

// RegionInfo describes a region in use. Configured regions come from the
// bootstrap config (only their name is known here); the others were added
// at run time and carry their record, without the secret.
type RegionInfo struct {
	plog.Region
	Configured bool
}

// Regions lists the regions in use, in placement priority order.
func (e *Engine) Regions() []RegionInfo {
	configured := e.configured()
	v := e.view()
	var out []RegionInfo
	for _, name := range e.regionNames() {
		info := RegionInfo{Region: plog.Region{Name: name}, Configured: slices.Contains(configured, name)}
		if r, ok := v.Region(name); ok && !info.Configured {
			r.SealedSecret = nil
			info.Region = r
		}
		out = append(out, info)
	}
	return out
}
