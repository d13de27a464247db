package main

import (
	"context"
	"fmt"

	"github.com/prismd/prismd/backends"
	"github.com/prismd/prismd/backends/fs"
	s3backend "github.com/prismd/prismd/backends/s3"
	"github.com/prismd/prismd/engine"
	plog "github.com/prismd/prismd/log"
)

// buildRegions makes a backend for every configured region, in order.
// Nothing is contacted yet: an unreachable s3 region is the engine's to
// route around, not a reason to refuse to start.
func buildRegions(ctx context.Context, rcs []RegionConfig) ([]engine.Region, error) {
	var out []engine.Region
	for i, rc := range rcs {
		switch rc.Type {
		case "fs":
			b, err := fs.New(rc.Path)
			if err != nil {
				return nil, fmt.Errorf("region[%d] %q: %w", i, rc.Name, err)
			}
			out = append(out, engine.Region{Name: rc.Name, Backend: b})
		case "s3":
			b, err := s3backend.New(ctx, s3backend.Config{
				Name:               rc.Name,
				Endpoint:           rc.Endpoint,
				Region:             rc.Region,
				AccessKey:          rc.AccessKey,
				SecretKey:          rc.SecretKey,
				PathStyle:          rc.PathStyle,
				InsecureSkipVerify: rc.InsecureSkipVerify,
				Bucket:             rc.Bucket,
			})
			if err != nil {
				return nil, fmt.Errorf("region[%d] %q: %w", i, rc.Name, err)
			}
			out = append(out, engine.Region{Name: rc.Name, Backend: b})
		default:
			return nil, fmt.Errorf("region[%d] %q: unknown type %q", i, rc.Name, rc.Type)
		}
	}
	return out, nil
}

// openLoggedRegion builds the backend of a region that was added at run
// time (a RegionAdded event in the log), with its secret unsealed.
func openLoggedRegion(r plog.Region, secret string) (backends.Backend, error) {
	rc := RegionConfig{Name: r.Name, Type: r.Type, Path: r.Path, Endpoint: r.Endpoint, Region: r.SigningRegion,
		AccessKey: r.AccessKey, SecretKey: secret, PathStyle: r.PathStyle, Bucket: r.Bucket, InsecureSkipVerify: r.Insecure}
	regions, err := buildRegions(context.Background(), []RegionConfig{rc})
	if err != nil {
		return nil, err
	}
	return regions[0].Backend, nil
}
