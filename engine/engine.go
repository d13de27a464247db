package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prismd/prismd/backends"
	plog "github.com/prismd/prismd/log"
	"github.com/prismd/prismd/projections"
)

// Defaults for Config fields left zero.
const (
	DefaultSegmentSize     = 64 << 20
	DefaultBlockSize       = 256 << 10
	DefaultHybridThreshold = 1 << 20
	DefaultBackendPrefix   = "prismd"
	DefaultSnapshotEvery   = 100_000
	closeGrace             = 20 * time.Second
)

// DefaultPolicy is the global default: hybrid 2+1 with a 1 MiB threshold.
var DefaultPolicy = plog.Policy{Mode: "hybrid", DataShards: 2, ParityShards: 1, HybridThreshold: DefaultHybridThreshold, Placement: "shuffle"}

// Region is a named backend the engine may place shards on.
type Region struct {
	Name    string
	Backend backends.Backend
	// Spec describes the region (validated at Open when its Type is set);
	// its Name is Name. Regions known only by their backend (in-memory
	// regions in tests) leave it empty.
	Spec RegionSpec
}

// Config configures an Engine. Zero fields take the documented defaults.
type Config struct {
	// DataDir holds the log ("log/") and local snapshots ("snapshots/").
	DataDir string
	// Timeline is the gateway's timeline (Identity.Timeline; 0 is 1, and
	// Shipping's identity counts too). A log restored by prismd replay
	// onto a newer timeline gets a TimelineStarted event at Open, so that
	// version ids written from then on never repeat those of the history
	// it abandoned.
	Timeline uint64
	// Regions are the backends shards are spread over, in priority order.
	Regions []Region
	// Policy is the default for buckets without their own; default DefaultPolicy.
	Policy plog.Policy
	// SegmentSize is the object bytes per segment; default 64 MiB.
	SegmentSize int64
	// BlockSize is the data bytes per shard block; default 256 KiB.
	BlockSize int
	// HighwayBlocks writes new blobs with HighwayHash-128 after every
	// block, as gateways did before XXH3-128 (plog.HashXXH3, the default):
	// for tests that this build reads, scrubs and repairs their blobs.
	HighwayBlocks bool
	// NestedKeys gives new blobs' shards nested backend keys (plog.KeysNested),
	// as gateways did before fanout keys (plog.KeysFanout, the default):
	// for tests that this build reads, scrubs, repairs and purges them.
	NestedKeys bool
	// BackendPrefix starts every backend bucket name; default "prismd".
	BackendPrefix string
	// MasterKey (32 bytes) seals secrets written to the log. Required for access keys.
	MasterKey []byte
	// SnapshotEvery takes a local snapshot after that many events; default 100,000; < 0 never.
	SnapshotEvery int
	// Shipping, when set, ships the log to every region's system area.
	Shipping *ShippingConfig
	// SnapshotInterval takes a local snapshot this long after the last one
	// when events came since. Default 1h.
	SnapshotInterval time.Duration
	// PurgeDelay keeps the data of deleted and overwritten objects for this
	// long before the purge deletes it, so that a point-in-time restore
	// (prismd replay --until) within that window finds its bytes. Default
	// 0: purge at once.
	PurgeDelay time.Duration
	// ScrubInterval: the background scrubber walks every object at least
	// this often (quick mode). Default DefaultScrubInterval (30 days); < 0
	// turns the background scrubber off.
	ScrubInterval time.Duration
	// DeepScrubInterval: and reads every shard this often (deep mode).
	// Default DefaultDeepScrubInterval (90 days); < 0: never deep.
	DeepScrubInterval time.Duration
	// LifecycleDay is the length of a lifecycle "day": rules' Days count
	// in it and the lifecycle worker runs once per day (and at start).
	// Default DefaultLifecycleDay (24h, counted as AWS does: rounded up to
	// midnight UTC); tests set a short one.
	LifecycleDay time.Duration
	// NoSync skips fsync (tests only).
	NoSync bool
	// NoBackground stops the engine from starting its workers; tests step them
	// with RunCompletion and RunPurge.
	NoBackground bool
	// OpenBackend builds the backend of a region added at run time (an
	// event in the log), its secret unsealed. Without it, only configured
	// regions are used.
	OpenBackend func(spec RegionSpec) (backends.Backend, error)
	// Logger receives structured logs; default slog.Default().
	Logger *slog.Logger
	// Now returns the current time; default time.Now.
	Now func() time.Time
}

