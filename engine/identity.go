package engine

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/prismd/prismd/backends"
	plog "github.com/prismd/prismd/log"
)

// A region can lose what it holds behind the gateway's back: its directory
// removed, its bucket deleted by hand, its config pointed at another place.
// The log would still say every shard is there. Two checks find out:
//
//   - Every region holds an identity marker (a random id, also recorded in
//     the log by RegionIdentified) in its system area. The background
//     worker reads it every identityCheckEvery. A marker that is gone or
//     differs means the region was wiped or re-pointed.
//   - A backend call answering NoSuchBucket for a backend bucket the log
//     says is ready marks the region suspect.
//
// Either way every backend bucket the log says the region holds is looked
// for (one listing call each); each one that is gone is recorded with
// BackendBucketLost, which makes the shards stored in it missing when
// applied. The bucket is then created again and completion rewrites the
// shards from the other regions. Only then is a new marker written.

const (
	identityCheckEvery = 30 * time.Second
	regionIDKey        = "region-id"
	maxMarkerBytes     = 256
)

// systemBucket is the backend bucket of the gateway's own files on every
// region: identity markers (and, later, shipped log segments).
func (e *Engine) systemBucket() string { return e.cfg.BackendPrefix + "-system" }

// suspect marks a region for a full check of its backend buckets at the
// next background pass, and wakes the worker.
func (e *Engine) suspect(r *region) {
	r.mu.Lock()
	r.suspected = true
	r.mu.Unlock()
	e.poke()
}

// CheckRegions checks the identity of every region due for it (all of
// them when force is set) and the backend buckets of suspect regions.
// Regions that cannot be reached are left for the next pass.
func (e *Engine) CheckRegions(ctx context.Context, force bool) {
	for _, name := range e.regionNames() {
		r := e.region(name)
		if r == nil {
			continue
		}
		r.mu.Lock()
		due := force || r.suspected || time.Since(r.checked) >= identityCheckEvery
		r.mu.Unlock()
		if !due || !r.available() {
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := e.checkRegion(cctx, r)
		cancel()
		if err != nil {
			e.logger.Debug("region check", "region", name, "err", err)
			continue
		}
		r.mu.Lock()
		r.checked = time.Now()
		r.mu.Unlock()
	}
}

// checkRegion compares a region's marker with the log, finds lost backend
// buckets when the marker says so or the region is suspect, and writes a
// new marker where it is missing.
func (e *Engine) checkRegion(ctx context.Context, r *region) error {
	want := e.view().RegionID(r.name)
	got, err := e.readMarker(ctx, r)
	if err != nil {
		return err
	}
	r.mu.Lock()
	suspected := r.suspected
	r.mu.Unlock()
	switch {
	case want != "" && got != want:
		e.logger.Warn("region lost its identity marker: it was wiped or now points elsewhere; looking for lost backend buckets",
			"region", r.name, "want", want, "found", got)
		suspected = true
	case want == "" && got != "":
		// Written by this gateway just before a crash kept its event out
		// of the log (or by a restored gateway): take it.
		_, err := e.append(ctx, plog.RegionIdentified{Region: r.name, ID: got})
		return err
	}
	if suspected {
		if err := e.findLostBuckets(ctx, r); err != nil {
			return err
		}
		r.mu.Lock()
		r.suspected = false
		r.mu.Unlock()
	}
	if got == want && want != "" {
		return nil
	}
	return e.writeMarker(ctx, r)
}

// readMarker returns the region's identity marker, "" when there is none.
func (e *Engine) readMarker(ctx context.Context, r *region) (string, error) {
	rc, err := r.backend.Get(ctx, e.systemBucket(), regionIDKey, 0, -1)
	if errors.Is(err, backends.ErrNotFound) || errors.Is(err, backends.ErrNoSuchBucket) {
		r.outcome(nil)
		return "", nil
	}
	r.outcome(err)
	if err != nil {
		return "", fmt.Errorf("read identity marker: %w", err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxMarkerBytes))
	if err != nil {
		return "", fmt.Errorf("read identity marker: %w", err)
	}
	return string(bytes.TrimSpace(b)), nil
}

// writeMarker gives the region a new identity, on the region then in the log.
func (e *Engine) writeMarker(ctx context.Context, r *region) error {
	var raw [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return err
	}
	id := hex.EncodeToString(raw[:])
	if err := r.backend.CreateBucket(ctx, e.systemBucket()); err != nil {
		r.outcome(err)
		return fmt.Errorf("create system bucket: %w", err)
	}
	err := r.backend.Put(ctx, e.systemBucket(), regionIDKey, bytes.NewReader([]byte(id)), int64(len(id)))
	r.outcome(err)
	if err != nil {
		return fmt.Errorf("write identity marker: %w", err)
	}
	_, err = e.append(ctx, plog.RegionIdentified{Region: r.name, ID: id})
	return err
}

// findLostBuckets looks for every backend bucket the log says the region
// holds, and records those that are gone.
func (e *Engine) findLostBuckets(ctx context.Context, r *region) error {
	for _, b := range e.view().Buckets() {
		if !b.ReadyOn(r.name) {
			continue
		}
		bb := e.backendBucket(b.Name)
		err := r.backend.List(ctx, bb, "\xff", func(backends.ObjectInfo) bool { return false })
		if errors.Is(err, backends.ErrNoSuchBucket) {
			r.outcome(nil)
			if err := e.bucketLost(ctx, r, b.Name); err != nil {
				return err
			}
			continue
		}
		r.outcome(err)
		if err != nil {
			return fmt.Errorf("look for backend bucket %s: %w", bb, err)
		}
	}
	return nil
}

// bucketLost records that region r no longer holds the backend bucket of
// a client bucket (BackendBucketLost): applying it makes the shards stored
// there missing, and the bucket is created again before completion (or a
// scrub's repair) writes them from the other regions.
func (e *Engine) bucketLost(ctx context.Context, r *region, bucket string) error {
	bb := e.backendBucket(bucket)
	e.logger.Warn("backend bucket lost: its shards will be written again", "region", r.name, "bucket", bucket, "backend_bucket", bb)
	r.mu.Lock()
	delete(r.ready, bb)
	r.mu.Unlock()
	_, err := e.append(ctx, plog.BackendBucketLost{Bucket: bucket, Region: r.name})
	return err
}
