package s3

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	"github.com/julienschmidt/httprouter"

	"github.com/prismd/prismd/engine"
	plog "github.com/prismd/prismd/log"
)

// Engine is what the S3 API needs from the storage engine.
type Engine interface {
	// CreateBucketFor returns engine.ErrBucketExists when the name is taken.
	CreateBucketFor(ctx context.Context, in engine.CreateBucketInput) error
	DeleteBucket(ctx context.Context, name string) error
	HeadBucket(ctx context.Context, name string) (engine.BucketInfo, error)
	ListBuckets(ctx context.Context) ([]engine.BucketInfo, error)
	PutObject(ctx context.Context, in engine.PutInput) (engine.ObjectInfo, error)
	GetObject(ctx context.Context, bucket, key string, opts engine.GetOptions) (*engine.ObjectReader, error)
	HeadObject(ctx context.Context, bucket, key string, opts engine.GetOptions) (engine.ObjectInfo, error)
	// DeleteObject returns nil when the key is absent.
	DeleteObject(ctx context.Context, bucket, key string) error
	// DeleteObjectVersion deletes the latest version (versionID "": an
	// unversioned bucket drops the object, a versioned one writes a delete
	// marker) or one version for good; what does not exist is no error.
	DeleteObjectVersion(ctx context.Context, bucket, key, versionID string) (engine.DeleteResult, error)
	SetBucketVersioning(ctx context.Context, bucket, status string) error
	BucketVersioning(ctx context.Context, bucket string) (string, error)
	ListObjectVersions(ctx context.Context, in engine.ListVersionsInput) (engine.ListVersionsResult, error)
	CopyObject(ctx context.Context, in engine.CopyInput) (engine.ObjectInfo, error)
	ListObjects(ctx context.Context, in engine.ListInput) (engine.ListResult, error)
	CreateUpload(ctx context.Context, bucket, key, contentType string, headers, userMeta map[string]string, checksum ...engine.UploadChecksum) (engine.UploadInfo, error)
	UploadPart(ctx context.Context, uploadID string, number int, in engine.PutInput) (engine.PartInfo, error)
	PartChecksum(bucket, key, uploadID string) (string, error)
	UploadPartCopy(ctx context.Context, uploadID string, number int, bucket, key, srcBucket, srcKey, srcVersionID string, srcCond engine.Conditions, rng *engine.Range) (engine.PartInfo, error)
	CompleteUpload(ctx context.Context, bucket, key, uploadID string, parts []engine.CompletePart, cond engine.Conditions) (engine.ObjectInfo, error)
	AbortUpload(ctx context.Context, bucket, key, uploadID string) error
	ListParts(ctx context.Context, bucket, key, uploadID string, marker, max int) (engine.ListPartsResult, error)
	ListUploads(ctx context.Context, in engine.ListUploadsInput) (engine.ListUploadsResult, error)
	// LookupAccessKey returns engine.ErrNoSuchAccessKey when the key is unknown.
	LookupAccessKey(accessKey string) (engine.AccessKey, error)
	// RootAccessKey returns the id of the root key.
	RootAccessKey() string

	// BucketAccess returns engine.ErrNoSuchBucket when there is no bucket.
	BucketAccess(bucket string) (engine.BucketAccess, error)
	SetBucketACL(ctx context.Context, bucket string, grants []plog.Grant) error
	// SetBucketAccessPolicy deletes the policy when policy is "".
	SetBucketAccessPolicy(ctx context.Context, bucket, policy string) error
	SetPublicAccessBlock(ctx context.Context, bucket string, b *plog.PublicAccessBlock) error
	SetOwnershipControls(ctx context.Context, bucket, ownership string) error
	// ObjectACL returns false when the object has no ACL of its own, and
	// engine.ErrNoSuchKey when there is no object.
	ObjectACL(bucket, key string) ([]plog.Grant, bool, error)
	SetObjectACL(ctx context.Context, bucket, key string, grants []plog.Grant) error

	// CreateUploadWith is CreateUpload with the object's tags.
	CreateUploadWith(ctx context.Context, in engine.CreateUploadInput) (engine.UploadInfo, error)
	// SetObjectTags replaces a version's tags (the latest for ""); the
	// info describes the version, or the delete marker an error is about.
	SetObjectTags(ctx context.Context, bucket, key, versionID string, tags map[string]string) (engine.ObjectInfo, error)
	// SetBucketConfig stores (doc empty: removes) a bucket configuration
	// document; BucketConfig reads it.
	SetBucketConfig(ctx context.Context, bucket, name string, doc []byte) error
	BucketConfig(bucket, name string) (doc []byte, found bool, err error)
}