// Engine is the only writer of prismd state. It is safe for concurrent use.
type Engine struct {
	cfg    Config
	log    *plog.Log
	state  *projections.State
	logger *slog.Logger

	regionsMu sync.RWMutex
	regions   map[string]*region
	order     []string // configured priority order

	base       context.Context // parent of background shard writes; canceled when Close gives up waiting
	cancelBase context.CancelFunc
	inflight   tasks         // shard writes and reports that outlive their requests
	writing    sync.Map      // blob ids with shard writers running → struct{}
	pins       pins          // blobs being read or copied, kept from purge
	secrets    secretCache   // unsealed access key secrets
	wake       chan struct{} // pokes the background workers
	stop       context.CancelFunc
	stopped    chan struct{}
	closeMu    sync.Mutex
	closed     bool
	snapMu     sync.Mutex // one snapshot at a time
	shipping   *shipping  // nil: the log is not shipped
	sinceSnap  int
	scrubGate  scrubGate // one scrub started by Scrub at a time; the background one yields
	scrubber   scrubber  // the background scrubber's state
	logSignal  logSignal // closes LogAdvanced's channel at each append
}

// Open loads the newest local snapshot, replays the log after it, purges the
// data of PUTs that never committed, and starts the background workers.
func Open(cfg Config) (*Engine, error) {
	if err := cfg.fill(); err != nil {
		return nil, err
	}
	e := &Engine{cfg: cfg, logger: cfg.Logger, regions: map[string]*region{}, wake: make(chan struct{}, 1), stopped: make(chan struct{})}
	e.base, e.cancelBase = context.WithCancel(context.Background())
	for _, r := range cfg.Regions {
		spec := r.Spec
		spec.Name = r.Name
		e.regions[r.Name] = newRegion(spec, r.Backend)
		e.order = append(e.order, r.Name)
	}
	if err := e.load(); err != nil {
		return nil, err
	}
	e.loadRegions()
	ctx, cancel := context.WithCancel(context.Background())
	e.stop = cancel
	if err := e.abandonOpenBlobs(ctx); err != nil {
		e.log.Close()
		cancel()
		return nil, err
	}
	if err := e.startTimeline(ctx); err != nil {
		e.log.Close()
		cancel()
		return nil, err
	}
	if cfg.Shipping != nil {
		e.shipping = newShipping(e, *cfg.Shipping)
		if err := e.shipping.start(ctx); err != nil {
			e.shipping.close()
			e.log.Close()
			cancel()
			return nil, fmt.Errorf("engine: %w", err)
		}
	}
	if cfg.NoBackground {
		close(e.stopped)
	} else {
		go e.background(ctx)
	}
	return e, nil
}

