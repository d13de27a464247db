package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/prismd/prismd/engine"
	plog "github.com/prismd/prismd/log"
	"github.com/prismd/prismd/s3"
)

// Defaults of the bootstrap config. Every key of Config documents its own.
const (
	defaultDataDir   = "data"
	defaultS3Addr    = "127.0.0.1:8443"
	defaultAdminAddr = "127.0.0.1:9090"
	defaultS3Region  = "us-east-1"
	defaultS3Domain  = "localhost"
	defaultLogLevel  = "info"
)

// Config is the TOML bootstrap config of `prismd serve`. It is decoded
// strictly: an unknown key, a value of the wrong type or an invalid value
// is refused with an error that names the key.
//
// Relative paths (data_dir, master_key_file, region paths) resolve against
// the directory of the config file; without a config file, against the
// working directory.
type Config struct {
	// DataDir holds the log, snapshots, credentials and the generated master
	// key. Default "data".
	DataDir string
	// S3Addr is the S3 listener. Default "127.0.0.1:8443".
	S3Addr string
	// AdminAddr is the management listener (/health, /metrics). Default "127.0.0.1:9090".
	AdminAddr string
	// TLSCertFile and TLSKeyFile (PEM), when both set, make the S3 listener
	// serve HTTPS. Default: plain HTTP.
	TLSCertFile, TLSKeyFile string
	// AdminTLSCertFile and AdminTLSKeyFile (PEM), when both set, make the
	// management listener serve HTTPS. Default: plain HTTP.
	AdminTLSCertFile, AdminTLSKeyFile string
	// AdminHosts are the names, comma-separated, besides localhost and IP
	// addresses, that the management listener answers to (its Host check
	// against DNS rebinding). Default "".
	AdminHosts string
	// MetricsToken, when set, is the bearer token /metrics requires. Default "": open.
	MetricsToken string
	// MetricsBuckets, when > 0, adds the objects and bytes of that many of
	// the largest buckets to /metrics. Default 0.
	MetricsBuckets int
	// S3Region is the region the S3 API reports (GetBucketLocation). Default "us-east-1".
	S3Region string
	// S3Domain enables virtual-hosted-style requests for Host "bucket.<domain>";
	// comma-separated. Default "localhost". "" disables them.
	S3Domain string
	// LogLevel is debug, info, warn or error. Default "info".
	LogLevel string
	// S3ReadIdleTimeout ends an S3 request whose body makes no progress
	// for this long (400 RequestTimeout, nothing stored). Default 20s.
	S3ReadIdleTimeout time.Duration
	// S3WriteIdleTimeout ends an S3 request whose client stops reading the
	// answer for this long. Default 60s.
	S3WriteIdleTimeout time.Duration
	// ShipInterval: the log's new records reach every healthy region at
	// least this often. Default 1s; 0 turns shipping off (tests and
	// benchmarks only: a lost data directory then loses every object).
	ShipInterval time.Duration
	// SnapshotEvery takes a snapshot after this many events (or as many as
	// the state holds records, when that is more). Default 100000.
	SnapshotEvery int
	// SnapshotInterval takes a snapshot this long after the last one when
	// events came since. Default 1h.
	SnapshotInterval time.Duration
	// Retention: history kept on the regions for point-in-time restores.
	// Default 168h.
	Retention time.Duration
	// PurgeDelay keeps deleted and overwritten data this long, so that a
	// point-in-time restore within it finds its bytes. Default 24h; 0
	// purges at once.
	PurgeDelay time.Duration
	// LifecycleDay is the length of a lifecycle "day" (rules' Days, and how
	// often the lifecycle worker runs). Default 24h, counted as AWS does.
	LifecycleDay time.Duration
	// ScrubInterval: the background scrubber walks every object at least
	// this often, checking every shard exists. Default 720h (30 days).
	ScrubInterval time.Duration
	// DeepScrubInterval: and reads and verifies every shard this often.
	// Default 2160h (90 days).
	DeepScrubInterval time.Duration
	// MasterKeyFile holds the 32-byte key that seals secrets in the log (hex,
	// base64 or raw). Default: PRISMD_MASTER_KEY, else <data_dir>/master.key,
	// generated on first start.
	MasterKeyFile string
	// Policy is the default policy of buckets. Default hybrid 2+1, 1 MiB, shuffle.
	Policy plog.Policy
	// SegmentSize is the object bytes per segment. Default 64 MiB.
	SegmentSize int64
	// BlockSize is the data bytes per shard block. Default 256 KiB.
	BlockSize int64
	// Regions are the storage regions, in priority order. Default: three fs
	// regions local-a, local-b, local-c under <data_dir>/regions/{a,b,c}.
	Regions []RegionConfig
	// AccessKeys are client keys besides the root one.
	AccessKeys []AccessKeyConfig

	// defaultRegions records that Regions were derived from DataDir (and must
	// follow a --data-dir override).
	defaultRegions bool
}