// Defaults of Config's idle timeouts.
const (
	DefaultBodyIdleTimeout     = 20 * time.Second
	DefaultResponseIdleTimeout = 60 * time.Second
)

// Config configures a Server. Zero values take the documented defaults.
type Config struct {
	// Engine serves every request. Required.
	Engine Engine
	// Region is reported by GetBucketLocation and used for new buckets
	// without a LocationConstraint. Default "us-east-1". Signatures are
	// accepted for any region in the credential scope.
	Region string
	// Logger gets one debug line per request and every internal error.
	// Default slog.Default().
	Logger *slog.Logger
	// MaxHeaderBytes bounds the request line plus headers; larger requests
	// get 400 RequestHeaderSectionTooLarge. Default 16 KiB. Set
	// http.Server.MaxHeaderBytes to at least this value.
	MaxHeaderBytes int
	// Now is the clock for signature checks. Default time.Now.
	Now func() time.Time
	// BodyIdleTimeout ends a request whose body makes no progress for this
	// long: every Read of the body must return within it, so a client that
	// sends a few bytes and stalls gets 400 RequestTimeout (as S3 answers
	// after about 20 s of silence), the engine's read fails and nothing is
	// committed. Default 20s; negative disables. It sets the connection's
	// read deadline through http.ResponseController, which the
	// ResponseWriter (and any wrapper around it, through Unwrap) must
	// support; it replaces http.Server.ReadTimeout for S3 bodies.
	BodyIdleTimeout time.Duration
	// ResponseIdleTimeout ends a request whose answer the client does not
	// read: a write that makes no progress for this long fails and the
	// connection is closed. Default 60s; negative disables. Like
	// BodyIdleTimeout it works through http.ResponseController, and it
	// replaces http.Server.WriteTimeout.
	ResponseIdleTimeout time.Duration
	// Domain enables virtual-hosted-style requests: Host "bucket.Domain"
	// (any port) addresses bucket. Several domains may be given, separated
	// by commas (e.g. "s3.example.com,localhost"). Default: path style only.
	Domain string
}

// Server is the S3 HTTP API. It implements http.Handler.
type Server struct {
	cfg     Config
	domains []string
	router  *httprouter.Router
	routes  map[routeKey]route
	// policies caches parsed bucket policies.
	policies policyCache
	// corsConfigs caches parsed CORS configurations.
	corsConfigs corsCache
}

// New returns a Server for cfg.
func New(cfg Config) *Server {
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxHeaderBytes <= 0 {
		cfg.MaxHeaderBytes = 16 << 10
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.BodyIdleTimeout == 0 {
		cfg.BodyIdleTimeout = DefaultBodyIdleTimeout
	}
	if cfg.ResponseIdleTimeout == 0 {
		cfg.ResponseIdleTimeout = DefaultResponseIdleTimeout
	}
	s := &Server{cfg: cfg, routes: map[routeKey]route{}}
	for _, d := range strings.Split(cfg.Domain, ",") {
		if d = strings.ToLower(strings.TrimSpace(d)); d != "" {
			s.domains = append(s.domains, d)
		}
	}
	s.router = httprouter.New()
	s.router.RedirectTrailingSlash = false
	s.router.RedirectFixedPath = false
	s.router.HandleMethodNotAllowed = false
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPut, http.MethodPost, http.MethodDelete} {
		s.router.Handle(m, "/", levelHandle(levelService))
		s.router.Handle(m, "/:bucket", levelHandle(levelBucket))
		s.router.Handle(m, "/:bucket/*key", levelHandle(levelObject))
	}
	for _, rt := range routeTable {
		s.routes[routeKey{rt.method, rt.level, rt.sub}] = rt
	}
	return s
}

func (s *Server) now() time.Time    { return s.cfg.Now() }
func (s *Server) log() *slog.Logger { return s.cfg.Logger }
func (s *Server) region() string    { return s.cfg.Region }
func (s *Server) engine() Engine    { return s.cfg.Engine }

// level is what a path addresses.
type level int

const (
	levelService level = iota // "/"
	levelBucket               // "/bucket"
	levelObject               // "/bucket/key"
)

// levelHandle is the httprouter handle of a path shape. The router is used
// only through Lookup (to split bucket and key), so it is never called.
func levelHandle(level) httprouter.Handle {
	return func(http.ResponseWriter, *http.Request, httprouter.Params) {}
}

// routeKey selects an operation: method, level and the query sub-resource.
type routeKey struct {
	method string
	level  level
	sub    string
}

