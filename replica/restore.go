package replica

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	plog "github.com/prismd/prismd/log"
)

// Source is a region to restore from.
type Source struct {
	Region string
	Store  Store
}

// RestoreConfig says what to restore, from where, to where.
type RestoreConfig struct {
	// Sources are the regions to read, in preference order (the one
	// asked for first). Regions whose listing fails are left out.
	Sources   []Source
	MasterKey []byte
	Gateway   string // "" : the gateway of the newest files
	Target    Target
	// LogDir and SnapshotDir are where the log and the snapshot go; both
	// must hold nothing of a log or snapshot yet.
	LogDir, SnapshotDir string
	// Parallel is how many files download at once; default 4.
	Parallel int
	// Retries is how many times a file is tried on each region before the
	// next one; default 3.
	Retries int
	// Progress, when set, is called as bytes arrive (done so far, total
	// planned).
	Progress func(done, total int64)
	Logger   *slog.Logger
}

// RestoreResult says what a restore rebuilt.
type RestoreResult struct {
	Plan Plan
	// Last is the last index restored and LastTime its event's time.
	Last     uint64
	LastTime time.Time
	// Source is the region the snapshot (or, without one, the first
	// segment) came from.
	Source string
	Files  int
	Bytes  int64

	firstTime time.Time // of the first record read past the target
}

// ListSources lists every source's gateway files; it returns the listings
// by region and the regions that could not be listed (with why).
func ListSources(ctx context.Context, sources []Source) (map[string][]FileInfo, map[string]error) {
	listings, failed := map[string][]FileInfo{}, map[string]error{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, src := range sources {
		wg.Go(func() {
			files, err := src.Store.List(ctx, GatewaysPrefix)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed[src.Region] = err
				return
			}
			listings[src.Region] = files
		})
	}
	wg.Wait()
	return listings, failed
}

// PlanRestore lists the sources and plans the restore of cfg.Target,
// reading the timelines' origins; exclude names files to do without.
func PlanRestore(ctx context.Context, cfg RestoreConfig, exclude map[string]bool) (Plan, error) {
	listings, failed := ListSources(ctx, cfg.Sources)
	for region, err := range failed {
		logger(cfg).Warn("region left out of the restore: its system area cannot be listed", "region", region, "err", err)
	}
	if len(listings) == 0 {
		return Plan{}, fmt.Errorf("no region can be listed: %w", errors.Join(mapErrors(failed)...))
	}
	cat, err := NewCatalog(listings, cfg.Gateway)
	if err != nil {
		return Plan{}, err
	}
	origins := map[uint64]Origin{}
	for _, step := range cat.OriginFiles() {
		n, _ := ParseName(step.Name)
		var o Origin
		err := fetch(ctx, cfg, step, func(s Store) error {
			var err error
			o, err = GetOrigin(ctx, s, cfg.MasterKey, n.Gateway, n.Timeline)
			return err
		})
		if err != nil {
			if errors.Is(err, ErrWrongKey) {
				return Plan{}, err
			}
			exclude[step.Name] = true
			continue
		}
		origins[n.Timeline] = o
	}
	return cat.Plan(cfg.Target, origins, exclude)
}

func mapErrors(m map[string]error) []error {
	var out []error
	for region, err := range m {
		out = append(out, fmt.Errorf("%s: %w", region, err))
	}
	return out
}

func logger(cfg RestoreConfig) *slog.Logger {
	if cfg.Logger != nil {
		return cfg.Logger
	}
	return slog.Default()
}

// Restore rebuilds a gateway's log and newest snapshot at or before the
// target into LogDir and SnapshotDir (which it removes again when it
// fails). Every file is verified (the sealed
// container's tags, the snapshot's and segment's SHA-256, every record's
// checksum). A file that fails on one region is read from another; a file
// that fails on every region holding it is left out and the restore
// starts over with a plan without it (an older snapshot and more
// segments). A gap that no region fills is a *GapError naming the missing
// indexes; a wrong master key is ErrWrongKey.
func Restore(ctx context.Context, cfg RestoreConfig) (RestoreResult, error) {
	if cfg.Parallel <= 0 {
		cfg.Parallel = 4
	}
	if cfg.Retries <= 0 {
		cfg.Retries = 3
	}
	exclude := map[string]bool{}
	for {
		plan, err := PlanRestore(ctx, cfg, exclude)
		if err != nil {
			return RestoreResult{}, err
		}
		res, bad, err := restorePlan(ctx, cfg, plan)
		if bad == "" {
			if err != nil {
				// Leave nothing half-restored behind.
				clearDirs(cfg)
			}
			return res, err
		}
		logger(cfg).Warn("a file is damaged on every region that holds it: planning again without it", "file", bad, "err", err)
		exclude[bad] = true
		if err := clearDirs(cfg); err != nil {
			return RestoreResult{}, err
		}
	}
}

// clearDirs removes what a failed attempt wrote.
func clearDirs(cfg RestoreConfig) error {
	return errors.Join(os.RemoveAll(cfg.LogDir), os.RemoveAll(cfg.SnapshotDir), os.RemoveAll(stagingDir(cfg)))
}

