package s3

import (
	"context"
	"encoding/xml"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/prismd/prismd/engine"
)

// Object lock: Put/GetObjectLockConfiguration (?object-lock),
// Put/GetObjectRetention (?retention), Put/GetObjectLegalHold
// (?legal-hold), the x-amz-object-lock-* headers of PutObject, CopyObject
// and CreateMultipartUpload, and x-amz-bypass-governance-retention. The
// engine (and, under the log's order, the projections) decides what a
// lock forbids; this file speaks S3.

// lockEngine is what object lock needs of the engine besides Engine. An
// engine without it answers the lock operations NotImplemented.
type lockEngine interface {
	SetObjectLockConfiguration(ctx context.Context, bucket string, c engine.ObjectLockConfig) error
	ObjectLockConfiguration(bucket string) (engine.ObjectLockConfig, error)
	SetObjectRetention(ctx context.Context, bucket, key, versionID string, r engine.Retention, bypass bool) error
	ObjectRetention(bucket, key, versionID string) (engine.Retention, error)
	SetObjectLegalHold(ctx context.Context, bucket, key, versionID string, on bool) error
	ObjectLegalHold(bucket, key, versionID string) (bool, error)
	DeleteObjectVersionBypass(ctx context.Context, bucket, key, versionID string, bypass bool) (engine.DeleteResult, error)
	LockNeedsDigest(bucket string, lock engine.ObjectLock) bool
}

var _ lockEngine = (*engine.Engine)(nil)

func (s *Server) locks() (lockEngine, error) {
	l, ok := s.engine().(lockEngine)
	if !ok {
		return nil, detail(ErrNotImplemented, "This gateway's engine has no object lock.")
	}
	return l, nil
}

// objectLockConfiguration is the body of Put/GetObjectLockConfiguration.
type objectLockConfiguration struct {
	XMLName           xml.Name        `xml:"ObjectLockConfiguration"`
	Xmlns             string          `xml:"xmlns,attr,omitempty"`
	ObjectLockEnabled string          `xml:"ObjectLockEnabled,omitempty"`
	Rule              *objectLockRule `xml:"Rule,omitempty"`
}

type objectLockRule struct {
	DefaultRetention *defaultRetention `xml:"DefaultRetention"`
}

type defaultRetention struct {
	Mode  string `xml:"Mode,omitempty"`
	Days  *int   `xml:"Days,omitempty"`
	Years *int   `xml:"Years,omitempty"`
}

// objectRetention is the body of Put/GetObjectRetention.
type objectRetention struct {
	XMLName         xml.Name `xml:"Retention"`
	Xmlns           string   `xml:"xmlns,attr,omitempty"`
	Mode            string   `xml:"Mode,omitempty"`
	RetainUntilDate string   `xml:"RetainUntilDate,omitempty"`
}

// objectLegalHold is the body of Put/GetObjectLegalHold.
type objectLegalHold struct {
	XMLName xml.Name `xml:"LegalHold"`
	Xmlns   string   `xml:"xmlns,attr,omitempty"`
	Status  string   `xml:"Status"`
}

var errPastDate = detail(ErrInvalidArgument, "The retain until date must be in the future!")

// parseObjectLockConfiguration returns the configuration a
// PutObjectLockConfiguration body asks for.
func parseObjectLockConfiguration(b []byte) (engine.ObjectLockConfig, error) {
	var cfg objectLockConfiguration
	if err := decodeXML(b, &cfg); err != nil {
		return engine.ObjectLockConfig{}, err
	}
	if strings.TrimSpace(cfg.ObjectLockEnabled) != "Enabled" {
		return engine.ObjectLockConfig{}, ErrMalformedXML
	}
	if cfg.Rule == nil {
		return engine.ObjectLockConfig{}, nil
	}
	d := cfg.Rule.DefaultRetention
	if d == nil {
		return engine.ObjectLockConfig{}, ErrMalformedXML
	}
	out := engine.ObjectLockConfig{DefaultMode: strings.TrimSpace(d.Mode)}
	if out.DefaultMode != engine.LockGovernance && out.DefaultMode != engine.LockCompliance {
		return engine.ObjectLockConfig{}, ErrMalformedXML
	}
	if (d.Days == nil) == (d.Years == nil) {
		return engine.ObjectLockConfig{}, ErrMalformedXML
	}
	switch {
	case d.Days != nil && *d.Days <= 0, d.Years != nil && *d.Years <= 0:
		return engine.ObjectLockConfig{}, detail(ErrInvalidArgument, "Default retention period must be a positive integer value.")
	case d.Days != nil && *d.Days > 36500, d.Years != nil && *d.Years > 100:
		return engine.ObjectLockConfig{}, detail(ErrInvalidArgument, "Default retention period is too large.")
	case d.Days != nil:
		out.DefaultDays = *d.Days
	default:
		out.DefaultYears = *d.Years
	}
	return out, nil
}