// handlerFunc serves one operation: it returns a response or an error, and
// the adapter writes either.
type handlerFunc func(s *Server, rq *request) (*response, error)

type route struct {
	method string
	level  level
	sub    string
	write  bool
	action string // the IAM action name policies use
	h      handlerFunc
}

// routeTable is the allow-list of operations, each with the IAM action
// name that bucket policies and ACLs know it by (one table, as AWS
// documents it; DeleteObjects is checked key by key as s3:DeleteObject;
// the object tagging operations on a versionId are authorized as their
// Version variants, s3:GetObjectVersionTagging…: requestAction). A request whose method,
// level and sub-resource are not listed is answered NotImplemented (known
// S3 sub-resource) or MethodNotAllowed.
var routeTable = []route{
	{"GET", levelService, "", false, "s3:ListAllMyBuckets", handleListBuckets},

	{"GET", levelBucket, "", false, "s3:ListBucket", handleListObjects},
	{"HEAD", levelBucket, "", false, "s3:ListBucket", handleHeadBucket},
	{"PUT", levelBucket, "", true, "s3:CreateBucket", handleCreateBucket},
	{"DELETE", levelBucket, "", true, "s3:DeleteBucket", handleDeleteBucket},
	{"GET", levelBucket, "location", false, "s3:GetBucketLocation", handleGetBucketLocation},
	{"GET", levelBucket, "versioning", false, "s3:GetBucketVersioning", handleGetBucketVersioning},
	{"PUT", levelBucket, "versioning", true, "s3:PutBucketVersioning", handlePutBucketVersioning},
	{"GET", levelBucket, "versions", false, "s3:ListBucketVersions", handleListObjectVersions},
	{"GET", levelBucket, "acl", false, "s3:GetBucketAcl", handleGetBucketACL},
	{"PUT", levelBucket, "acl", true, "s3:PutBucketAcl", handlePutBucketACL},
	{"GET", levelBucket, "uploads", false, "s3:ListBucketMultipartUploads", handleListUploads},
	{"POST", levelBucket, "delete", true, "s3:DeleteObject", handleDeleteObjects},
	{"GET", levelBucket, "policy", false, "s3:GetBucketPolicy", handleGetBucketPolicy},
	{"PUT", levelBucket, "policy", true, "s3:PutBucketPolicy", handlePutBucketPolicy},
	{"DELETE", levelBucket, "policy", true, "s3:DeleteBucketPolicy", handleDeleteBucketPolicy},
	{"GET", levelBucket, "policyStatus", false, "s3:GetBucketPolicyStatus", handleGetBucketPolicyStatus},
	{"GET", levelBucket, "publicAccessBlock", false, "s3:GetBucketPublicAccessBlock", handleGetPublicAccessBlock},
	{"PUT", levelBucket, "publicAccessBlock", true, "s3:PutBucketPublicAccessBlock", handlePutPublicAccessBlock},
	{"DELETE", levelBucket, "publicAccessBlock", true, "s3:PutBucketPublicAccessBlock", handleDeletePublicAccessBlock},
	{"GET", levelBucket, "ownershipControls", false, "s3:GetBucketOwnershipControls", handleGetOwnershipControls},
	{"PUT", levelBucket, "ownershipControls", true, "s3:PutBucketOwnershipControls", handlePutOwnershipControls},
	{"DELETE", levelBucket, "ownershipControls", true, "s3:PutBucketOwnershipControls", handleDeleteOwnershipControls},
	{"GET", levelBucket, "cors", false, "s3:GetBucketCORS", handleGetBucketCORS},
	{"PUT", levelBucket, "cors", true, "s3:PutBucketCORS", handlePutBucketCORS},
	{"DELETE", levelBucket, "cors", true, "s3:PutBucketCORS", handleDeleteBucketCORS},
	{"GET", levelBucket, "tagging", false, "s3:GetBucketTagging", handleGetBucketTagging},
	{"PUT", levelBucket, "tagging", true, "s3:PutBucketTagging", handlePutBucketTagging},
	{"DELETE", levelBucket, "tagging", true, "s3:PutBucketTagging", handleDeleteBucketTagging},
	{"GET", levelBucket, "lifecycle", false, "s3:GetLifecycleConfiguration", handleGetBucketLifecycle},
	{"PUT", levelBucket, "lifecycle", true, "s3:PutLifecycleConfiguration", handlePutBucketLifecycle},
	{"DELETE", levelBucket, "lifecycle", true, "s3:PutLifecycleConfiguration", handleDeleteBucketLifecycle},
	{"GET", levelBucket, "website", false, "s3:GetBucketWebsite", bucketNotFoundAnswer(ErrNoSuchWebsiteConfiguration)},
	{"GET", levelBucket, "encryption", false, "s3:GetEncryptionConfiguration", bucketNotFoundAnswer(ErrNoEncryptionConfiguration)},
	// POST Object: the handler authorizes, once the form named the key and the signer.
	{"POST", levelBucket, "", true, "s3:PutObject", handlePostObject},
	{"GET", levelBucket, "object-lock", false, "s3:GetBucketObjectLockConfiguration", handleGetObjectLockConfiguration},
	{"PUT", levelBucket, "object-lock", true, "s3:PutBucketObjectLockConfiguration", handlePutObjectLockConfiguration},

	{"GET", levelObject, "", false, "s3:GetObject", handleGetObject},
	{"HEAD", levelObject, "", false, "s3:GetObject", handleHeadObject},
	{"PUT", levelObject, "", true, "s3:PutObject", handlePutOrCopyObject},
	{"DELETE", levelObject, "", true, "s3:DeleteObject", handleDeleteObject},
	{"GET", levelObject, "acl", false, "s3:GetObjectAcl", handleGetObjectACL},
	{"PUT", levelObject, "acl", true, "s3:PutObjectAcl", handlePutObjectACL},
	{"GET", levelObject, "tagging", false, "s3:GetObjectTagging", handleGetObjectTagging},
	{"PUT", levelObject, "tagging", true, "s3:PutObjectTagging", handlePutObjectTagging},
	{"DELETE", levelObject, "tagging", true, "s3:DeleteObjectTagging", handleDeleteObjectTagging},
	{"GET", levelObject, "attributes", false, "s3:GetObjectAttributes", handleGetObjectAttributes},
	{"GET", levelObject, "retention", false, "s3:GetObjectRetention", handleGetObjectRetention},
	{"PUT", levelObject, "retention", true, "s3:PutObjectRetention", handlePutObjectRetention},
	{"GET", levelObject, "legal-hold", false, "s3:GetObjectLegalHold", handleGetObjectLegalHold},
	{"PUT", levelObject, "legal-hold", true, "s3:PutObjectLegalHold", handlePutObjectLegalHold},
	{"POST", levelObject, "uploads", true, "s3:PutObject", handleCreateUpload},
	{"PUT", levelObject, "uploadId", true, "s3:PutObject", handleUploadPart},
	{"POST", levelObject, "uploadId", true, "s3:PutObject", handleCompleteUpload},
	{"DELETE", levelObject, "uploadId", true, "s3:AbortMultipartUpload", handleAbortUpload},
	{"GET", levelObject, "uploadId", false, "s3:ListMultipartUploadParts", handleListParts},
}

