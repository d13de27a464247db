package s3

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"

	"github.com/prismd/prismd/cors"
	"github.com/prismd/prismd/engine"
)

// corsCache keeps parsed CORS configurations by stored document, so that a
// request from a browser parses nothing.
type corsCache struct {
	mu    sync.Mutex
	m     map[string]*cors.Config
	bytes int // of the documents in m
}

// maxCachedCORSBytes bounds the documents the cache holds; past it the
// cache starts again empty.
const maxCachedCORSBytes = 16 << 20

// corsConfig returns the bucket's parsed CORS configuration; found is
// false when it has none. It returns engine.ErrNoSuchBucket when there is
// no bucket.
func (s *Server) corsConfig(bucket string) (cfg *cors.Config, found bool, err error) {
	doc, found, err := s.engine().BucketConfig(bucket, engine.ConfigCORS)
	if err != nil || !found {
		return nil, false, err
	}
	c := &s.corsConfigs
	c.mu.Lock()
	cfg, ok := c.m[string(doc)]
	c.mu.Unlock()
	if ok {
		return cfg, true, nil
	}
	if cfg, err = cors.Parse(doc); err != nil {
		return nil, false, fmt.Errorf("bucket %q: stored CORS configuration: %w", bucket, err)
	}
	c.mu.Lock()
	if c.m == nil || c.bytes+len(doc) > maxCachedCORSBytes {
		c.m, c.bytes = map[string]*cors.Config{}, 0
	}
	if _, ok := c.m[string(doc)]; !ok {
		c.m[string(doc)] = cfg
		c.bytes += len(doc)
	}
	c.mu.Unlock()
	return cfg, true, nil
}

// corsHeaders adds the CORS headers of the bucket's first rule that allows
// origin and the request's method, to an answer (success or error) of an
// S3 request that carries an Origin header.
func (s *Server) corsHeaders(h http.Header, rq *request, origin string) {
	if origin == "" {
		return
	}
	cfg, found, err := s.corsConfig(rq.bucket)
	if err != nil && !errors.Is(err, engine.ErrNoSuchBucket) {
		s.log().Error("s3: CORS configuration", "request_id", rq.id, "bucket", rq.bucket, "err", err)
	}
	if !found {
		return
	}
	if m, ok := cfg.Actual(origin, rq.r.Method); ok {
		m.Apply(h, origin, "")
	}
}

// preflight answers an OPTIONS request (a browser's CORS preflight) from
// the bucket's CORS rules. It is not authenticated: the query (a presigned
// URL's included) is ignored.
func (s *Server) preflight(rq *request) (*response, error) {
	r := rq.r
	if headerSize(r) > s.cfg.MaxHeaderBytes {
		return nil, ErrRequestHeaderTooLarge
	}
	path := r.URL.Path
	if b := s.virtualBucket(r.Host); b != "" {
		path = "/" + b + path
	}
	resourceType := "BUCKET"
	if _, ps, _ := s.router.Lookup(http.MethodGet, path); ps != nil {
		rq.bucket = ps.ByName("bucket")
		if k := ps.ByName("key"); len(k) > 1 {
			rq.key = k[1:]
			resourceType = "OBJECT"
		}
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return nil, detail(ErrBadRequest, "Insufficient information. Origin request header needed.")
	}
	method := "null"
	if v, ok := r.Header["Access-Control-Request-Method"]; ok {
		method = v[0]
	}
	if !corsMethod(method) {
		return nil, detail(ErrBadRequest, "Invalid Access-Control-Request-Method: %s", method)
	}
	forbidden := func(api *APIError) error {
		e := *api
		e.Method, e.ResourceType = method, resourceType
		return &e
	}
	if rq.bucket == "" {
		return nil, forbidden(ErrCORSNoBucket)
	}
	cfg, found, err := s.corsConfig(rq.bucket)
	switch {
	case errors.Is(err, engine.ErrNoSuchBucket):
		return nil, forbidden(ErrCORSNoBucket)
	case err != nil:
		return nil, err
	case !found:
		return nil, forbidden(ErrCORSNotEnabled)
	}
	requested := r.Header.Get("Access-Control-Request-Headers")
	m, ok := cfg.Preflight(origin, method, requested)
	if !ok {
		return nil, forbidden(ErrCORSForbidden)
	}
	resp := newResponse()
	m.Apply(resp.header, origin, requested)
	return resp, nil
}

// corsMethod reports whether m may be a preflight's requested method.
func corsMethod(m string) bool {
	for _, v := range cors.Methods {
		if m == v {
			return true
		}
	}
	return false
}

func handleGetBucketCORS(s *Server, rq *request) (*response, error) {
	doc, found, err := s.engine().BucketConfig(rq.bucket, engine.ConfigCORS)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, ErrNoSuchCORSConfiguration
	}
	resp := newResponse()
	resp.header.Set("Content-Type", "application/xml")
	resp.body = io.NopCloser(bytes.NewReader(doc))
	resp.length = int64(len(doc))
	return resp, nil
}

func handlePutBucketCORS(s *Server, rq *request) (*response, error) {
	if _, err := s.engine().HeadBucket(rq.ctx(), rq.bucket); err != nil {
		return nil, err
	}
	if err := requireIntegrity(rq.r.Header); err != nil {
		return nil, err
	}
	body, err := readSmallBody(rq, cors.MaxSize)
	if err != nil {
		return nil, err
	}
	cfg, err := cors.Parse(body)
	var invalid *cors.InvalidError
	switch {
	case errors.As(err, &invalid):
		return nil, detail(ErrInvalidRequest, "%s", invalid.Message)
	case err != nil:
		return nil, ErrMalformedXML
	}
	if err := s.engine().SetBucketConfig(rq.ctx(), rq.bucket, engine.ConfigCORS, cfg.Marshal()); err != nil {
		return nil, err
	}
	return newResponse(), nil
}

func handleDeleteBucketCORS(s *Server, rq *request) (*response, error) {
	_, found, err := s.engine().BucketConfig(rq.bucket, engine.ConfigCORS)
	if err != nil {
		return nil, err
	}
	if found {
		if err := s.engine().SetBucketConfig(rq.ctx(), rq.bucket, engine.ConfigCORS, nil); err != nil {
			return nil, err
		}
	}
	return statusResponse(http.StatusNoContent), nil
}