// RegionConfig is one [[region]] table: the engine's region spec (its
// keys: name, type, path, endpoint, region, access_key, secret_key,
// path_style, bucket, insecure_skip_verify), and where the secret may come
// from instead.
type RegionConfig struct {
	engine.RegionSpec
	SecretKeyEnv string // s3: the environment variable that held SecretKey
}

// AccessKeyConfig is one [[access_key]] table.
type AccessKeyConfig struct {
	AccessKey    string
	SecretKey    string
	SecretKeyEnv string
	Buckets      []string // empty: none listed (the key uses what it owns or is granted)
	ReadOnly     bool
	// BypassGovernance (bypass_governance) lets the key remove or shorten
	// GOVERNANCE object lock retention with x-amz-bypass-governance-retention.
	BypassGovernance bool
}

// DefaultConfig is the embedded default: what `prismd serve` runs without a
// config file, relative to the working directory.
func DefaultConfig() *Config {
	c := &Config{
		DataDir:            defaultDataDir,
		S3Addr:             defaultS3Addr,
		AdminAddr:          defaultAdminAddr,
		S3Region:           defaultS3Region,
		S3Domain:           defaultS3Domain,
		LogLevel:           defaultLogLevel,
		S3ReadIdleTimeout:  s3.DefaultBodyIdleTimeout,
		S3WriteIdleTimeout: s3.DefaultResponseIdleTimeout,
		ShipInterval:       time.Second,
		SnapshotEvery:      engine.DefaultSnapshotEvery,
		SnapshotInterval:   time.Hour,
		Retention:          168 * time.Hour,
		PurgeDelay:         24 * time.Hour,
		LifecycleDay:       engine.DefaultLifecycleDay,
		ScrubInterval:      engine.DefaultScrubInterval,
		DeepScrubInterval:  engine.DefaultDeepScrubInterval,
		Policy:             engine.DefaultPolicy,
		SegmentSize:        engine.DefaultSegmentSize,
		BlockSize:          engine.DefaultBlockSize,
	}
	c.SetDataDir(defaultDataDir)
	return c
}

// SetDataDir changes the data directory; default regions follow it.
func (c *Config) SetDataDir(dir string) {
	c.DataDir = dir
	if c.defaultRegions || len(c.Regions) == 0 {
		c.Regions = nil
		for _, n := range []string{"a", "b", "c"} {
			c.Regions = append(c.Regions, RegionConfig{RegionSpec: engine.RegionSpec{Name: "local-" + n, Type: "fs", Path: filepath.Join(dir, "regions", n)}})
		}
		c.defaultRegions = true
	}
}

// LoadConfig reads and validates the config file at path. getenv looks up
// secret_key_env variables (os.Getenv in production).
func LoadConfig(path string, getenv func(string) string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return ParseConfig(string(data), filepath.Dir(abs), getenv)
}