// subResources are the query parameters that select an S3 operation other
// than the plain one. Any of them not in routeTable is NotImplemented.
var subResources = map[string]bool{
	"accelerate": true, "acl": true, "analytics": true, "attributes": true, "cors": true,
	"delete": true, "encryption": true, "intelligent-tiering": true, "inventory": true,
	"legal-hold": true, "lifecycle": true, "location": true, "logging": true,
	"metadataConfiguration": true, "metadataTable": true, "metrics": true,
	"notification": true, "object-lock": true, "ownershipControls": true, "policy": true,
	"policyStatus": true, "publicAccessBlock": true, "replication": true,
	"requestPayment": true, "restore": true, "retention": true, "select": true,
	"session": true, "tagging": true, "torrent": true, "uploadId": true, "uploads": true,
	"versioning": true, "versions": true, "website": true, "renameObject": true,
	"abac": true, "inventoryConfiguration": true,
}

// request is one request as the handlers see it.
type request struct {
	r      *http.Request
	id     string
	bucket string
	key    string
	q      url.Values
	auth   *authResult
	route  route
	// body is set by handlers that read one; the adapter prefers its error.
	body *payload
	// bucketState is the state of the request's bucket its authorization
	// read (nil when it read none), for the handler not to read it again.
	bucketState *bucketState
}

func (rq *request) ctx() context.Context { return rq.r.Context() }

// resource is the S3 resource named in error responses.
func (rq *request) resource() string {
	if rq.bucket == "" {
		return "/"
	}
	if rq.key == "" {
		return "/" + rq.bucket
	}
	return "/" + rq.bucket + "/" + rq.key
}

