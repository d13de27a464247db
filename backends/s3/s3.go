package s3

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/prismd/prismd/backends"
)

var _ backends.Backend = (*Backend)(nil)

// Config describes one S3-compatible region.
type Config struct {
	// Name identifies the region in errors. Required.
	Name string
	// Endpoint is the server's URL, e.g. "https://s3.wasabisys.com" or
	// "http://127.0.0.1:9000"; without a scheme https is assumed. Required.
	Endpoint string
	// Region is the signing region. Default "us-east-1".
	Region string
	// AccessKey and SecretKey are static credentials. Required.
	AccessKey, SecretKey string
	// PathStyle addresses buckets as <endpoint>/<bucket> instead of
	// <bucket>.<host>. Default false (virtual-hosted style).
	PathStyle bool
	// InsecureSkipVerify disables TLS certificate checks. Default false.
	InsecureSkipVerify bool
	// MaxConns caps connections to the endpoint and sizes the idle pool;
	// requests beyond it wait for a connection. Default 128.
	MaxConns int
	// Timeout bounds each call without a body stream, the wait for response
	// headers, and any stall of a connection (no data for Timeout).
	// Default 30s.
	Timeout time.Duration
	// Bucket, when set, turns on prefix mode: every backend bucket is a
	// prefix "<bucket>/" inside this one S3 bucket. Default "" (off).
	Bucket string
}

const (
	defaultRegion   = "us-east-1"
	defaultMaxConns = 128
	defaultTimeout  = 30 * time.Second
	connectTimeout  = 2 * time.Second
	maxAttempts     = 3
	maxBackoff      = 500 * time.Millisecond
	deleteBatch     = 1000
)

// Backend is one S3-compatible region.
type Backend struct {
	cfg    Config
	client *s3.Client
	lean   *lean // Put, Get and Stat (see lean.go)

	// ensured records that Config.Bucket exists (prefix mode).
	ensureMu sync.Mutex
	ensured  bool
}

// New returns a Backend for cfg. It makes no request; a region that is down
// at start is usable once it comes back.
func New(ctx context.Context, cfg Config) (*Backend, error) {
	if cfg.Name == "" || cfg.Endpoint == "" || cfg.AccessKey == "" || cfg.SecretKey == "" {
		return nil, errors.New("s3: Config needs Name, Endpoint, AccessKey and SecretKey")
	}
	if strings.Contains(cfg.Bucket, "/") {
		return nil, fmt.Errorf("s3 %s: Config.Bucket %q contains '/'", cfg.Name, cfg.Bucket)
	}
	if !strings.Contains(cfg.Endpoint, "://") {
		cfg.Endpoint = "https://" + cfg.Endpoint
	}
	if cfg.Region == "" {
		cfg.Region = defaultRegion
	}
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = defaultMaxConns
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = defaultTimeout
	}
	httpClient, err := newHTTPClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("s3 %s: %w", cfg.Name, err)
	}
	retryer := retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = maxAttempts
		o.MaxBackoff = maxBackoff
		o.RateLimiter = ratelimit.None
	})
	client := s3.New(s3.Options{
		Region:       cfg.Region,
		BaseEndpoint: aws.String(cfg.Endpoint),
		UsePathStyle: cfg.PathStyle,
		Credentials:  credentials.NewStaticCredentialsProvider(cfg.AccessKey, cfg.SecretKey, ""),
		HTTPClient:   httpClient,
		Retryer:      retryer,
		// Checksums only where the API demands them (DeleteObjects): a
		// checksum on PutObject would need a seekable body or a trailer.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
		// No "Expect: 100-continue": waiting for the 100 costs every large
		// shard PUT a round trip to its region before the first byte (the
		// most of its time over a WAN), to spare a body that a region
		// refusing the request would not read; the gateway's requests are
		// refused rarely, and a refusal still ends the Put with its error.
		ContinueHeaderThresholdBytes: -1,
	})
	_ = ctx // New makes no request; ctx is kept for API stability.
	return &Backend{cfg: cfg, client: client, lean: newLean(cfg, httpClient, retryer)}, nil
}