// ParseConfig decodes and validates a TOML config; relative paths resolve
// against baseDir.
func ParseConfig(text, baseDir string, getenv func(string) string) (*Config, error) {
	var raw map[string]any
	if _, err := toml.Decode(text, &raw); err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("config: line %d: %s", pe.Position.Line, pe.Message)
		}
		return nil, fmt.Errorf("config: %w", err)
	}
	c := DefaultConfig()
	c.Regions = nil
	c.defaultRegions = false
	d := &decoder{getenv: getenv}
	root := d.table("", raw)
	root.str("data_dir", &c.DataDir)
	root.str("s3_addr", &c.S3Addr)
	root.str("admin_addr", &c.AdminAddr)
	root.str("tls_cert_file", &c.TLSCertFile)
	root.str("tls_key_file", &c.TLSKeyFile)
	root.str("admin_tls_cert_file", &c.AdminTLSCertFile)
	root.str("admin_tls_key_file", &c.AdminTLSKeyFile)
	root.str("admin_hosts", &c.AdminHosts)
	root.str("metrics_token", &c.MetricsToken)
	root.int("metrics_buckets", &c.MetricsBuckets)
	root.str("s3_region", &c.S3Region)
	root.str("s3_domain", &c.S3Domain)
	root.str("log_level", &c.LogLevel)
	root.duration("s3_read_idle_timeout", &c.S3ReadIdleTimeout, false)
	root.duration("s3_write_idle_timeout", &c.S3WriteIdleTimeout, false)
	root.duration("ship_interval", &c.ShipInterval, true)
	root.int("snapshot_every", &c.SnapshotEvery)
	root.duration("snapshot_interval", &c.SnapshotInterval, false)
	root.duration("retention", &c.Retention, false)
	root.duration("purge_delay", &c.PurgeDelay, true)
	root.duration("lifecycle_day", &c.LifecycleDay, false)

	root.duration("scrub_interval", &c.ScrubInterval, false)
	root.duration("deep_scrub_interval", &c.DeepScrubInterval, false)
	root.str("master_key_file", &c.MasterKeyFile)
	root.size("segment_size", &c.SegmentSize)
	root.size("block_size", &c.BlockSize)
	if p := root.sub("policy"); p != nil {
		p.str("mode", &c.Policy.Mode)
		p.int("data_shards", &c.Policy.DataShards)
		p.int("parity_shards", &c.Policy.ParityShards)
		p.size("hybrid_threshold", &c.Policy.HybridThreshold)
		p.str("placement", &c.Policy.Placement)
		p.int("write_quorum", &c.Policy.WriteQuorum)
		p.done()
	}
	for _, t := range root.tables("region") {
		var r RegionConfig
		t.str("name", &r.Name)
		t.str("type", &r.Type)
		t.str("path", &r.Path)
		t.str("endpoint", &r.Endpoint)
		t.str("region", &r.SigningRegion)
		t.str("access_key", &r.AccessKey)
		t.str("secret_key", &r.SecretKey)
		t.str("secret_key_env", &r.SecretKeyEnv)
		t.bool("path_style", &r.PathStyle)
		t.str("bucket", &r.Bucket)
		t.bool("insecure_skip_verify", &r.Insecure)
		t.done()
		c.Regions = append(c.Regions, r)
	}
	for _, t := range root.tables("access_key") {
		var k AccessKeyConfig
		t.str("access_key", &k.AccessKey)
		t.str("secret_key", &k.SecretKey)
		t.str("secret_key_env", &k.SecretKeyEnv)
		t.strings("buckets", &k.Buckets)
		t.bool("read_only", &k.ReadOnly)
		t.bool("bypass_governance", &k.BypassGovernance)
		t.done()
		c.AccessKeys = append(c.AccessKeys, k)
	}
	root.done()
	if len(d.errs) > 0 {
		return nil, errors.Join(d.errs...)
	}
	c.DataDir = resolve(baseDir, c.DataDir)
	c.MasterKeyFile = resolve(baseDir, c.MasterKeyFile)
	c.TLSCertFile = resolve(baseDir, c.TLSCertFile)
	c.TLSKeyFile = resolve(baseDir, c.TLSKeyFile)
	c.AdminTLSCertFile = resolve(baseDir, c.AdminTLSCertFile)
	c.AdminTLSKeyFile = resolve(baseDir, c.AdminTLSKeyFile)
	if len(c.Regions) == 0 {
		c.SetDataDir(c.DataDir)
	}
	for i := range c.Regions {
		c.Regions[i].Path = resolve(baseDir, c.Regions[i].Path)
	}
	if err := c.resolveSecrets(getenv); err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// resolve makes p absolute against base; "" stays "".
