package main

import (
	"context"
	"fmt"

	"github.com/prismd/prismd/backends"
	"github.com/prismd/prismd/backends/fs"
	s3backend "github.com/prismd/prismd/backends/s3"
	"github.com/prismd/prismd/engine"
)

// buildRegions makes a backend for every configured region, in order.
// Nothing is contacted yet: an unreachable s3 region is the engine's to
// route around, not a reason to refuse to start.
func buildRegions(ctx context.Context, specs []engine.RegionSpec) ([]engine.Region, error) {
	var out []engine.Region
	for i, rc := range specs {
		switch rc.Type {
		case "fs":
			b, err := fs.New(rc.Path)
			if err != nil {
				return nil, fmt.Errorf("region[%d] %q: %w", i, rc.Name, err)
			}
			out = append(out, engine.Region{Name: rc.Name, Backend: b, Spec: rc})
		case "s3":
			b, err := s3backend.New(ctx, s3backend.Config{
				Name:               rc.Name,
				Endpoint:           rc.Endpoint,
				Region:             rc.SigningRegion,
				AccessKey:          rc.AccessKey,
				SecretKey:          rc.SecretKey,
				PathStyle:          rc.PathStyle,
				InsecureSkipVerify: rc.Insecure,
				Bucket:             rc.Bucket,
			})
			if err != nil {
				return nil, fmt.Errorf("region[%d] %q: %w", i, rc.Name, err)
			}
			out = append(out, engine.Region{Name: rc.Name, Backend: b, Spec: rc})
		default:
			return nil, fmt.Errorf("region[%d] %q: unknown type %q", i, rc.Name, rc.Type)
		}
	}
	return out, nil
}

// openLoggedRegion builds the backend of a region that was added at run
// time (a RegionAdded event in the log), with its secret unsealed.
func openLoggedRegion(spec engine.RegionSpec) (backends.Backend, error) {
	regions, err := buildRegions(context.Background(), []engine.RegionSpec{spec})
	if err != nil {
		return nil, err
	}
	return regions[0].Backend, nil
}