// parseRetention returns the retention a PutObjectRetention body asks
// for (Mode "" to remove it), as of now.
func parseRetention(b []byte, now time.Time) (engine.Retention, error) {
	var r objectRetention
	if err := decodeXML(b, &r); err != nil {
		return engine.Retention{}, err
	}
	mode, date := strings.TrimSpace(r.Mode), strings.TrimSpace(r.RetainUntilDate)
	if mode == "" && date == "" {
		return engine.Retention{}, nil
	}
	if mode != engine.LockGovernance && mode != engine.LockCompliance || date == "" {
		return engine.Retention{}, ErrMalformedXML
	}
	until, err := time.Parse(time.RFC3339Nano, date)
	if err != nil {
		return engine.Retention{}, ErrMalformedXML
	}
	if !until.After(now) {
		return engine.Retention{}, errPastDate
	}
	return engine.Retention{Mode: mode, Until: until}, nil
}

// parseLegalHold returns whether a PutObjectLegalHold body puts the hold on.
func parseLegalHold(b []byte) (bool, error) {
	var h objectLegalHold
	if err := decodeXML(b, &h); err != nil {
		return false, err
	}
	switch strings.TrimSpace(h.Status) {
	case "ON":
		return true, nil
	case "OFF":
		return false, nil
	}
	return false, ErrMalformedXML
}

// objectLockHeaders returns the lock the x-amz-object-lock-* headers of a
// write ask for.
func objectLockHeaders(h http.Header, now time.Time) (engine.ObjectLock, error) {
	var lock engine.ObjectLock
	mode, date := h.Get("X-Amz-Object-Lock-Mode"), h.Get("X-Amz-Object-Lock-Retain-Until-Date")
	if (mode == "") != (date == "") {
		return lock, detail(ErrInvalidArgument, "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied")
	}
	if mode != "" {
		if mode != engine.LockGovernance && mode != engine.LockCompliance {
			return lock, detail(ErrInvalidArgument, "Unknown wormMode directive.")
		}
		until, err := time.Parse(time.RFC3339Nano, date)
		if err != nil {
			return lock, detail(ErrInvalidArgument, "The retain until date must be provided in ISO 8601 format")
		}
		if !until.After(now) {
			return lock, errPastDate
		}
		lock.Mode, lock.Until = mode, until
	}
	switch hold := h.Get("X-Amz-Object-Lock-Legal-Hold"); hold {
	case "":
	case "ON":
		lock.LegalHold = true
	case "OFF":
	default:
		return lock, detail(ErrInvalidArgument, "Legal Hold must be either of 'ON' or 'OFF'")
	}
	return lock, nil
}

// hasLockHeaders reports whether a request carries x-amz-object-lock-* headers.
func hasLockHeaders(h http.Header) bool {
	return h.Get("X-Amz-Object-Lock-Mode") != "" || h.Get("X-Amz-Object-Lock-Retain-Until-Date") != "" ||
		h.Get("X-Amz-Object-Lock-Legal-Hold") != ""
}

// requireDigest refuses a request without Content-MD5 or an
// x-amz-checksum-* value (header or trailer), as S3 does for the requests
// named by what.
func requireDigest(h http.Header, what string) error {
	err := requireIntegrity(h)
	if err == ErrMissingContentMD5 {
		return detail(ErrInvalidRequest, "Content-MD5 OR x-amz-checksum- HTTP header is required for %s requests", what)
	}
	return err
}

