package admin

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prismd/prismd/engine"
	plog "github.com/prismd/prismd/log"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Engine is what the management listener needs of the engine.
type Engine interface {
	// Health reports every region's health, in configured order.
	Health() []engine.RegionHealth
	// Pending counts shards still to write and purges still to do.
	Pending() (shards, purges int)
	// Usage reports, per region, what it stores and still owes.
	Usage() map[string]engine.RegionUsage
	// Regions lists the regions in use; AddRegion and RemoveRegion change them at run time.
	Regions() []engine.RegionInfo
	AddRegion(ctx context.Context, spec engine.RegionSpec) error
	AddRegions(ctx context.Context, specs []engine.RegionSpec) error
	RemoveRegion(ctx context.Context, name string) error
	// Failure says why the engine can no longer write (its log failed), nil while it can.
	Failure() error
	// Shipping reports how far the log has reached each region (nil: not shipped).
	Shipping() []engine.ShipStatus
	// Scrub runs a scrub (the scrub API); ScrubStatus reports the background scrubber.
	Scrub(ctx context.Context, opts engine.ScrubOptions) (engine.ScrubSummary, error)
	ScrubStatus() engine.ScrubStatus

	// The login (login.go, tokens.go): hashes only.
	AdminPasswordHash() string
	SetAdminPassword(ctx context.Context, hash string) error
	AdminTokens() []engine.AdminToken
	LookupAdminToken(id string) (engine.AdminToken, bool)
	CreateAdminToken(ctx context.Context, t engine.AdminToken) error
	RevokeAdminToken(ctx context.Context, id string) error

	// The admin API's resources.
	LastIndex() uint64
	FirstIndex() uint64
	TestRegion(ctx context.Context, spec engine.RegionSpec) (time.Duration, error)
	MeasureThroughput(ctx context.Context, spec engine.RegionSpec, size int64) (engine.Throughput, error)
	DrainRegion(ctx context.Context, name string) (engine.DrainResult, error)
	DefaultPolicy() plog.Policy
	BucketPolicy(bucket string) (*plog.Policy, error)
	SetBucketPolicy(ctx context.Context, bucket string, p plog.Policy) error
	ListBuckets(ctx context.Context) ([]engine.BucketInfo, error)
	CreateBucket(ctx context.Context, name, location string) error
	HeadBucket(ctx context.Context, name string) (engine.BucketInfo, error)
	BucketStats(bucket string, limit int) (engine.BucketStats, error)
	BucketVersioning(ctx context.Context, bucket string) (string, error)
	BucketConfig(bucket, name string) (doc []byte, found bool, err error)
	ListObjects(ctx context.Context, in engine.ListInput) (engine.ListResult, error)
	HeadObject(ctx context.Context, bucket, key string, opts engine.GetOptions) (engine.ObjectInfo, error)
	GetObject(ctx context.Context, bucket, key string, opts engine.GetOptions) (*engine.ObjectReader, error)
	Locate(bucket, key string) ([]engine.ShardLocation, error)
	AccessKeys() []engine.AccessKey
	CreateAccessKey(ctx context.Context, k engine.AccessKey) error
	RevokeAccessKey(ctx context.Context, id string) error
	PendingWork(limit int) []engine.WorkItem
	PurgeWork(limit int) []engine.WorkItem
	ReadLog(from uint64, limit int, fn func(engine.LogRecord)) (uint64, error)
	// LogAdvanced returns a channel closed at the log's next append.
	LogAdvanced() <-chan struct{}
	ExportConfig() (engine.ConfigExport, error)
	ImportConfig(ctx context.Context, in engine.ConfigExport, dryRun bool) ([]engine.ImportChange, error)
}

var _ Engine = (*engine.Engine)(nil)

// Config configures a Server.
type Config struct {
	// Engine is reported on. Required.
	Engine Engine
	// Version is reported by /health and prismd_build_info. Default "dev".
	Version string
	// Logger gets errors of the metrics handler. Default slog.Default().
	Logger *slog.Logger
	// Token is a bearer token every route accepts besides a login (see
	// auth.go): the one `prismd serve` writes to <data_dir>/admin.token.
	// "" accepts none.
	Token string
	// MetricsToken, when set, is the bearer token /metrics requires.
	MetricsToken string
	// BucketMetrics, when > 0, adds the objects and bytes of that many of
	// the largest buckets to /metrics (each scrape walks every object).
	BucketMetrics int
	// Hosts are the names (besides localhost and IP addresses) the Host
	// header may carry.
	Hosts []string
	// SessionTTL is how long a login lasts; default 12h.
	SessionTTL time.Duration
	// MaxLoginFailures wrong passwords from one address lock it out for
	// LoginLockout (doubling each time); defaults 5 and 5 minutes.
	MaxLoginFailures int
	LoginLockout     time.Duration
	// Now returns the current time; default time.Now.
	Now func() time.Time
	// ScrubCheckpoint is the checkpoint file of scrubs the API starts.
	ScrubCheckpoint string
}

