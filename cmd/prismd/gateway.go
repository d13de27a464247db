package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/prismd/prismd/engine"
)

// gateway is prismd opened from its config: the data directory locked, the
// master key, the root credentials, the regions' backends and the engine.
// serve and scrub open it with openGateway; replay rebuilds a data
// directory for it.
type gateway struct {
	cfg       *Config
	lock      *os.File
	masterKey []byte
	keySource string
	root      rootCredentials
	eng       *engine.Engine
}

// errDataDirInUse: another prismd process holds the data directory's lock.
var errDataDirInUse = errors.New("in use by another prismd process")

// openGateway locks the data directory, loads the master key (generating
// it on a first start) and the root credentials, builds the regions, opens
// the engine and makes the log's access keys match the config.
func openGateway(ctx context.Context, cfg *Config, logger *slog.Logger, getenv func(string) string) (_ *gateway, err error) {
	g := &gateway{cfg: cfg}
	defer func() {
		if err != nil {
			g.Close() // what was opened before the failure
		}
	}()
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	if g.lock, err = lockDataDir(cfg.DataDir); err != nil {
		return nil, err
	}
	if g.masterKey, g.keySource, err = loadMasterKey(cfg.MasterKeyFile, cfg.DataDir, getenv, true); err != nil {
		return nil, err
	}
	if g.root, err = loadRootCredentials(cfg.DataDir, getenv, logger.Warn); err != nil {
		return nil, err
	}
	for i, k := range cfg.AccessKeys {
		if k.AccessKey == g.root.AccessKey {
			return nil, usageError{fmt.Errorf("config: access_key[%d].access_key: %q is the root access key", i, k.AccessKey)}
		}
	}
	id, err := engine.LoadIdentity(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	regions, err := buildRegions(ctx, cfg.regionSpecs())
	if err != nil {
		return nil, err
	}
	if strings.HasSuffix(g.keySource, "(generated)") || g.keySource == filepath.Join(cfg.DataDir, masterKeyFile) {
		for _, r := range cfg.Regions {
			if r.Type == "s3" {
				logger.Warn("the master key is kept only in the data directory: a disaster that takes the directory takes the key, and prismd replay cannot open the shipped log without it; keep a copy elsewhere (see README: master key)",
					"master_key", filepath.Join(cfg.DataDir, masterKeyFile), "remote_region", r.Name)
				break
			}
		}
	}
	ecfg := cfg.engineConfig(regions, g.masterKey, logger)
	ecfg.Timeline = id.Timeline
	if cfg.ShipInterval > 0 {
		ecfg.Shipping = &engine.ShippingConfig{Identity: id, Interval: cfg.ShipInterval, Retention: cfg.Retention}
	} else {
		logger.Warn("ship_interval is 0: the log is not shipped to the regions, and a lost data directory loses every object")
	}
	if g.eng, err = engine.Open(ecfg); err != nil {
		if errors.Is(err, engine.ErrLeaseHeld) {
			return nil, usageError{fmt.Errorf("%w: two gateways must not share regions; stop the other gateway (or point this one at other regions)", err)}
		}
		return nil, err
	}
	if err := syncAccessKeys(ctx, g.eng, cfg.DataDir, g.root, cfg.AccessKeys, g.keySource, logger); err != nil {
		return nil, err
	}
	return g, nil
}

// engineConfig is the engine's configuration from the bootstrap config.
func (c *Config) engineConfig(regions []engine.Region, masterKey []byte, logger *slog.Logger) engine.Config {
	return engine.Config{
		DataDir:     c.DataDir,
		Regions:     regions,
		Policy:      c.Policy,
		SegmentSize: c.SegmentSize,
		BlockSize:   int(c.BlockSize),
		MasterKey:   masterKey,
		OpenBackend: openLoggedRegion,
		Logger:      logger,

		SnapshotEvery:     c.SnapshotEvery,
		SnapshotInterval:  c.SnapshotInterval,
		PurgeDelay:        c.PurgeDelay,
		ScrubInterval:     c.ScrubInterval,
		DeepScrubInterval: c.DeepScrubInterval,
	}
}

// Close closes the engine (a final snapshot, the log) and unlocks the data
// directory.
func (g *gateway) Close() error {
	var errs []error
	if g.eng != nil {
		errs = append(errs, g.eng.Close())
		g.eng = nil
	}
	if g.lock != nil {
		errs = append(errs, g.lock.Close())
		g.lock = nil
	}
	return errors.Join(errs...)
}
