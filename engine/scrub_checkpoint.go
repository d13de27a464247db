package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	iofs "io/fs"
	"os"
	"path/filepath"
	"time"
)

// checkpoint is a scrub's position and counts, kept in a JSON file so that
// a scrub cut off continues where it was:
//
//	{"version": 1, "scope": {"deep": true, "bucket": "", "prefix": "", "dry_run": false},
//	 "bucket": "photos", "after": "2024/cat.jpg", "done": false, "summary": {…}}
//
// Every object of the buckets before Bucket, and of Bucket up to After
// (all of it when Done), was checked; Summary counts what was found so
// far. The file is written whole to a temporary file, synced and renamed
// over the old one, so a crash leaves either.
type checkpoint struct {
	Version int          `json:"version"`
	Scope   scrubScope   `json:"scope"`
	Bucket  string       `json:"bucket"`
	After   string       `json:"after"`
	Done    bool         `json:"done"`
	Summary ScrubSummary `json:"summary"`
	// Resumed: loaded from a file, not new.
	Resumed bool `json:"-"`
}

// scrubScope is what a checkpoint is a position in: a scrub of another
// scope starts over.
type scrubScope struct {
	Deep   bool   `json:"deep"`
	Bucket string `json:"bucket"`
	Prefix string `json:"prefix"`
	DryRun bool   `json:"dry_run"`
}

const checkpointVersion = 1

func scopeOf(o ScrubOptions) scrubScope {
	return scrubScope{Deep: o.Deep, Bucket: o.Bucket, Prefix: o.Prefix, DryRun: o.DryRun}
}

// loadCheckpoint returns the checkpoint of a scrub of opts' scope from
// opts.Checkpoint, or a new one when there is none (or it is of another
// scope, or unreadable as JSON).
func loadCheckpoint(o ScrubOptions) (checkpoint, error) {
	fresh := checkpoint{Version: checkpointVersion, Scope: scopeOf(o)}
	if o.Checkpoint == "" {
		return fresh, nil
	}
	data, err := os.ReadFile(o.Checkpoint)
	if errors.Is(err, iofs.ErrNotExist) {
		return fresh, nil
	}
	if err != nil {
		return fresh, fmt.Errorf("scrub checkpoint: %w", err)
	}
	var cp checkpoint
	if json.Unmarshal(data, &cp) != nil || cp.Version != checkpointVersion || cp.Scope != fresh.Scope {
		return fresh, nil
	}
	cp.Resumed = true
	cp.Summary.Elapsed = time.Duration(cp.Summary.ElapsedSeconds * float64(time.Second))
	return cp, nil
}

// saveCheckpoint writes cp to opts.Checkpoint atomically (mode 0600).
func saveCheckpoint(o ScrubOptions, cp checkpoint) error {
	if o.Checkpoint == "" {
		return nil
	}
	cp.Summary.ElapsedSeconds = cp.Summary.Elapsed.Seconds()
	data, err := json.MarshalIndent(cp, "", "  ")
	if err != nil {
		return fmt.Errorf("scrub checkpoint: %w", err)
	}
	if err := writeFileAtomic(o.Checkpoint, data); err != nil {
		return fmt.Errorf("scrub checkpoint: %w", err)
	}
	return nil
}

// removeCheckpoint removes the checkpoint of a scrub that completed.
func removeCheckpoint(path string) error {
	if path == "" {
		return nil
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, iofs.ErrNotExist) {
		return fmt.Errorf("scrub checkpoint: %w", err)
	}
	return nil
}

// writeFileAtomic replaces path with data: a temporary file beside it,
// synced, renamed over it.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o600)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}