// Server is the management HTTP API. It implements http.Handler.
type Server struct {
	cfg      Config
	ready    atomic.Bool
	mux      *http.ServeMux
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	scrubs   scrubs
	sessions sessions
	lockouts lockouts
	argon    sync.Mutex // one password check at a time
	patterns []routeInfo
	started  time.Time
	history  history
}

// New returns a Server that is not ready yet.
func New(cfg Config) *Server {
	if cfg.Version == "" {
		cfg.Version = "dev"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	if cfg.MaxLoginFailures <= 0 {
		cfg.MaxLoginFailures = 5
	}
	if cfg.LoginLockout <= 0 {
		cfg.LoginLockout = 5 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux(), registry: prometheus.NewRegistry(), started: cfg.Now()}
	s.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "prismd_s3_requests_total", Help: "S3 requests served, by method and status code.",
	}, []string{"method", "code"})
	s.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "prismd_s3_request_duration_seconds", Help: "S3 request latency until the response is written, by method.",
		Buckets: prometheus.ExponentialBuckets(0.001, 4, 9),
	}, []string{"method"})
	s.registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "prismd_up", Help: "1 while prismd serves S3 requests (0 while starting, draining, or after its log failed)."}, func() float64 {
			if s.serving() == nil {
				return 1
			}
			return 0
		}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "prismd_build_info", Help: "Always 1; the version is a label.", ConstLabels: prometheus.Labels{"version": cfg.Version}}, func() float64 { return 1 }),
		engineCollector{cfg.Engine},
		scrubCollector{cfg.Engine},
		s.requests, s.duration,
	)
	if cfg.BucketMetrics > 0 {
		s.registry.MustRegister(bucketCollector{cfg.Engine, cfg.BucketMetrics})
	}
	s.routes()
	return s
}

// SetReady switches /health between 200 (serving) and 503 (starting or draining).
func (s *Server) SetReady(ready bool) { s.ready.Store(ready) }

func (s *Server) now() time.Time { return s.cfg.Now() }

// ServeHTTP serves the management listener.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// InstrumentS3 wraps the S3 handler so that its requests are counted and timed.
func (s *Server) InstrumentS3(h http.Handler) http.Handler {
	counted := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.history.requests.Add(1)
		h.ServeHTTP(w, r)
	})
	return promhttp.InstrumentHandlerDuration(s.duration, promhttp.InstrumentHandlerCounter(s.requests, counted))
}

type healthBody struct {
	Status  string        `json:"status"`
	Version string        `json:"version"`
	Error   string        `json:"error,omitempty"` // why prismd does not serve, when it failed
	Action  string        `json:"action,omitempty"`
	Regions []regionState `json:"regions"`
	// Shipping is, per region, how far the log has reached it.
	Shipping []shipState `json:"shipping,omitempty"`
	Pending  struct {
		Shards int `json:"shards"`
		Purges int `json:"purges"`
	} `json:"pending"`
	Scrub scrubState `json:"scrub"`
}

type regionState struct {
	Name          string  `json:"name"`
	Healthy       bool    `json:"healthy"`
	State         string  `json:"state"` // ok, down, write-failing, checking
	LatencyMS     float64 `json:"latency_ms"`
	ErrorRate     float64 `json:"error_rate"`
	WriteError    string  `json:"write_error,omitempty"`
	PendingShards int64   `json:"pending_shards"`
}

type shipState struct {
	Region     string  `json:"region"`
	Shipped    uint64  `json:"shipped_index"`
	Snapshot   uint64  `json:"snapshot_index"`
	LagEvents  uint64  `json:"lag_events"`
	LagSeconds float64 `json:"lag_seconds"`
	Error      string  `json:"error,omitempty"`
}

// failedAction is what the operator does when the log failed.
const failedAction = "The write-ahead log could not be written (often a full disk). Nothing acknowledged was lost: free space or fix the device, then restart prismd."

// serving returns nil when prismd serves S3 requests, else why not.
func (s *Server) serving() error {
	if err := s.cfg.Engine.Failure(); err != nil {
		return err
	}
	if !s.ready.Load() {
		return errNotReady
	}
	return nil
}

var errNotReady = errors.New("not serving: starting or draining")

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	body := healthBody{Status: "serving", Version: s.cfg.Version}
	code := http.StatusOK
	if err := s.serving(); err != nil {
		body.Status, code = "not serving", http.StatusServiceUnavailable
		if !errors.Is(err, errNotReady) {
			body.Status, body.Error, body.Action = "failed", err.Error(), failedAction
		}
	}
	body.Regions = s.regionStates()
	for _, st := range s.cfg.Engine.Shipping() {
		body.Shipping = append(body.Shipping, shipState{Region: st.Region, Shipped: st.Shipped, Snapshot: st.Snapshot,
			LagEvents: st.LagEvents, LagSeconds: st.LagSeconds, Error: st.Error})
	}
	body.Pending.Shards, body.Pending.Purges = s.cfg.Engine.Pending()
	body.Scrub = scrubStateOf(s.cfg.Engine.ScrubStatus())
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	if r.Method != http.MethodHead {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(body)
	}
}

