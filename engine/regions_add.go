package engine

import (
	"context"
	"fmt"
	"slices"

	"github.com/prismd/prismd/backends"
	plog "github.com/prismd/prismd/log"
)

// AddRegions adds new regions at run time in one step (region discovery's
// "add the chosen ones"): every spec is validated, none may name a region
// that exists or share storage with a region in use or with another of
// the set, and every backend must open; then their RegionAdded events are
// appended in one batch, so that all are added or none. It changes no
// region: use AddRegion for that.
func (e *Engine) AddRegions(ctx context.Context, specs []RegionSpec) error {
	if len(specs) == 0 {
		return fmt.Errorf("no region to add: %w", ErrInvalidArgument)
	}
	inUse := e.regionSpecs()
	for _, spec := range specs {
		if spec.Type == "" {
			return fmt.Errorf("region %q: %w", spec.Name, &RegionError{Field: "type", Problem: "missing (one of fs, s3)"})
		}
		if _, ok := e.view().Region(spec.Name); ok || slices.ContainsFunc(inUse, func(o RegionSpec) bool { return o.Name == spec.Name }) {
			return fmt.Errorf("region %q exists: %w", spec.Name, ErrInvalidArgument)
		}
		for _, o := range inUse {
			if spec.overlaps(o) {
				return fmt.Errorf("region %q: %w", spec.Name, &RegionError{Field: storageField(spec), Problem: fmt.Sprintf("region %q already stores there", o.Name)})
			}
		}
	}
	if err := ValidateRegionSpecs(specs); err != nil {
		return err
	}
	var evs []plog.Event
	opened := make([]backends.Backend, 0, len(specs))
	closeAll := func() {
		for _, b := range opened {
			closeBackend(b)
		}
	}
	for _, spec := range specs {
		var sealed []byte
		if spec.SecretKey != "" {
			var err error
			if sealed, err = e.seal(spec.SecretKey); err != nil {
				closeAll()
				return err
			}
		}
		b, err := e.openBackend(spec)
		if err != nil {
			closeAll()
			return err
		}
		opened = append(opened, b)
		evs = append(evs, plog.RegionAdded{Region: spec.record(sealed)})
	}
	if _, err := e.append(ctx, evs...); err != nil {
		closeAll()
		return err
	}
	for i, spec := range specs {
		e.setRegion(spec, opened[i])
	}
	go e.ensureAllBackendBuckets(context.WithoutCancel(ctx))
	return nil
}
