package engine

import (
	"errors"
	"time"

	"github.com/prismd/prismd/backends"
	"github.com/prismd/prismd/engine/datapath"
)

// dataRegion is a region as the data path uses it: the data path asks it
// whether a call may go and reports how each went, into the region's
// breaker, latency and write backoff (health.go).
type dataRegion struct {
	e *Engine
	r *region
}

var _ datapath.Region = dataRegion{}

func (e *Engine) dataRegion(r *region) datapath.Region { return dataRegion{e, r} }

func (d dataRegion) Name() string              { return d.r.name }
func (d dataRegion) Backend() backends.Backend { return d.r.backend }
func (d dataRegion) Available() bool           { return d.r.available() }

func (d dataRegion) Health() datapath.Health { return d.r.health() }
func (d dataRegion) RetryPace() bool         { return d.r.retryPace() }

func (d dataRegion) Observe(ttfb time.Duration, err error)      { d.r.observe(ttfb, err) }
func (d dataRegion) Streamed(bytes int64, waited time.Duration) { d.r.streamed(bytes, waited) }
func (d dataRegion) Outcome(err error)                          { d.r.outcome(err) }

// Wrote records a shard write; NoSuchBucket from a backend bucket the log
// says is ready makes the region suspect.
func (d dataRegion) Wrote(err error) {
	d.r.wrote(err)
	if errors.Is(err, backends.ErrNoSuchBucket) {
		d.e.suspect(d.r)
	}
}
