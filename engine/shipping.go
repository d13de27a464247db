package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	plog "github.com/prismd/prismd/log"
	"github.com/prismd/prismd/replica"
)

// ShippingConfig turns on shipping the log to the system area of every
// region (package replica), so that `prismd replay` can rebuild a lost
// gateway from any of them. Zero durations take the defaults.
type ShippingConfig struct {
	// Identity is the gateway's id and timeline (see LoadIdentity).
	Identity Identity
	// Interval: the log's new records reach every healthy region at least
	// this often. Default 1s.
	Interval time.Duration
	// Retention: snapshots and segments covering this much history stay on
	// the regions for point-in-time restores. Default 168h.
	Retention time.Duration
	// LeaseTTL is the time to live of the lease that makes a gateway the
	// one writer of a region's system area. Default 1 min.
	LeaseTTL time.Duration
}

// ErrLeaseHeld is returned by Open when another live gateway ships its log
// to a region's system area (two gateways must never share regions).
var ErrLeaseHeld = replica.ErrLeaseHeld

// ShipStatus is how far shipping to one region has come.
type ShipStatus struct {
	Region string
	// Shipped is the last log index on the region; Snapshot its newest
	// snapshot's index.
	Shipped, Snapshot uint64
	// LagEvents is how many durable events are not on the region yet, and
	// LagSeconds how old the oldest of them is (0 when none).
	LagEvents  uint64
	LagSeconds float64
	// Error is the last failure of shipping there ("" after a success).
	Error string
}

// shipping runs one replica.Shipper per region, each on its own goroutine.
type shipping struct {
	e        *Engine
	cfg      ShippingConfig
	instance string

	mu       sync.Mutex
	shippers map[string]*replica.Shipper
	stops    map[string]context.CancelFunc
	wg       sync.WaitGroup
}

func newShipping(e *Engine, cfg ShippingConfig) *shipping {
	if cfg.Interval <= 0 {
		cfg.Interval = time.Second
	}
	if cfg.Retention <= 0 {
		cfg.Retention = 168 * time.Hour
	}
	if cfg.LeaseTTL <= 0 {
		cfg.LeaseTTL = time.Minute
	}
	var raw [8]byte
	rand.Read(raw[:])
	host, _ := os.Hostname()
	return &shipping{e: e, cfg: cfg, instance: fmt.Sprintf("%s:%d:%s", host, os.Getpid(), hex.EncodeToString(raw[:])),
		shippers: map[string]*replica.Shipper{}, stops: map[string]context.CancelFunc{}}
}

func (s *shipping) shipper(r *region) *replica.Shipper {
	id := s.cfg.Identity
	return replica.NewShipper(replica.ShipperConfig{
		Region:    r.name,
		Store:     replica.NewBackendStore(r.backend, s.e.systemBucket(), ""),
		Log:       s.e.log,
		Snapshots: s.e.snapshotDir(),
		MasterKey: s.e.cfg.MasterKey,
		Gateway:   id.Gateway,
		Instance:  s.instance,
		Timeline:  id.Timeline,
		Origin:    id.Origin,
		Retention: s.cfg.Retention,
		LeaseTTL:  s.cfg.LeaseTTL,
		Now:       s.e.cfg.Now,
	})
}

// start takes the lease of every region that answers, and starts the
// shippers. A region whose system area another live gateway holds fails
// the start with ErrLeaseHeld; a region that does not answer is left to
// its shipper, which keeps trying.
func (s *shipping) start(ctx context.Context) error {
	type result struct {
		name string
		sh   *replica.Shipper
		err  error
	}
	var wg sync.WaitGroup
	results := make(chan result, len(s.e.regionNames()))
	for _, name := range s.e.regionNames() {
		r := s.e.region(name)
		if r == nil {
			continue
		}
		sh := s.shipper(r)
		wg.Go(func() {
			lctx, cancel := context.WithTimeout(ctx, 15*time.Second)
			defer cancel()
			err := r.backend.CreateBucket(lctx, s.e.systemBucket())
			if err == nil {
				err = sh.Lease(lctx)
			}
			results <- result{name, sh, err}
		})
	}
	wg.Wait()
	close(results)
	for res := range results {
		if errors.Is(res.err, replica.ErrLeaseHeld) {
			return fmt.Errorf("region %s: %w", res.name, res.err)
		}
		if res.err != nil {
			s.e.logger.Warn("region unreachable: its log shipping starts when it answers", "region", res.name, "err", res.err)
		}
		s.run(res.name, res.sh)
	}
	return nil
}