// stagingDir holds downloaded segment files until they are applied.
func stagingDir(cfg RestoreConfig) string {
	return filepath.Join(filepath.Dir(filepath.Clean(cfg.LogDir)), ".restore")
}

// restorePlan carries out one plan. bad names a file that failed on every
// region holding it (the caller plans again without it).
func restorePlan(ctx context.Context, cfg RestoreConfig, plan Plan) (res RestoreResult, bad string, err error) {
	res.Plan = plan
	var total int64
	steps := plan.Segments
	if plan.Snapshot != nil {
		steps = append([]Step{*plan.Snapshot}, steps...)
	}
	total = int64(len(steps)) // progress counts files when sizes are unknown
	prog := &progress{fn: cfg.Progress, total: total}
	first := uint64(1)
	if plan.Snapshot != nil {
		region, err := restoreSnapshot(ctx, cfg, *plan.Snapshot, prog)
		if err != nil {
			return res, badFile(*plan.Snapshot, err), err
		}
		res.Source, res.Files, first = region, 1, plan.Snapshot.First+1
		res.Last = plan.Snapshot.First
		res.LastTime = nameTime(plan.Snapshot.Name)
	}
	w, err := plog.CreateRaw(cfg.LogDir, first)
	if err != nil {
		return res, "", err
	}
	defer func() {
		if w != nil {
			w.Close()
		}
	}()
	dl := newDownloader(ctx, cfg, plan.Segments, prog)
	defer func() {
		dl.stop()
		os.RemoveAll(stagingDir(cfg))
	}()
	for i, step := range plan.Segments {
		path, region, err := dl.wait(i)
		if err != nil {
			return res, badFile(step, err), err
		}
		if res.Source == "" {
			res.Source = region
		}
		stop, err := applySegment(path, step, cfg.Target.Time, w, &res)
		os.Remove(path)
		if err != nil {
			return res, badFile(step, err), err
		}
		res.Files++
		if stop && plan.Snapshot == nil && res.LastTime.IsZero() {
			// Nothing happened at or before the target: the history
			// starts later.
			return res, "", &TooOldError{Index: step.First, Time: res.firstTime}
		}
		if stop {
			break
		}
	}
	last, err := w.Close()
	w = nil
	if err != nil {
		return res, "", err
	}
	res.Last = max(res.Last, last)
	res.Bytes = prog.bytes
	return res, "", nil
}

// badFile returns the step's name when err means the file itself is bad
// everywhere (not the master key, not the caller's context).
func badFile(step Step, err error) string {
	if errors.Is(err, ErrCorrupt) || errors.Is(err, plog.ErrCorrupt) || errors.Is(err, ErrNotFound) {
		return step.Name
	}
	return ""
}

func nameTime(name string) time.Time {
	n, _ := ParseName(name)
	return n.Time
}

// applySegment writes the records [step.First, step.Last] of a downloaded
// segment file, stopping after the last one at or before until (when
// set); stop reports that it stopped there.
func applySegment(path string, step Step, until time.Time, w *plog.RawWriter, res *RestoreResult) (stop bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	errStop := errors.New("stop")
	_, _, err = ReadSegment(f, func(index uint64, data []byte) error {
		if index < step.First || index > step.Last {
			return nil
		}
		_, t, err := plog.Decode(data)
		if err != nil {
			return fmt.Errorf("record %d: %w", index, err)
		}
		at := time.Unix(0, t)
		if !until.IsZero() && at.After(until) {
			res.firstTime = at
			return errStop
		}
		if err := w.Write(index, data); err != nil {
			return err
		}
		res.LastTime = at
		return nil
	})
	if errors.Is(err, errStop) {
		return true, nil
	}
	return false, err
}

// restoreSnapshot downloads and verifies the snapshot into SnapshotDir.
func restoreSnapshot(ctx context.Context, cfg RestoreConfig, step Step, prog *progress) (region string, err error) {
	err = fetchFrom(ctx, cfg, step, func(src Source) error {
		rc, err := GetSealed(ctx, src.Store, step.Name, cfg.MasterKey)
		if err != nil {
			return err
		}
		defer rc.Close()
		if err := os.MkdirAll(cfg.SnapshotDir, 0o750); err != nil {
			return err
		}
		path := filepath.Join(cfg.SnapshotDir, plog.SnapshotName(step.First))
		tmp := path + ".tmp"
		if err := writeVerifiedSnapshot(tmp, rc, step.First, prog); err != nil {
			os.Remove(tmp)
			return err
		}
		region = src.Region
		return os.Rename(tmp, path)
	})
	return region, err
}

// writeVerifiedSnapshot copies a snapshot to path while reading it through
// the log's snapshot reader, so that it is verified to its checksum.
func writeVerifiedSnapshot(path string, r io.Reader, index uint64, prog *progress) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o640)
	if err != nil {
		return err
	}
	defer f.Close()
	sr, err := plog.NewSnapshotReader(io.TeeReader(r, io.MultiWriter(f, prog)))
	if err != nil {
		return err
	}
	if sr.Index != index {
		return fmt.Errorf("%w: the snapshot holds index %d, its name says %d", ErrCorrupt, sr.Index, index)
	}
	if _, err := io.Copy(io.Discard, sr); err != nil {
		return err
	}
	prog.file()
	return f.Sync()
}