// ServeHTTP serves one S3 request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w}
	defer s.watchIdle(sw, r)()
	rq := &request{r: r, id: newRequestID()}
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log().Error("s3: panic", "request_id", rq.id, "method", r.Method, "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
			if !sw.wroteHeader {
				s.writeError(sw, rq, ErrInternal)
			}
		}
		s.log().Debug("s3 request", "request_id", rq.id, "method", r.Method, "path", r.URL.Path,
			"query", redactQuery(r.URL.RawQuery), "status", sw.statusCode(), "bytes", sw.bytes, "duration", time.Since(start))
	}()
	if r.Method == http.MethodOptions {
		resp, err := s.preflight(rq)
		s.writeResponse(sw, rq, resp, err)
		return
	}
	resp, err := s.serve(rq)
	if o := r.Header["Origin"]; len(o) > 0 && rq.bucket != "" {
		s.corsHeaders(sw.Header(), rq, o[0])
	}
	s.writeResponse(sw, rq, resp, err)
}

// headerSize approximates the size of the request line and headers.
func headerSize(r *http.Request) int {
	n := len(r.Method) + len(r.RequestURI) + len(r.Host) + 16
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	return n
}

// serve routes, authenticates, authorizes and runs one request.
func (s *Server) serve(rq *request) (*response, error) {
	r := rq.r
	if headerSize(r) > s.cfg.MaxHeaderBytes {
		return nil, ErrRequestHeaderTooLarge
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, detail(ErrInvalidArgument, "The query string is malformed.")
	}
	rq.q = q
	path := r.URL.Path
	if b := s.virtualBucket(r.Host); b != "" {
		path = "/" + b + path
	}
	handle, ps, _ := s.router.Lookup(r.Method, path)
	if handle == nil {
		if path == "" || path[0] != '/' {
			return nil, detail(ErrInvalidRequest, "The request path is not valid.")
		}
		return nil, ErrMethodNotAllowed
	}
	lvl := levelService
	if b := ps.ByName("bucket"); b != "" {
		lvl = levelBucket
		rq.bucket = b
		if k := ps.ByName("key"); len(k) > 1 {
			lvl = levelObject
			rq.key = k[1:]
		}
	}
	sub, err := subResource(q)
	if err != nil {
		return nil, err
	}
	rt, ok := s.routes[routeKey{r.Method, lvl, sub}]
	if !ok {
		if sub != "" {
			return nil, detail(ErrNotImplemented, "The %s sub-resource is not implemented for %s.", sub, r.Method)
		}
		return nil, ErrMethodNotAllowed
	}
	auth, err := s.authenticate(r, q)
	if err != nil {
		return nil, err
	}
	rq.auth = auth
	rq.route = rt
	if lvl == levelObject {
		if err := validateKey(rq.key); err != nil {
			return nil, err
		}
	}
	if err := s.authorize(rq); err != nil {
		return nil, err
	}
	if rt.write {
		if err := checkUnsupportedHeaders(r.Header); err != nil {
			return nil, err
		}
	}
	resp, err := rt.h(s, rq)
	return resp, s.hideMissingKey(rq, err)
}

// subResource returns the one operation-selecting query parameter, or "".
func subResource(q url.Values) (string, error) {
	sub := ""
	for k := range q {
		if !subResources[k] {
			continue
		}
		if sub != "" {
			return "", detail(ErrInvalidRequest, "Conflicting sub-resources %s and %s.", sub, k)
		}
		sub = k
	}
	return sub, nil
}

// virtualBucket returns the bucket of a virtual-hosted-style Host, or "".
func (s *Server) virtualBucket(host string) string {
	if len(s.domains) == 0 {
		return ""
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(host)
	for _, d := range s.domains {
		if b, ok := strings.CutSuffix(host, "."+d); ok && b != "" {
			return b
		}
	}
	return ""
}

// authenticate verifies the request's signature; a request without one is
// anonymous, and authorize decides what it may do.
func (s *Server) authenticate(r *http.Request, q url.Values) (*authResult, error) {
	authz := r.Header.Get("Authorization")
	presigned := q.Has("X-Amz-Algorithm") || q.Has("X-Amz-Signature") || q.Has("X-Amz-Credential")
	switch {
	case authz != "" && presigned:
		return nil, ErrMultipleAuth
	case authz != "":
		return s.verifyHeaderAuth(r, authz)
	case presigned:
		return s.verifyPresigned(r, q)
	case q.Has("AWSAccessKeyId") || q.Has("Signature"):
		return nil, ErrUnsupportedSignature
	}
	return anonymousAuth(r)
}

func newRequestID() string {
	var b [8]byte
	rand.Read(b[:])
	return strings.ToUpper(hex.EncodeToString(b[:]))
}
