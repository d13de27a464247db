package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/prismd/prismd/admin"
	"github.com/prismd/prismd/engine"
	"github.com/prismd/prismd/s3"
)

// serveOptions are the flags of `prismd serve`.
type serveOptions struct {
	config          string
	dataDir         string
	s3Addr          string
	adminAddr       string
	logLevel        string
	shutdownTimeout time.Duration
	set             map[string]bool // flags given on the command line
}

func parseServeFlags(args []string, stderr io.Writer) (*serveOptions, error) {
	o := &serveOptions{}
	fs := flag.NewFlagSet("prismd serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.config, "config", "", "TOML bootstrap config (default: the embedded default)")
	fs.StringVar(&o.dataDir, "data-dir", defaultDataDir, "data directory (overrides data_dir)")
	fs.StringVar(&o.s3Addr, "s3-addr", defaultS3Addr, "S3 listen address (overrides s3_addr)")
	fs.StringVar(&o.adminAddr, "admin-addr", defaultAdminAddr, "management listen address (overrides admin_addr)")
	fs.StringVar(&o.logLevel, "log-level", defaultLogLevel, "debug, info, warn or error (overrides log_level; debug logs every request)")
	fs.DurationVar(&o.shutdownTimeout, "shutdown-timeout", 30*time.Second, "on SIGTERM/SIGINT, how long to let in-flight requests finish")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: prismd serve [flags]")
		fs.PrintDefaults()
	}
	var err error
	o.set, err = parseCommandFlags(fs, "serve", args)
	return o, err
}