// fetch runs get against the regions holding step, in the configured
// order, each up to Retries times, until one succeeds.
func fetch(ctx context.Context, cfg RestoreConfig, step Step, get func(Store) error) error {
	return fetchFrom(ctx, cfg, step, func(src Source) error { return get(src.Store) })
}

func fetchFrom(ctx context.Context, cfg RestoreConfig, step Step, get func(Source) error) error {
	var errs []error
	wrongKey := true
	for _, src := range cfg.Sources {
		if !holds(step, src.Region) {
			continue
		}
		for try := 0; try < max(cfg.Retries, 1); try++ {
			if err := ctx.Err(); err != nil {
				return err
			}
			err := get(src)
			if err == nil {
				return nil
			}
			errs = append(errs, fmt.Errorf("%s on %s: %w", step.Name, src.Region, err))
			wrongKey = wrongKey && errors.Is(err, ErrWrongKey)
			if errors.Is(err, ErrCorrupt) || errors.Is(err, plog.ErrCorrupt) || errors.Is(err, ErrNotFound) || errors.Is(err, ErrWrongKey) {
				break // the same bytes again would fail again: next region
			}
		}
	}
	if len(errs) == 0 {
		return fmt.Errorf("%s: no region holds it: %w", step.Name, ErrNotFound)
	}
	err := errors.Join(errs...)
	if wrongKey {
		return fmt.Errorf("%w: %w", ErrWrongKey, err)
	}
	return err
}

func holds(step Step, region string) bool {
	for _, r := range step.Regions {
		if r == region {
			return true
		}
	}
	return false
}

// progress counts the bytes that arrived.
type progress struct {
	mu    sync.Mutex
	fn    func(done, total int64)
	bytes int64
	files int64
	total int64
}

func (p *progress) Write(b []byte) (int, error) {
	p.mu.Lock()
	p.bytes += int64(len(b))
	p.mu.Unlock()
	return len(b), nil
}

func (p *progress) file() {
	p.mu.Lock()
	p.files++
	done, total := p.files, p.total
	p.mu.Unlock()
	if p.fn != nil {
		p.fn(done, total)
	}
}

// downloader fetches segment files into temporary files, Parallel at once,
// ahead of the one being applied.
type downloader struct {
	ctx    context.Context
	cancel context.CancelFunc
	cfg    RestoreConfig
	steps  []Step
	prog   *progress
	done   []chan result
	wg     sync.WaitGroup
}

type result struct {
	path, region string
	err          error
}

func newDownloader(ctx context.Context, cfg RestoreConfig, steps []Step, prog *progress) *downloader {
	d := &downloader{cfg: cfg, steps: steps, prog: prog, done: make([]chan result, len(steps))}
	d.ctx, d.cancel = context.WithCancel(ctx)
	for i := range d.done {
		d.done[i] = make(chan result, 1)
	}
	next := make(chan int)
	for range cfg.Parallel {
		d.wg.Go(func() {
			for i := range next {
				d.done[i] <- d.get(d.steps[i])
			}
		})
	}
	go func() {
		defer close(next)
		for i := range steps {
			select {
			case next <- i:
			case <-d.ctx.Done():
				return
			}
		}
	}()
	return d
}

// get downloads and verifies one segment file into a temporary file.
func (d *downloader) get(step Step) result {
	var res result
	err := fetchFrom(d.ctx, d.cfg, step, func(src Source) error {
		rc, err := GetSealed(d.ctx, src.Store, step.Name, d.cfg.MasterKey)
		if err != nil {
			return err
		}
		defer rc.Close()
		if err := os.MkdirAll(stagingDir(d.cfg), 0o750); err != nil {
			return err
		}
		f, err := os.CreateTemp(stagingDir(d.cfg), "*.seg")
		if err != nil {
			return err
		}
		// Verify while copying: ReadSegment checks order, lengths and the
		// SHA-256 (records are checked as they are applied).
		_, _, err = ReadSegment(io.TeeReader(rc, io.MultiWriter(f, d.prog)), func(uint64, []byte) error { return nil })
		if err == nil {
			err = f.Sync()
		}
		f.Close()
		if err != nil {
			os.Remove(f.Name())
			return err
		}
		res.path, res.region = f.Name(), src.Region
		return nil
	})
	if err == nil {
		d.prog.file()
	}
	res.err = err
	return res
}

// wait returns the downloaded file of step i.
func (d *downloader) wait(i int) (path, region string, err error) {
	select {
	case r := <-d.done[i]:
		return r.path, r.region, r.err
	case <-d.ctx.Done():
		return "", "", d.ctx.Err()
	}
}

// stop ends the downloads and removes what was not applied.
func (d *downloader) stop() {
	d.cancel()
	d.wg.Wait()
	for _, ch := range d.done {
		select {
		case r := <-ch:
			if r.path != "" {
				os.Remove(r.path)
			}
		default:
		}
	}
}