// sync starts shippers for regions added at run time and stops those of
// regions removed.
func (s *shipping) sync() {
	names := s.e.regionNames()
	s.mu.Lock()
	var removed []string
	for name := range s.shippers {
		if !contains(names, name) {
			removed = append(removed, name)
		}
	}
	s.mu.Unlock()
	for _, name := range removed {
		s.stop(name)
	}
	for _, name := range names {
		s.mu.Lock()
		_, ok := s.shippers[name]
		s.mu.Unlock()
		if r := s.e.region(name); !ok && r != nil {
			s.run(name, s.shipper(r))
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// run ships to one region until stopped: a pass every Interval, backing
// off (up to a minute) while passes fail.
func (s *shipping) run(name string, sh *replica.Shipper) {
	ctx, cancel := context.WithCancel(s.e.base)
	s.mu.Lock()
	s.shippers[name], s.stops[name] = sh, cancel
	s.mu.Unlock()
	s.wg.Go(func() {
		wait := s.cfg.Interval
		for {
			err := sh.Step(ctx)
			switch {
			case ctx.Err() != nil:
				return
			case err == nil:
				wait = s.cfg.Interval
			default:
				if wait == s.cfg.Interval || errors.Is(err, replica.ErrLeaseHeld) {
					s.e.logger.Warn("log shipping", "region", name, "err", err)
				}
				wait = min(2*wait, time.Minute)
			}
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
	})
}

func (s *shipping) stop(name string) {
	s.mu.Lock()
	cancel := s.stops[name]
	delete(s.stops, name)
	delete(s.shippers, name)
	s.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

// close stops every shipper after one last pass each (bounded), so that a
// clean shutdown leaves the whole log on the regions, and releases their
// leases (another gateway may then use the regions at once).
func (s *shipping) close() {
	s.mu.Lock()
	shippers := make(map[string]*replica.Shipper, len(s.shippers))
	for name, sh := range s.shippers {
		shippers[name] = sh
		s.stops[name]()
	}
	s.mu.Unlock()
	s.wg.Wait()
	var wg sync.WaitGroup
	for name, sh := range shippers {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := sh.Step(ctx); err != nil {
				s.e.logger.Warn("last log shipping before shutdown", "region", name, "err", err)
			}
			if err := sh.Release(ctx); err != nil {
				s.e.logger.Warn("release the lease of the region's system area", "region", name, "err", err)
			}
		})
	}
	wg.Wait()
}

// everywhere returns the newest snapshot index every region holds (0 if
// one holds none): the log may be truncated below it.
func (s *shipping) everywhere() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.shippers) == 0 {
		return 0
	}
	idx := uint64(1<<64 - 1)
	for _, sh := range s.shippers {
		idx = min(idx, sh.Status().Snapshot)
	}
	return idx
}

// status reports every region's shipping, in region order.
func (s *shipping) status() []ShipStatus {
	last := s.e.log.LastIndex()
	now := s.e.now()
	var out []ShipStatus
	for _, name := range s.e.regionNames() {
		s.mu.Lock()
		sh := s.shippers[name]
		s.mu.Unlock()
		if sh == nil {
			continue
		}
		st := sh.Status()
		out = append(out, ShipStatus{Region: name, Shipped: st.Shipped, Snapshot: st.Snapshot, Error: errString(st.Err)})
		o := &out[len(out)-1]
		if st.Shipped < last {
			o.LagEvents = last - st.Shipped
			o.LagSeconds = now.Sub(s.e.recordTime(st.Shipped + 1)).Seconds()
		}
	}
	return out
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// recordTime returns the time of the record at index (the zero time when
// the log no longer holds it).
func (e *Engine) recordTime(index uint64) time.Time {
	var at time.Time
	e.log.ReadRaw(index, index, func(_ uint64, data []byte) error {
		if _, t, err := plog.Decode(data); err == nil {
			at = time.Unix(0, t)
		}
		return nil
	})
	return at
}

// Shipping reports how far the log has reached each region (nil when the
// log is not shipped).
func (e *Engine) Shipping() []ShipStatus {
	if e.shipping == nil {
		return nil
	}
	return e.shipping.status()
}