func resolve(base, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(base, p)
}

// resolveSecrets reads secret_key_env variables.
func (c *Config) resolveSecrets(getenv func(string) string) error {
	var errs []error
	read := func(key, env string, dst *string) {
		if env == "" {
			return
		}
		if *dst != "" {
			errs = append(errs, fmt.Errorf("config: %s: set either secret_key or secret_key_env, not both", key))
			return
		}
		if *dst = getenv(env); *dst == "" {
			errs = append(errs, fmt.Errorf("config: %s: environment variable %s is not set or empty", key, env))
		}
	}
	for i := range c.Regions {
		read(fmt.Sprintf("region[%d].secret_key_env", i), c.Regions[i].SecretKeyEnv, &c.Regions[i].SecretKey)
	}
	for i := range c.AccessKeys {
		read(fmt.Sprintf("access_key[%d].secret_key_env", i), c.AccessKeys[i].SecretKeyEnv, &c.AccessKeys[i].SecretKey)
	}
	return errors.Join(errs...)
}

var accessKeyRE = regexp.MustCompile(`^[A-Za-z0-9._-]{3,128}$`)

// Validate checks every value; each error names its key.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("config: %s: %s", key, fmt.Sprintf(format, args...)))
	}
	if c.DataDir == "" {
		bad("data_dir", "must not be empty")
	}
	for key, addr := range map[string]string{"s3_addr": c.S3Addr, "admin_addr": c.AdminAddr} {
		if _, _, err := net.SplitHostPort(addr); err != nil {
			bad(key, "%q is not host:port", addr)
		}
	}
	if _, port, _ := net.SplitHostPort(c.S3Addr); c.S3Addr == c.AdminAddr && port != "0" {
		bad("admin_addr", "%q is also s3_addr", c.AdminAddr)
	}
	bothOrNeither := func(prefix, cert, key string) {
		if cert == "" && key != "" {
			bad(prefix+"_cert_file", "missing (%s_key_file is set; give both or neither)", prefix)
		} else if cert != "" && key == "" {
			bad(prefix+"_key_file", "missing (%s_cert_file is set; give both or neither)", prefix)
		}
	}
	bothOrNeither("tls", c.TLSCertFile, c.TLSKeyFile)
	bothOrNeither("admin_tls", c.AdminTLSCertFile, c.AdminTLSKeyFile)
	if c.MetricsBuckets < 0 || c.MetricsBuckets > 100 {
		bad("metrics_buckets", "%d: want 0 to 100", c.MetricsBuckets)
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		bad("log_level", "%v", err)
	}
	if c.S3Region == "" {
		bad("s3_region", "must not be empty")
	}
	if c.SnapshotEvery < 1 {
		bad("snapshot_every", "%d: want 1 or more", c.SnapshotEvery)
	}
	if c.SegmentSize < 1<<20 || c.SegmentSize > 5<<30 {
		bad("segment_size", "%s is not between 1MiB and 5GiB", formatSize(c.SegmentSize))
	}
	if c.BlockSize < 4<<10 || c.BlockSize > 16<<20 {
		bad("block_size", "%s is not between 4KiB and 16MiB", formatSize(c.BlockSize))
	} else if c.SegmentSize%c.BlockSize != 0 && c.SegmentSize > 0 {
		bad("block_size", "%s does not divide segment_size %s", formatSize(c.BlockSize), formatSize(c.SegmentSize))
	}
	c.validatePolicy(bad)
	for i, r := range c.Regions {
		if r.Type == "" {
			bad(fmt.Sprintf("region[%d].type", i), "missing (one of fs, s3)")
		}
	}
	specs := c.regionSpecs()
	for i, r := range c.Regions {
		if specs[i].SecretKey == "" && r.SecretKeyEnv != "" {
			specs[i].SecretKey = "(from " + r.SecretKeyEnv + ")" // its own check says whether the variable is set
		}
	}
	for _, re := range engine.RegionErrors(engine.ValidateRegionSpecs(specs)) {
		errs = append(errs, fmt.Errorf("config: %w", re))
	}
	ids := map[string]int{}
	for i, k := range c.AccessKeys {
		key := fmt.Sprintf("access_key[%d]", i)
		switch {
		case k.AccessKey == "":
			bad(key+".access_key", "missing")
		case !accessKeyRE.MatchString(k.AccessKey):
			bad(key+".access_key", "%q: use 3 to 128 of A-Z a-z 0-9 . _ -", k.AccessKey)
		default:
			if j, dup := ids[k.AccessKey]; dup {
				bad(key+".access_key", "%q is also access_key[%d]", k.AccessKey, j)
			}
			ids[k.AccessKey] = i
		}
		if k.SecretKey == "" && k.SecretKeyEnv == "" {
			bad(key+".secret_key", "missing (or set secret_key_env)")
		} else if k.SecretKey != "" && len(k.SecretKey) < 8 {
			bad(key+".secret_key", "too short: at least 8 characters")
		}
		if k.Buckets != nil && len(k.Buckets) == 0 {
			bad(key+".buckets", "an empty list grants no bucket; leave buckets out to grant every bucket")
		}
		for j, b := range k.Buckets {
			if b == "" || strings.ContainsAny(b, "/ ") {
				bad(fmt.Sprintf("%s.buckets[%d]", key, j), "%q is not a bucket name", b)
			}
		}
	}
	return errors.Join(errs...)
}