// loadServeConfig reads the config (or the embedded default) and applies the flags.
func loadServeConfig(o *serveOptions, getenv func(string) string) (*Config, error) {
	c := DefaultConfig()
	if o.config != "" {
		var err error
		if c, err = LoadConfig(o.config, getenv); err != nil {
			return nil, err
		}
	}
	if o.set["data-dir"] {
		c.SetDataDir(o.dataDir)
	}
	if o.set["s3-addr"] {
		c.S3Addr = o.s3Addr
	}
	if o.set["admin-addr"] {
		c.AdminAddr = o.adminAddr
	}
	if o.set["log-level"] {
		c.LogLevel = o.logLevel
	}
	abs, err := filepath.Abs(c.DataDir)
	if err != nil {
		return nil, err
	}
	c.SetDataDir(abs)
	for i := range c.Regions {
		if c.Regions[i].Path != "" {
			if c.Regions[i].Path, err = filepath.Abs(c.Regions[i].Path); err != nil {
				return nil, err
			}
		}
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

func serve(args []string, stdout, stderr io.Writer) error {
	o, err := parseServeFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	cfg, err := loadServeConfig(o, os.Getenv)
	if err != nil {
		return usageError{err}
	}
	var tlsConfig *tls.Config
	if cfg.TLSCertFile != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCertFile, cfg.TLSKeyFile)
		if err != nil {
			return usageError{fmt.Errorf("config: tls_cert_file/tls_key_file: %w", err)}
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	level, _ := parseLevel(cfg.LogLevel)
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(logger)

	// From here on SIGTERM/SIGINT shut down cleanly; one received while the
	// engine opens is handled as soon as prismd serves.
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sigs)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	gw, err := openGateway(ctx, cfg, logger, os.Getenv)
	if err != nil {
		return err
	}
	gatewayOpen := true
	defer func() {
		if gatewayOpen {
			if err := gw.Close(); err != nil {
				logger.Error("close engine", "err", err)
			}
		}
	}()
	eng, root := gw.eng, gw.root

	s3ln, err := net.Listen("tcp", cfg.S3Addr)
	if err != nil {
		return fmt.Errorf("s3_addr: %w", err)
	}
	adminLn, err := listenAdmin(cfg)
	if err != nil {
		s3ln.Close()
		return err
	}
	token, err := writeAdminToken(cfg.DataDir)
	if err != nil {
		s3ln.Close()
		adminLn.Close()
		return err
	}
	password, err := ensureAdminPassword(ctx, eng, os.Getenv)
	if err != nil {
		s3ln.Close()
		adminLn.Close()
		return err
	}
	adm := admin.New(admin.Config{Engine: eng, Version: buildVersion(), Logger: logger, Token: token, ScrubCheckpoint: scrubCheckpoint(cfg),
		Hosts: splitList(cfg.AdminHosts), MetricsToken: cfg.MetricsToken, BucketMetrics: cfg.MetricsBuckets})
	s3h := s3.New(s3.Config{Engine: eng, Region: cfg.S3Region, Logger: logger, Domain: cfg.S3Domain,
		BodyIdleTimeout: cfg.S3ReadIdleTimeout, ResponseIdleTimeout: cfg.S3WriteIdleTimeout})
	errLog := slog.NewLogLogger(logger.Handler(), slog.LevelDebug) // client hang-ups and TLS noise
	s3srv := &http.Server{Handler: continueEmptyBodies(adm.InstrumentS3(s3h)), ReadHeaderTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10, ErrorLog: errLog}
	// The management listener's requests are small: a client that stalls
	// is cut off rather than holding a connection. No write timeout:
	// /debug/pprof/profile streams for as long as it was asked to.
	adminSrv := &http.Server{Handler: adm, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, IdleTimeout: time.Minute, ErrorLog: errLog}

	served := make(chan error, 2)
	if tlsConfig != nil {
		s3srv.TLSConfig = tlsConfig
		go func() { served <- s3srv.ServeTLS(s3ln, "", "") }()
	} else {
		go func() { served <- s3srv.Serve(s3ln) }()
	}
	go func() { served <- adminSrv.Serve(adminLn) }()
	adm.SetReady(true)
	adm.StartSampling(ctx)
	printBanner(stdout, cfg, s3ln.Addr(), adminLn.Addr(), root, password)
	logger.Info("prismd serving", "version", buildVersion(), "s3", s3ln.Addr().String(), "admin", adminLn.Addr().String(),
		"data_dir", cfg.DataDir, "regions", len(cfg.Regions), "master_key", gw.keySource)

	var failure error
	select {
	case sig := <-sigs:
		logger.Info("shutting down: draining in-flight requests", "signal", sig.String(), "timeout", o.shutdownTimeout)
	case err := <-served:
		failure = fmt.Errorf("listener stopped: %w", err)
		logger.Error("shutting down", "err", err)
	}
	adm.SetReady(false)
	go func() {
		sig := <-sigs
		logger.Error("second signal: exiting without draining", "signal", sig.String())
		os.Exit(1)
	}()
	drainCtx, drainCancel := context.WithTimeout(ctx, o.shutdownTimeout)
	defer drainCancel()
	if err := s3srv.Shutdown(drainCtx); err != nil {
		logger.Warn("drain timed out: closing the remaining connections", "err", err)
		s3srv.Close()
	}
	adminCtx, adminCancel := context.WithTimeout(ctx, 2*time.Second)
	defer adminCancel()
	if err := adminSrv.Shutdown(adminCtx); err != nil {
		adminSrv.Close()
	}
	adm.StopScrub() // its checkpoint keeps its position for the next prismd scrub
	gatewayOpen = false
	if err := gw.Close(); err != nil {
		return errors.Join(failure, fmt.Errorf("close engine: %w", err))
	}
	logger.Info("prismd stopped")
	return failure
}

// syncAccessKeys makes the log's access keys match the root credentials and
// the config: missing or changed keys are created, keys the config made
// earlier and no longer lists are revoked (see configKeysFile); keys made
// in the management API stay. It first checks that the master key opens
// the secrets already sealed in the log.
func syncAccessKeys(ctx context.Context, eng *engine.Engine, dataDir string, root rootCredentials, keys []AccessKeyConfig, keySource string, logger *slog.Logger) error {
	existing := eng.AccessKeys()
	for _, k := range existing {
		if _, err := eng.LookupAccessKey(k.AccessKey); err != nil && !errors.Is(err, engine.ErrNoSuchAccessKey) {
			return fmt.Errorf("the master key from %s does not open the secrets sealed in the log (%v); start with the master key this data directory was created with", keySource, err)
		}
	}
	managed, known, err := readConfigKeys(dataDir)
	if err != nil {
		return fmt.Errorf("access keys: %w", err)
	}
	want := map[string]bool{root.AccessKey: true}
	var configured []string
	if err := eng.EnsureAccessKey(ctx, engine.AccessKey{AccessKey: root.AccessKey, Secret: root.SecretKey, Root: true}); err != nil {
		return fmt.Errorf("root access key: %w", err)
	}
	for i, k := range keys {
		want[k.AccessKey] = true
		configured = append(configured, k.AccessKey)
		if err := eng.EnsureAccessKey(ctx, engine.AccessKey{AccessKey: k.AccessKey, Secret: k.SecretKey, Buckets: k.Buckets, ReadOnly: k.ReadOnly, BypassGovernance: k.BypassGovernance}); err != nil {
			return fmt.Errorf("config: access_key[%d]: %w", i, err)
		}
	}
	for _, k := range existing {
		if !want[k.AccessKey] && (k.Root || !known || managed[k.AccessKey]) {
			logger.Warn("revoking access key: it is no longer the root key nor in the config", "access_key", k.AccessKey)
			if err := eng.RevokeAccessKey(ctx, k.AccessKey); err != nil && !errors.Is(err, engine.ErrNoSuchAccessKey) {
				return fmt.Errorf("revoke access key %q: %w", k.AccessKey, err)
			}
		}
	}
	if err := writeConfigKeys(dataDir, configured); err != nil {
		return fmt.Errorf("access keys: %w", err)
	}
	return nil
}

// printBanner tells the user where prismd listens and how to sign in.
// adminPassword is the generated admin password, printed this once ("": none).
func printBanner(w io.Writer, cfg *Config, s3Addr, adminAddr net.Addr, root rootCredentials, adminPassword string) {
	scheme := "http://"
	if cfg.TLSCertFile != "" {
		scheme = "https://"
	}
	endpoint := scheme + dialable(s3Addr)
	fmt.Fprintf(w, "prismd %s\n", buildVersion())
	fmt.Fprintf(w, "S3 endpoint:  %s  (region %s)\n", endpoint, cfg.S3Region)
	adminScheme := "http://"
	if cfg.AdminTLSCertFile != "" {
		adminScheme = "https://"
	}
	fmt.Fprintf(w, "admin:        %s%s  (web UI and /api/ need the admin login; /health, /metrics)\n", adminScheme, dialable(adminAddr))
	if adminPassword != "" {
		fmt.Fprintf(w, "admin login:  %s  (generated, shown this once; change it in the web UI)\n", adminPassword)
	}
	fmt.Fprintf(w, "data dir:     %s\n", cfg.DataDir)
	var regions []string
	for _, r := range cfg.Regions {
		where := r.Path
		if r.Type == "s3" {
			where = r.Endpoint
		}
		regions = append(regions, fmt.Sprintf("%s (%s %s)", r.Name, r.Type, where))
	}
	fmt.Fprintf(w, "regions:      %s\n", strings.Join(regions, ", "))
	fmt.Fprintf(w, "policy:       %s\n", describePolicy(cfg))
	fmt.Fprintf(w, "access key:   %s\n", root.AccessKey)
	secret := root.SecretKey
	if root.Source == "environment" {
		secret = "(from " + envSecretKey + ")"
	}
	fmt.Fprintf(w, "secret key:   %s\n", secret)
	switch root.Source {
	case "environment":
		fmt.Fprintf(w, "credentials:  taken from %s/%s and kept in %s\n", envAccessKey, envSecretKey, filepath.Join(cfg.DataDir, credentialsFile))
	case "generated":
		fmt.Fprintf(w, "credentials:  generated and kept in %s\n", filepath.Join(cfg.DataDir, credentialsFile))
	default:
		fmt.Fprintf(w, "credentials:  from %s\n", root.Source)
	}
	fmt.Fprintf(w, "try:\n  export AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s\n  aws --endpoint-url %s s3 mb s3://photos\n",
		root.AccessKey, shellSecret(root), endpoint)
}

func shellSecret(root rootCredentials) string {
	if root.Source == "environment" {
		return "\"$" + envSecretKey + "\""
	}
	return root.SecretKey
}

func describePolicy(cfg *Config) string {
	p := cfg.Policy
	var s string
	switch p.Mode {
	case "replica":
		s = fmt.Sprintf("replica, %d copies", p.ParityShards+1)
	case "erasure":
		s = fmt.Sprintf("erasure %d+%d", p.DataShards, p.ParityShards)
	default:
		s = fmt.Sprintf("hybrid %d+%d, %d copies below %s", p.DataShards, p.ParityShards, p.ParityShards+1, formatSize(p.HybridThreshold))
	}
	return s + ", placement " + p.Placement
}

// dialable turns a listener address into one a client on this host can dial.
func dialable(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