// newHTTPClient builds the SDK's BuildableClient: pooled for fan-out,
// failing fast on dead endpoints.
func newHTTPClient(cfg Config) (*awshttp.BuildableClient, error) {
	var roots *x509.CertPool
	if bundle := os.Getenv("AWS_CA_BUNDLE"); bundle != "" && strings.HasPrefix(cfg.Endpoint, "https://") {
		pem, err := os.ReadFile(bundle)
		if err != nil {
			return nil, fmt.Errorf("AWS_CA_BUNDLE: %w", err)
		}
		roots, err = x509.SystemCertPool()
		if err != nil {
			roots = x509.NewCertPool()
		}
		if !roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("AWS_CA_BUNDLE %s: no certificates", bundle)
		}
	}
	dialer := &net.Dialer{Timeout: min(connectTimeout, cfg.Timeout), KeepAlive: 30 * time.Second}
	return awshttp.NewBuildableClient().
		WithTransportOptions(func(t *http.Transport) {
			t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
				c, err := dialer.DialContext(ctx, network, addr)
				if err != nil {
					return nil, err
				}
				if tc, ok := c.(*net.TCPConn); ok {
					// Close with RST, not FIN: a Put aborted mid-body must
					// look like an error to the server, never like a body
					// that ended (some servers store what they got).
					_ = tc.SetLinger(0)
				}
				return &regionConn{Conn: c, timeout: cfg.Timeout}, nil
			}
			t.MaxIdleConns = cfg.MaxConns
			t.MaxIdleConnsPerHost = cfg.MaxConns
			t.MaxConnsPerHost = cfg.MaxConns
			// Room for a small PUT's headers and body in one write, and
			// a small GET's response in one read.
			t.WriteBufferSize = 64 << 10
			t.ReadBufferSize = 64 << 10
			t.IdleConnTimeout = 90 * time.Second
			t.TLSHandshakeTimeout = min(connectTimeout*2, cfg.Timeout)
			t.ResponseHeaderTimeout = cfg.Timeout
			if t.TLSClientConfig == nil {
				t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
			}
			t.TLSClientConfig.InsecureSkipVerify = cfg.InsecureSkipVerify
			if roots != nil {
				t.TLSClientConfig.RootCAs = roots
			}
		}).
		// The read timeout is regionConn's (Config.Timeout); 0 here keeps
		// the SDK from wrapping connections in its own, which would hide
		// regionConn.ReadFrom from net/http.
		WithReadTimeout(0), nil
}

// Name returns the region's name.
func (b *Backend) Name() string { return b.cfg.Name }

// ImplicitBuckets reports whether the backend is in prefix mode, where
// buckets exist without CreateBucket (see backendtest.ImplicitBuckets).
func (b *Backend) ImplicitBuckets() bool { return b.cfg.Bucket != "" }

// location maps a backend bucket and key to the S3 bucket and key.
func (b *Backend) location(bucket, key string) (string, string, error) {
	if bucket == "" {
		return "", "", fmt.Errorf("empty bucket name: %w", backends.ErrInvalidKey)
	}
	if b.cfg.Bucket == "" {
		return bucket, key, nil
	}
	if strings.Contains(bucket, "/") {
		return "", "", fmt.Errorf("bucket %q contains '/' (prefix mode): %w", bucket, backends.ErrInvalidKey)
	}
	return b.cfg.Bucket, bucket + "/" + key, nil
}

func (b *Backend) objectLocation(bucket, key string) (string, string, error) {
	if key == "" {
		return "", "", fmt.Errorf("empty key: %w", backends.ErrInvalidKey)
	}
	return b.location(bucket, key)
}

// callCtx bounds a call that has no body stream by Config.Timeout.
func (b *Backend) callCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, b.cfg.Timeout)
}