// regionSpecs returns the engine's spec of every configured region.
func (c *Config) regionSpecs() []engine.RegionSpec {
	var specs []engine.RegionSpec
	for _, r := range c.Regions {
		specs = append(specs, r.RegionSpec)
	}
	return specs
}

func (c *Config) validatePolicy(bad func(key, format string, args ...any)) {
	p := c.Policy
	switch p.Mode {
	case "replica", "erasure", "hybrid":
	default:
		bad("policy.mode", "%q is not one of replica, erasure, hybrid", p.Mode)
		return
	}
	if p.Placement != "shuffle" && p.Placement != "priority" {
		bad("policy.placement", "%q is not one of shuffle, priority", p.Placement)
	}
	if p.Mode != "replica" && (p.DataShards < 1 || p.DataShards > 32) {
		bad("policy.data_shards", "%d is not between 1 and 32", p.DataShards)
		return
	}
	if p.ParityShards < 0 || p.ParityShards > 16 {
		bad("policy.parity_shards", "%d is not between 0 and 16", p.ParityShards)
		return
	}
	if p.HybridThreshold < 0 {
		bad("policy.hybrid_threshold", "must not be negative")
	}
	n := p.DataShards + p.ParityShards
	what := fmt.Sprintf("data_shards + parity_shards = %d", n)
	if p.Mode == "replica" {
		n = p.ParityShards + 1
		what = fmt.Sprintf("replica mode keeps parity_shards + 1 = %d copies", n)
	}
	if n > len(c.Regions) {
		bad("policy", "%s shards need as many distinct regions, but %d regions are configured", what, len(c.Regions))
	}
	if p.WriteQuorum < 0 || p.WriteQuorum > n {
		bad("policy.write_quorum", "%d is not between 0 (default) and %d", p.WriteQuorum, n)
	} else if p.Mode != "replica" && p.WriteQuorum != 0 && p.WriteQuorum < p.DataShards {
		bad("policy.write_quorum", "%d is below data_shards = %d (a committed object must be readable)", p.WriteQuorum, p.DataShards)
	} else if err := engine.ValidatePolicy(p, len(c.Regions)); err != nil {
		bad("policy", "%v", err)
	}
}

// decoder walks the generic TOML tree, records every key it reads, and
// collects errors that name the key ("region[1].type").
type decoder struct {
	getenv func(string) string
	errs   []error
}

type table struct {
	d    *decoder
	path string
	m    map[string]any
	used map[string]bool
}

func (d *decoder) table(path string, m map[string]any) *table {
	return &table{d: d, path: path, m: m, used: map[string]bool{}}
}

func (t *table) key(k string) string {
	if t.path == "" {
		return k
	}
	return t.path + "." + k
}

