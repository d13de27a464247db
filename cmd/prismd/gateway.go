package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

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
func openGateway(ctx context.Context, cfg *Config, logger *slog.Logger, getenv func(string) string) (g *gateway, err error) {
	opened := &gateway{cfg: cfg}
	g = opened
	defer func() {
		if err != nil {
			opened.Close() // g is nil by then
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
	regions, err := buildRegions(ctx, cfg.regionSpecs())
	if err != nil {
		return nil, err
	}
	if g.eng, err = engine.Open(cfg.engineConfig(regions, g.masterKey, logger)); err != nil {
		return nil, err
	}
	if err := syncAccessKeys(ctx, g.eng, g.root, cfg.AccessKeys, g.keySource, logger); err != nil {
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
