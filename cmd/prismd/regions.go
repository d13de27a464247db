package main

import (
	"context"
	"fmt"

	"github.com/prismd/prismd/backends/fs"
	s3backend "github.com/prismd/prismd/backends/s3"
	"github.com/prismd/prismd/engine"
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