// bypassGovernance reports whether the request asks to bypass GOVERNANCE
// retention (x-amz-bypass-governance-retention: true). Only the root key
// and keys configured with bypass_governance may: anyone else asking is
// AccessDenied. (This is the IAM action s3:BypassGovernanceRetention.)
func bypassGovernance(rq *request) (bool, error) {
	v := strings.TrimSpace(rq.r.Header.Get("X-Amz-Bypass-Governance-Retention"))
	if !strings.EqualFold(v, "true") {
		return false, nil
	}
	if rq.auth == nil || rq.auth.Anonymous || !rq.auth.Key.Root && !rq.auth.Key.BypassGovernance {
		return false, detail(ErrAccessDenied, "Access Denied: this access key may not bypass governance retention.")
	}
	return true, nil
}

// setLockHeaders adds the x-amz-object-lock-* headers of a version to a
// GET or HEAD answer.
func setLockHeaders(h http.Header, info engine.ObjectInfo) {
	if info.LockMode != "" {
		h.Set("x-amz-object-lock-mode", info.LockMode)
		h.Set("x-amz-object-lock-retain-until-date", timeISO(info.LockUntil))
	}
	if info.LegalHold {
		h.Set("x-amz-object-lock-legal-hold", "ON")
	}
}

func handlePutObjectLockConfiguration(s *Server, rq *request) (*response, error) {
	l, err := s.locks()
	if err != nil {
		return nil, err
	}
	if err := requireDigest(rq.r.Header, "Put Object Lock Configuration"); err != nil {
		return nil, err
	}
	b, err := readSmallBody(rq, 64<<10)
	if err != nil {
		return nil, err
	}
	cfg, err := parseObjectLockConfiguration(b)
	if err != nil {
		return nil, err
	}
	if err := l.SetObjectLockConfiguration(rq.ctx(), rq.bucket, cfg); err != nil {
		if errors.Is(err, engine.ErrInvalidBucketState) {
			return nil, detail(ErrInvalidBucketState, "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration")
		}
		return nil, err
	}
	return newResponse(), nil
}

func handleGetObjectLockConfiguration(s *Server, rq *request) (*response, error) {
	l, err := s.locks()
	if err != nil {
		return nil, err
	}
	cfg, err := l.ObjectLockConfiguration(rq.bucket)
	if errors.Is(err, engine.ErrNoObjectLockConfig) {
		return nil, ErrObjectLockConfigurationMissing
	}
	if err != nil {
		return nil, err
	}
	out := objectLockConfiguration{Xmlns: s3NS, ObjectLockEnabled: "Enabled"}
	if cfg.DefaultMode != "" {
		d := &defaultRetention{Mode: cfg.DefaultMode}
		if cfg.DefaultDays > 0 {
			d.Days = &cfg.DefaultDays
		} else {
			d.Years = &cfg.DefaultYears
		}
		out.Rule = &objectLockRule{DefaultRetention: d}
	}
	return xmlResponse(out), nil
}

func handlePutObjectRetention(s *Server, rq *request) (*response, error) {
	l, err := s.locks()
	if err != nil {
		return nil, err
	}
	id, err := versionIDParam(rq.q)
	if err != nil {
		return nil, err
	}
	bypass, err := bypassGovernance(rq)
	if err != nil {
		return nil, err
	}
	if err := requireDigest(rq.r.Header, "Put Object Retention"); err != nil {
		return nil, err
	}
	b, err := readSmallBody(rq, 64<<10)
	if err != nil {
		return nil, err
	}
	r, err := parseRetention(b, s.now())
	if err != nil {
		return nil, err
	}
	if err := l.SetObjectRetention(rq.ctx(), rq.bucket, rq.key, id, r, bypass); err != nil {
		return nil, err
	}
	return newResponse(), nil
}

