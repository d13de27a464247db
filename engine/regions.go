package engine

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/prismd/prismd/backends"
	plog "github.com/prismd/prismd/log"
)

// Regions come from two places: Config.Regions (the bootstrap config,
// always present) and RegionAdded/Updated/Removed events (added at run time,
// e.g. from the management API), which Config.OpenBackend turns into
// backends at start-up and after their event is durable. A region named in
// both is the configured one. What a region's removal or move means for the
// shards it held is decided when its event is applied (projections): they
// count as missing, and completion rebuilds them elsewhere.

// loadRegions registers the regions the log added at run time. A region
// that cannot be opened is logged and skipped: its shards are read from the
// other regions.
func (e *Engine) loadRegions() {
	for _, r := range e.view().Regions() {
		if e.region(r.Name) != nil {
			continue
		}
		spec, err := e.unsealRegion(r)
		if err == nil {
			err = e.useRegion(spec)
		}
		if err != nil {
			e.logger.Error("region from the log cannot be opened; its shards are read from other regions", "region", r.Name, "err", err)
		}
	}
}

func (e *Engine) unsealRegion(r plog.Region) (RegionSpec, error) {
	secret := ""
	if len(r.SealedSecret) > 0 {
		s, err := e.unseal(r.SealedSecret)
		if err != nil {
			return RegionSpec{}, fmt.Errorf("region %q: %w", r.Name, err)
		}
		secret = s
	}
	return specOf(r, secret), nil
}

// useRegion builds a region's backend and puts it in use, closing the
// backend it replaces.
func (e *Engine) useRegion(spec RegionSpec) error {
	b, err := e.openBackend(spec)
	if err != nil {
		return err
	}
	e.setRegion(spec, b)
	return nil
}

func (e *Engine) openBackend(spec RegionSpec) (backends.Backend, error) {
	if e.cfg.OpenBackend == nil {
		return nil, fmt.Errorf("region %q: no Config.OpenBackend to build it", spec.Name)
	}
	b, err := e.cfg.OpenBackend(spec)
	if err != nil {
		return nil, fmt.Errorf("region %q: %w", spec.Name, err)
	}
	return b, nil
}

// setRegion puts backend b in use for spec, closing the one it replaces.
func (e *Engine) setRegion(spec RegionSpec, b backends.Backend) {
	e.regionsMu.Lock()
	old := e.regions[spec.Name]
	if old == nil {
		e.order = append(e.order, spec.Name)
	}
	e.regions[spec.Name] = newRegion(spec, b)
	e.regionsMu.Unlock()
	if old != nil {
		closeBackend(old.backend)
	}
}

// closeBackend releases a backend that has something to release (idle
// connections): an optional io.Closer.
func closeBackend(b backends.Backend) {
	if c, ok := b.(io.Closer); ok {
		c.Close()
	}
}

func (e *Engine) closeBackends() {
	e.regionsMu.Lock()
	defer e.regionsMu.Unlock()
	for _, r := range e.regions {
		closeBackend(r.backend)
	}
}

// AddRegion adds (or, when it exists, changes) a region at run time. The
// spec is validated and must not share storage with another region. The
// region is used once its event is durable; new objects may be placed on
// it at once, objects already stored keep their shards where they are. A
// region changed to another place (path, endpoint, bucket) is a new, empty
// region: what it held is rebuilt there.
func (e *Engine) AddRegion(ctx context.Context, spec RegionSpec) error {
	if err := spec.Validate(); err != nil {
		return fmt.Errorf("region %q: %w", spec.Name, err)
	}
	if spec.Type == "" {
		return fmt.Errorf("region %q: %w", spec.Name, &RegionError{Field: "type", Problem: "missing (one of fs, s3)"})
	}
	if slices.Contains(e.configured(), spec.Name) {
		return fmt.Errorf("region %q is in the bootstrap config; change it there: %w", spec.Name, ErrInvalidArgument)
	}
	for _, o := range e.regionSpecs() {
		if o.Name != spec.Name && spec.overlaps(o) {
			return fmt.Errorf("region %q: %w", spec.Name, &RegionError{Field: storageField(spec), Problem: fmt.Sprintf("region %q already stores there", o.Name)})
		}
	}
	var sealed []byte
	if spec.SecretKey != "" {
		var err error
		if sealed, err = e.seal(spec.SecretKey); err != nil {
			return err
		}
	}
	b, err := e.openBackend(spec)
	if err != nil {
		return err
	}
	var ev plog.Event = plog.RegionAdded{Region: spec.record(sealed)}
	if _, ok := e.view().Region(spec.Name); ok {
		ev = plog.RegionUpdated{Region: spec.record(sealed)}
	}
	if _, err := e.append(ctx, ev); err != nil {
		closeBackend(b)
		return err
	}
	e.setRegion(spec, b)
	go e.ensureAllBackendBuckets(context.WithoutCancel(ctx))
	return nil
}

// RemoveRegion stops using a region added at run time. Applying its event
// counts its shards as lost: completion rebuilds them on other regions from
// the remaining ones. A region of the bootstrap config is refused: drain
// it (DrainRegion) or remove it from the config.
func (e *Engine) RemoveRegion(ctx context.Context, name string) error {
	if slices.Contains(e.configured(), name) {
		return fmt.Errorf("region %q is in the bootstrap config; drain it or remove it there: %w", name, ErrInvalidArgument)
	}
	if _, ok := e.view().Region(name); !ok {
		return fmt.Errorf("region %q: %w", name, ErrInvalidArgument)
	}
	return e.removeRegion(ctx, name)
}

// removeRegion records a region's removal and stops using it.
func (e *Engine) removeRegion(ctx context.Context, name string) error {
	if _, err := e.append(ctx, plog.RegionRemoved{Name: name}); err != nil {
		return err
	}
	e.regionsMu.Lock()
	r := e.regions[name]
	delete(e.regions, name)
	e.order = slices.DeleteFunc(e.order, func(n string) bool { return n == name })
	e.regionsMu.Unlock()
	if r != nil {
		closeBackend(r.backend)
	}
	e.poke()
	return nil
}

func (e *Engine) configured() []string {
	var names []string
	for _, r := range e.cfg.Regions {
		names = append(names, r.Name)
	}
	return names
}

// regionSpecs returns the specs of the regions in use, secrets included.
func (e *Engine) regionSpecs() []RegionSpec {
	e.regionsMu.RLock()
	defer e.regionsMu.RUnlock()
	var out []RegionSpec
	for _, name := range e.order {
		out = append(out, e.regions[name].spec)
	}
	return out
}

// Backend returns a region's backend (for operators' tools such as scrub).
func (e *Engine) Backend(name string) (backends.Backend, bool) {
	r := e.region(name)
	if r == nil {
		return nil, false
	}
	return r.backend, true
}

// RegionInfo describes a region in use, without its secret. Configured
// regions come from the bootstrap config; the others were added at run time.
type RegionInfo struct {
	RegionSpec
	Configured bool
}

// Regions lists the regions in use, in placement priority order.
func (e *Engine) Regions() []RegionInfo {
	configured := e.configured()
	var out []RegionInfo
	for _, spec := range e.regionSpecs() {
		spec.SecretKey = ""
		out = append(out, RegionInfo{RegionSpec: spec, Configured: slices.Contains(configured, spec.Name)})
	}
	return out
}
