package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	plog "github.com/prismd/prismd/log"
	"github.com/prismd/prismd/replica"
)

// identityFile is the data directory's file naming the gateway.
const identityFile = "gateway.json"

// Identity names a gateway: its id, the same for its whole life (a
// gateway restored by prismd replay keeps it), and the timeline its log
// is shipped to — 1, or for a gateway restored to an earlier point a new
// one whose Origin says where it forked from its parent.
type Identity struct {
	Gateway  string          `json:"gateway"`
	Timeline uint64          `json:"timeline"`
	Origin   *replica.Origin `json:"origin,omitempty"`
}

// LoadIdentity reads the gateway's identity from its data directory, or
// makes a new gateway's (a random id, timeline 1) on its first start.
func LoadIdentity(dataDir string) (Identity, error) {
	path := filepath.Join(dataDir, identityFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		var raw [8]byte
		if _, err := rand.Read(raw[:]); err != nil {
			return Identity{}, err
		}
		id := Identity{Gateway: "gw-" + hex.EncodeToString(raw[:]), Timeline: 1}
		return id, WriteIdentity(dataDir, id)
	}
	if err != nil {
		return Identity{}, fmt.Errorf("gateway identity: %w", err)
	}
	var id Identity
	if err := json.Unmarshal(data, &id); err != nil {
		return Identity{}, fmt.Errorf("gateway identity %s: %w", path, err)
	}
	if err := id.check(); err != nil {
		return Identity{}, fmt.Errorf("gateway identity %s: %w", path, err)
	}
	return id, nil
}

func (id Identity) check() error {
	if err := replica.CheckGateway(id.Gateway); err != nil {
		return err
	}
	if id.Timeline < 1 || (id.Timeline >= 2) != (id.Origin != nil) {
		return fmt.Errorf("timeline %d with origin %v: a timeline from 2 on has an origin, timeline 1 none", id.Timeline, id.Origin)
	}
	if id.Origin != nil {
		return id.Origin.Check()
	}
	return nil
}

// startTimeline records the gateway's timeline in the log when the log is
// still on an older one (the first Open after prismd replay).
func (e *Engine) startTimeline(ctx context.Context) error {
	want := e.cfg.Timeline
	if e.cfg.Shipping != nil {
		want = max(want, e.cfg.Shipping.Identity.Timeline)
	}
	if want <= e.view().Timeline() {
		return nil
	}
	if _, err := e.append(ctx, plog.TimelineStarted{Timeline: want}); err != nil {
		return fmt.Errorf("engine: start timeline %d: %w", want, err)
	}
	e.logger.Info("the log continues on a new timeline", "timeline", want)
	return nil
}

// WriteIdentity writes the gateway's identity into its data directory
// (prismd replay gives the restored gateway its id and timeline).
func WriteIdentity(dataDir string, id Identity) error {
	if err := id.check(); err != nil {
		return err
	}
	data, err := json.MarshalIndent(id, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return err
	}
	tmp := filepath.Join(dataDir, identityFile+".tmp")
	if err := os.WriteFile(tmp, append(data, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dataDir, identityFile))
}