func handleGetObjectRetention(s *Server, rq *request) (*response, error) {
	l, err := s.locks()
	if err != nil {
		return nil, err
	}
	id, err := versionIDParam(rq.q)
	if err != nil {
		return nil, err
	}
	r, err := l.ObjectRetention(rq.bucket, rq.key, id)
	if err != nil {
		return nil, err
	}
	return xmlResponse(objectRetention{Xmlns: s3NS, Mode: r.Mode, RetainUntilDate: timeISO(r.Until)}), nil
}

func handlePutObjectLegalHold(s *Server, rq *request) (*response, error) {
	l, err := s.locks()
	if err != nil {
		return nil, err
	}
	id, err := versionIDParam(rq.q)
	if err != nil {
		return nil, err
	}
	if err := requireDigest(rq.r.Header, "Put Object Legal Hold"); err != nil {
		return nil, err
	}
	b, err := readSmallBody(rq, 64<<10)
	if err != nil {
		return nil, err
	}
	on, err := parseLegalHold(b)
	if err != nil {
		return nil, err
	}
	if err := l.SetObjectLegalHold(rq.ctx(), rq.bucket, rq.key, id, on); err != nil {
		return nil, err
	}
	return newResponse(), nil
}

func handleGetObjectLegalHold(s *Server, rq *request) (*response, error) {
	l, err := s.locks()
	if err != nil {
		return nil, err
	}
	id, err := versionIDParam(rq.q)
	if err != nil {
		return nil, err
	}
	on, err := l.ObjectLegalHold(rq.bucket, rq.key, id)
	if err != nil {
		return nil, err
	}
	status := "OFF"
	if on {
		status = "ON"
	}
	return xmlResponse(objectLegalHold{Xmlns: s3NS, Status: status}), nil
}

// putLock returns the lock a PutObject asks for, after checking S3's
// rules: Content-MD5 or a checksum when the new version gets a lock
// (asked for, or the bucket's default retention).
func (s *Server) putLock(rq *request) (engine.ObjectLock, error) {
	lock, err := objectLockHeaders(rq.r.Header, s.now())
	if err != nil {
		return lock, err
	}
	l, ok := s.engine().(lockEngine)
	if !ok {
		if hasLockHeaders(rq.r.Header) {
			return lock, notImplementedHeader("x-amz-object-lock-mode")
		}
		return lock, nil
	}
	if l.LockNeedsDigest(rq.bucket, lock) {
		if err := requireDigest(rq.r.Header, "Put Object"); err != nil {
			return lock, detail(ErrInvalidRequest, "Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters")
		}
	}
	return lock, nil
}

// deleteVersion is DeleteObjectVersion honouring
// x-amz-bypass-governance-retention, with object lock's answers.
func (s *Server) deleteVersion(rq *request, key, id string) (engine.DeleteResult, error) {
	bypass, err := bypassGovernance(rq)
	if err != nil {
		return engine.DeleteResult{}, err
	}
	l, ok := s.engine().(lockEngine)
	if !ok {
		return s.engine().DeleteObjectVersion(rq.ctx(), rq.bucket, key, id)
	}
	return l.DeleteObjectVersionBypass(rq.ctx(), rq.bucket, key, id, bypass)
}

// createUpload is CreateUploadWith with the lock the headers ask for.
func (s *Server) createUpload(rq *request, in engine.CreateUploadInput) (engine.UploadInfo, error) {
	lock, err := objectLockHeaders(rq.r.Header, s.now())
	if err != nil {
		return engine.UploadInfo{}, err
	}
	if _, ok := s.engine().(lockEngine); !ok && hasLockHeaders(rq.r.Header) {
		return engine.UploadInfo{}, notImplementedHeader("x-amz-object-lock-mode")
	}
	in.Lock = lock
	return s.engine().CreateUploadWith(rq.ctx(), in)
}

// bucketObjectLockHeader reports whether CreateBucket asks for object
// lock (x-amz-bucket-object-lock-enabled: true).
func bucketObjectLockHeader(h http.Header) (bool, error) {
	v := strings.TrimSpace(h.Get("X-Amz-Bucket-Object-Lock-Enabled"))
	switch strings.ToLower(v) {
	case "":
		return false, nil
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, detail(ErrInvalidArgument, "Invalid x-amz-bucket-object-lock-enabled header: %s", v)
}