// engineCollector reads the engine's gauges at scrape time.
type engineCollector struct{ e Engine }

var (
	descPendingShards = prometheus.NewDesc("prismd_pending_shards", "Shards of committed objects not yet written to their region.", nil, nil)
	descPendingPurges = prometheus.NewDesc("prismd_pending_purges", "Deletions of stored data (blob and region) not yet done.", nil, nil)
	descHealthy       = prometheus.NewDesc("prismd_region_healthy", "1 if the region's circuit breaker is closed.", []string{"region"}, nil)
	descLatency       = prometheus.NewDesc("prismd_region_latency_seconds", "EWMA of the region's time to first byte.", []string{"region"}, nil)
	descReadRate      = prometheus.NewDesc("prismd_region_read_bytes_per_second", "How fast read bodies flow from the region once started; 0 when not known.", []string{"region"}, nil)
	descErrorRate     = prometheus.NewDesc("prismd_region_error_rate", "EWMA of the region's failed calls, 0..1.", []string{"region"}, nil)
	descRegionShards  = prometheus.NewDesc("prismd_region_shards", "Shards stored on the region.", []string{"region"}, nil)
	descRegionBytes   = prometheus.NewDesc("prismd_region_bytes", "Bytes of shard data stored on the region.", []string{"region"}, nil)
	descRegionPending = prometheus.NewDesc("prismd_region_pending_shards", "Shards still to write or repair on the region.", []string{"region"}, nil)
	descRegionPurges  = prometheus.NewDesc("prismd_region_pending_purges", "Blobs whose data is still to be deleted from the region.", []string{"region"}, nil)
	descShipLagEvents = prometheus.NewDesc("prismd_ship_lag_events", "Durable log events not yet shipped to the region.", []string{"region"}, nil)
	descShipLagSecs   = prometheus.NewDesc("prismd_ship_lag_seconds", "Age of the oldest log event not yet shipped to the region.", []string{"region"}, nil)
	descShipSnapshot  = prometheus.NewDesc("prismd_ship_snapshot_index", "Log index of the newest snapshot shipped to the region.", []string{"region"}, nil)
	descShipFailing   = prometheus.NewDesc("prismd_ship_failing", "1 if the last shipping pass to the region failed.", []string{"region"}, nil)
)

func (c engineCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descPendingShards, descPendingPurges, descHealthy, descLatency, descReadRate, descErrorRate, descRegionShards, descRegionBytes, descRegionPending, descRegionPurges,
		descShipLagEvents, descShipLagSecs, descShipSnapshot, descShipFailing} {
		ch <- d
	}
}

func (c engineCollector) Collect(ch chan<- prometheus.Metric) {
	shards, purges := c.e.Pending()
	ch <- prometheus.MustNewConstMetric(descPendingShards, prometheus.GaugeValue, float64(shards))
	ch <- prometheus.MustNewConstMetric(descPendingPurges, prometheus.GaugeValue, float64(purges))
	for _, h := range c.e.Health() {
		healthy := 0.0
		if h.Healthy {
			healthy = 1
		}
		ch <- prometheus.MustNewConstMetric(descHealthy, prometheus.GaugeValue, healthy, h.Name)
		ch <- prometheus.MustNewConstMetric(descLatency, prometheus.GaugeValue, h.LatencyMS/1000, h.Name)
		ch <- prometheus.MustNewConstMetric(descReadRate, prometheus.GaugeValue, h.ReadMiBps*(1<<20), h.Name)
		ch <- prometheus.MustNewConstMetric(descErrorRate, prometheus.GaugeValue, h.ErrorRate, h.Name)
	}
	for name, u := range c.e.Usage() {
		ch <- prometheus.MustNewConstMetric(descRegionShards, prometheus.GaugeValue, float64(u.Shards), name)
		ch <- prometheus.MustNewConstMetric(descRegionBytes, prometheus.GaugeValue, float64(u.Bytes), name)
		ch <- prometheus.MustNewConstMetric(descRegionPending, prometheus.GaugeValue, float64(u.Pending), name)
		ch <- prometheus.MustNewConstMetric(descRegionPurges, prometheus.GaugeValue, float64(u.Purges), name)
	}
	for _, st := range c.e.Shipping() {
		failing := 0.0
		if st.Error != "" {
			failing = 1
		}
		ch <- prometheus.MustNewConstMetric(descShipLagEvents, prometheus.GaugeValue, float64(st.LagEvents), st.Region)
		ch <- prometheus.MustNewConstMetric(descShipLagSecs, prometheus.GaugeValue, st.LagSeconds, st.Region)
		ch <- prometheus.MustNewConstMetric(descShipSnapshot, prometheus.GaugeValue, float64(st.Snapshot), st.Region)
		ch <- prometheus.MustNewConstMetric(descShipFailing, prometheus.GaugeValue, failing, st.Region)
	}
}

// slogErrorLog adapts a slog.Logger to promhttp's ErrorLog.
type slogErrorLog struct{ l *slog.Logger }

func (l slogErrorLog) Println(v ...any) { l.l.Error("metrics", "error", v) }