func (c *Config) fill() error {
	if c.DataDir == "" {
		return fmt.Errorf("engine: DataDir is required")
	}
	if len(c.Regions) == 0 {
		return fmt.Errorf("engine: at least one region is required")
	}
	var specs []RegionSpec
	for _, r := range c.Regions {
		if r.Backend == nil {
			return fmt.Errorf("engine: region %q has no backend", r.Name)
		}
		if r.Spec.Name != "" && r.Spec.Name != r.Name {
			return fmt.Errorf("engine: region %q: its spec names %q", r.Name, r.Spec.Name)
		}
		spec := r.Spec
		spec.Name = r.Name
		specs = append(specs, spec)
	}
	if err := ValidateRegionSpecs(specs); err != nil {
		return fmt.Errorf("engine: %w", err)
	}
	if c.Policy.Mode == "" {
		c.Policy = DefaultPolicy
	}
	if c.SegmentSize <= 0 {
		c.SegmentSize = DefaultSegmentSize
	}
	if c.BlockSize <= 0 {
		c.BlockSize = DefaultBlockSize
	}
	if c.BackendPrefix == "" {
		c.BackendPrefix = DefaultBackendPrefix
	}
	if c.SnapshotEvery == 0 {
		c.SnapshotEvery = DefaultSnapshotEvery
	}
	if c.LifecycleDay <= 0 {
		c.LifecycleDay = DefaultLifecycleDay
	}
	if c.SnapshotInterval <= 0 {
		c.SnapshotInterval = time.Hour
	}
	if c.ScrubInterval == 0 {
		c.ScrubInterval = DefaultScrubInterval
	}
	if c.DeepScrubInterval == 0 {
		c.DeepScrubInterval = DefaultDeepScrubInterval
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if err := ValidatePolicy(c.Policy, len(c.Regions)); err != nil {
		return fmt.Errorf("engine: default policy: %w", err)
	}
	return nil
}

// load restores the projections from the newest snapshot and the log tail.
func (e *Engine) load() error {
	snapDir := e.snapshotDir()
	if err := os.MkdirAll(snapDir, 0o700); err != nil {
		return fmt.Errorf("engine: %w", err)
	}
	e.state = projections.New()
	var snapTime int64
	err := plog.LoadLatestSnapshot(snapDir, func(r *plog.SnapshotReader) error {
		st, err := projections.LoadSnapshotFrom(r)
		if err != nil {
			e.logger.Warn("snapshot does not load; trying an older one", "index", r.Index, "err", err)
			return err
		}
		if st.Applied() != r.Index {
			return fmt.Errorf("snapshot file at %d holds a state at %d", r.Index, st.Applied())
		}
		e.state, snapTime = st, r.Time
		return nil
	})
	if err != nil && !errors.Is(err, plog.ErrNoSnapshot) {
		return fmt.Errorf("engine: load snapshot: %w", err)
	}
	l, err := plog.Open(filepath.Join(e.cfg.DataDir, "log"), plog.Options{NoSync: e.cfg.NoSync, NotBefore: snapTime})
	if err != nil {
		return fmt.Errorf("engine: open log: %w", err)
	}
	from := e.state.Applied() + 1
	if first := l.FirstIndex(); first > from && e.state.Applied() > 0 {
		l.Close()
		return fmt.Errorf("engine: log starts at %d but snapshot ends at %d: records are missing", first, e.state.Applied())
	}
	if err := l.Replay(from, func(r plog.Record) error {
		e.state.Apply(r.Index, r.Time, r.Event) // a refusal is replayed as a refusal
		return nil
	}); err != nil {
		l.Close()
		return fmt.Errorf("engine: replay log: %w", err)
	}
	e.state.Publish()
	l.SetApply(func(r plog.Record) error { return e.state.Apply(r.Index, r.Time, r.Event) }, e.state.Publish)
	e.log = l
	return nil
}

// abandonOpenBlobs queues for purge every blob a PUT started but never
// committed before the last shutdown or crash: nothing is in flight yet.
func (e *Engine) abandonOpenBlobs(ctx context.Context) error {
	var evs []plog.Event
	e.view().OpenBlobs(func(b projections.Blob) bool {
		evs = append(evs, plog.PurgeQueued{Blob: b.ID, Reason: "never committed"})
		return true
	})
	if len(evs) == 0 {
		return nil
	}
	e.logger.Info("purging data of PUTs that never committed", "blobs", len(evs))
	_, err := e.append(ctx, evs...)
	return err
}

// Close stops the workers, waits for background shard writes, takes a
// snapshot and closes the log. Writes started after Close began fail with
// ErrClosed.
func (e *Engine) Close() error {
	e.closeMu.Lock()
	if e.closed {
		e.closeMu.Unlock()
		return nil
	}
	e.closed = true
	e.closeMu.Unlock()
	e.inflight.close()
	e.stop()
	<-e.stopped
	// Shard writes beyond the quorum get a grace period; what is still
	// unwritten then is written by completion after the next start.
	done := make(chan struct{})
	go func() { e.inflight.wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(closeGrace):
		e.cancelBase()
		<-done
	}
	e.cancelBase()
	var errs []error
	if e.cfg.SnapshotEvery > 0 {
		if _, err := e.Snapshot(); err != nil {
			errs = append(errs, err)
		}
	}
	if e.shipping != nil {
		e.shipping.close()
	}
	errs = append(errs, e.log.Close())
	e.closeBackends()
	return errors.Join(errs...)
}

// WaitWrites waits until the shard writes that outlived their requests
// (beyond the write quorum) have finished.
func (e *Engine) WaitWrites() { e.inflight.wait() }

// LastIndex returns the index of the newest durable event.
func (e *Engine) LastIndex() uint64 { return e.log.LastIndex() }

// FirstIndex returns the index of the oldest event the local log still
// holds (0 when it holds none): the log is truncated below snapshots.
func (e *Engine) FirstIndex() uint64 { return e.log.FirstIndex() }

// Failure returns why the engine can no longer write (the log failed: a
// write or fsync error), or nil while it can. Nothing acknowledged is lost
// after a failure: restart the process once the cause (a full disk, a
// failing device) is fixed.
func (e *Engine) Failure() error { return e.log.Err() }

// append makes events durable and applied; it returns the last index. A
// refused event (see projections.Apply) is returned as the engine's domain
// error; the events before it in evs took effect.
func (e *Engine) append(ctx context.Context, evs ...plog.Event) (uint64, error) {
	idx, err := e.log.Append(ctx, evs...)
	if err != nil {
		if errors.Is(err, plog.ErrClosed) || errors.Is(err, plog.ErrFailed) {
			return 0, fmt.Errorf("%w: %w", ErrClosed, err)
		}
		if errors.Is(err, plog.ErrRejected) {
			e.poke()
			e.logSignal.notify()
			return idx, rejection(err)
		}
		return 0, err
	}
	e.poke()
	e.logSignal.notify()
	return idx, nil
}

// poke wakes the background workers without blocking.
func (e *Engine) poke() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

func (e *Engine) view() *projections.View { return e.state.View() }

// Snapshot writes the current projections to a local snapshot, streamed
// from a copy-on-write view (client requests go on meanwhile), and
// truncates the log below the newest snapshot that is safe to drop records
// for (see truncate). It returns the snapshot's index (0: nothing to
// snapshot).
func (e *Engine) Snapshot() (uint64, error) {
	e.snapMu.Lock()
	defer e.snapMu.Unlock()
	v := e.view()
	idx := v.Applied()
	if idx == 0 {
		return 0, nil
	}
	if err := plog.WriteSnapshot(e.snapshotDir(), idx, v.AppliedTime(), v.WriteSnapshot); err != nil {
		return 0, fmt.Errorf("engine: snapshot: %w", err)
	}
	if err := e.truncate(); err != nil {
		return idx, err
	}
	return idx, nil
}

func (e *Engine) snapshotDir() string { return filepath.Join(e.cfg.DataDir, "snapshots") }

// truncate drops the log records that no restore needs any more: those
// before the newest local snapshot (and, when the log is shipped, before
// the newest snapshot every region holds).
func (e *Engine) truncate() error {
	snaps, err := plog.Snapshots(e.snapshotDir())
	if err != nil || len(snaps) == 0 {
		return err
	}
	idx := snaps[0]
	if e.shipping != nil {
		idx = min(idx, e.shipping.everywhere())
	}
	if idx == 0 {
		return nil
	}
	if err := e.log.TruncateFront(idx); err != nil {
		return fmt.Errorf("engine: truncate log before %d: %w", idx, err)
	}
	return nil
}

// backendBucket names the backend bucket of a client bucket: opaque, stable,
// valid on every S3 provider.
func (e *Engine) backendBucket(bucket string) string {
	sum := sha256.Sum256([]byte(bucket))
	return e.cfg.BackendPrefix + "-" + hex.EncodeToString(sum[:10])
}

func (e *Engine) now() time.Time { return e.cfg.Now() }