func (t *table) fail(k, format string, args ...any) {
	t.d.errs = append(t.d.errs, fmt.Errorf("config: %s: %s", t.key(k), fmt.Sprintf(format, args...)))
}

func (t *table) get(k string) (any, bool) {
	v, ok := t.m[k]
	t.used[k] = true
	return v, ok
}

func (t *table) str(k string, dst *string) {
	if v, ok := t.get(k); ok {
		s, isStr := v.(string)
		if !isStr {
			t.fail(k, "want a string, have %s", tomlType(v))
			return
		}
		*dst = s
	}
}

func (t *table) bool(k string, dst *bool) {
	if v, ok := t.get(k); ok {
		b, isBool := v.(bool)
		if !isBool {
			t.fail(k, "want true or false, have %s", tomlType(v))
			return
		}
		*dst = b
	}
}

func (t *table) int(k string, dst *int) {
	if v, ok := t.get(k); ok {
		n, isInt := v.(int64)
		if !isInt {
			t.fail(k, "want an integer, have %s", tomlType(v))
			return
		}
		*dst = int(n)
	}
}

// duration reads a duration such as "20s" or "168h": positive, or also 0
// when zero is allowed.
func (t *table) duration(k string, dst *time.Duration, zero bool) {
	if v, ok := t.get(k); ok {
		str, isStr := v.(string)
		if !isStr {
			t.fail(k, "want a duration such as \"20s\", have %s", tomlType(v))
			return
		}
		d, err := time.ParseDuration(str)
		if err != nil || d < 0 || d == 0 && !zero {
			t.fail(k, "%q is not a positive duration such as \"20s\"", str)
			return
		}
		*dst = d
	}
}

func (t *table) size(k string, dst *int64) {
	if v, ok := t.get(k); ok {
		switch v := v.(type) {
		case int64:
			*dst = v
		case string:
			n, err := parseSize(v)
			if err != nil {
				t.fail(k, "%v", err)
				return
			}
			*dst = n
		default:
			t.fail(k, "want a size such as \"1MiB\" or a number of bytes, have %s", tomlType(v))
		}
	}
}

func (t *table) strings(k string, dst *[]string) {
	if v, ok := t.get(k); ok {
		arr, isArr := v.([]any)
		if !isArr {
			t.fail(k, "want an array of strings, have %s", tomlType(v))
			return
		}
		out := []string{}
		for i, e := range arr {
			s, isStr := e.(string)
			if !isStr {
				t.fail(fmt.Sprintf("%s[%d]", k, i), "want a string, have %s", tomlType(e))
				return
			}
			out = append(out, s)
		}
		*dst = out
	}
}

func (t *table) sub(k string) *table {
	v, ok := t.get(k)
	if !ok {
		return nil
	}
	m, isMap := v.(map[string]any)
	if !isMap {
		t.fail(k, "want a table ([%s]), have %s", k, tomlType(v))
		return nil
	}
	return t.d.table(t.key(k), m)
}

func (t *table) tables(k string) []*table {
	v, ok := t.get(k)
	if !ok {
		return nil
	}
	var out []*table
	switch v := v.(type) {
	case []map[string]any:
		for i, m := range v {
			out = append(out, t.d.table(fmt.Sprintf("%s[%d]", t.key(k), i), m))
		}
	case []any:
		for i, e := range v {
			m, isMap := e.(map[string]any)
			if !isMap {
				t.fail(fmt.Sprintf("%s[%d]", k, i), "want a table, have %s", tomlType(e))
				continue
			}
			out = append(out, t.d.table(fmt.Sprintf("%s[%d]", t.key(k), i), m))
		}
	default:
		t.fail(k, "want an array of tables ([[%s]]), have %s", k, tomlType(v))
	}
	return out
}

// done reports the keys of t that nothing read.
func (t *table) done() {
	var unknown []string
	for k := range t.m {
		if !t.used[k] {
			unknown = append(unknown, k)
		}
	}
	slices.Sort(unknown)
	for _, k := range unknown {
		t.fail(k, "unknown key")
	}
}

func tomlType(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case map[string]any:
		return "a table"
	case []map[string]any, []any:
		return "an array"
	default:
		return fmt.Sprintf("a %T", v)
	}
}
