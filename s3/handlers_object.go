package s3

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/prismd/prismd/engine"
)

const (
	maxKeyLength     = 1024
	maxUserMetaBytes = 2 << 10
	maxDeleteObjects = 1000
	maxDeleteBody    = 8 << 20
	deleteWorkers    = 16
)

var noGetOptions = engine.GetOptions{}

// storedHeaders are the standard headers kept with an object and returned
// on GET and HEAD.
var storedHeaders = []string{"Cache-Control", "Content-Disposition", "Content-Encoding", "Content-Language", "Expires"}

// validateKey applies the gateway's key rules: at most 1024 bytes of UTF-8,
// no NUL and no ".." path segment.
func validateKey(key string) error {
	if len(key) > maxKeyLength {
		return ErrKeyTooLong
	}
	if key == "" || !utf8.ValidString(key) || strings.IndexByte(key, 0) >= 0 {
		return ErrInvalidKey
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == ".." {
			return ErrInvalidKey
		}
	}
	return nil
}

// objectMeta extracts the content type, stored headers and user metadata
// of a PUT, CopyObject (REPLACE) or CreateMultipartUpload.
func objectMeta(h http.Header) (string, map[string]string, map[string]string, error) {
	headers := map[string]string{}
	for _, name := range storedHeaders {
		v := h.Get(name)
		if name == "Content-Encoding" {
			v = stripAWSChunked(v)
		}
		if v != "" {
			headers[name] = v
		}
	}
	meta := map[string]string{}
	size := 0
	for k, vs := range h {
		name, ok := strings.CutPrefix(strings.ToLower(k), "x-amz-meta-")
		if !ok {
			continue
		}
		v := strings.Join(vs, ",")
		meta[name] = v
		size += len(name) + len(v)
	}
	if size > maxUserMetaBytes {
		return "", nil, nil, ErrMetadataTooLarge
	}
	return h.Get("Content-Type"), headers, meta, nil
}

// stripAWSChunked removes the aws-chunked transfer coding from a
// Content-Encoding value: it describes the request, not the object.
func stripAWSChunked(v string) string {
	if !strings.Contains(v, "aws-chunked") {
		return v
	}
	var keep []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" && p != "aws-chunked" {
			keep = append(keep, p)
		}
	}
	return strings.Join(keep, ",")
}

// parseConditions reads If-* headers (prefix "") or the
// x-amz-copy-source-if-* headers (prefix "X-Amz-Copy-Source-").
func parseConditions(h http.Header, prefix string) engine.Conditions {
	var c engine.Conditions
	c.IfMatch = strings.TrimSpace(h.Get(prefix + "If-Match"))
	c.IfNoneMatch = strings.TrimSpace(h.Get(prefix + "If-None-Match"))
	c.IfModifiedSince = headerTime(h.Get(prefix + "If-Modified-Since"))
	c.IfUnmodifiedSince = headerTime(h.Get(prefix + "If-Unmodified-Since"))
	return c
}

// headerTime parses an HTTP date; absent or invalid is the zero time (S3
// ignores an invalid If-Modified-Since, as RFC 9110 says).
func headerTime(v string) time.Time {
	if v == "" {
		return time.Time{}
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return time.Time{}
	}
	return t
}

// parseRange parses a Range header. ok is false when the header should be
// ignored (absent, not "bytes=", several ranges, or syntactically invalid),
// as AWS serves the whole object then.
func parseRange(v string) (rng *engine.Range, ok bool, err error) {
	spec, found := strings.CutPrefix(strings.TrimSpace(v), "bytes=")
	if !found || strings.Contains(spec, ",") {
		return nil, false, nil
	}
	first, last, found := strings.Cut(strings.TrimSpace(spec), "-")
	if !found {
		return nil, false, nil
	}
	if first == "" {
		n, perr := strconv.ParseInt(last, 10, 64)
		if perr != nil || n < 0 {
			return nil, false, nil
		}
		if n == 0 {
			return nil, false, ErrInvalidRange
		}
		return &engine.Range{Start: -n}, true, nil
	}
	a, perr := strconv.ParseInt(first, 10, 64)
	if perr != nil || a < 0 {
		return nil, false, nil
	}
	if last == "" {
		return &engine.Range{Start: a, End: -1}, true, nil
	}
	b, perr := strconv.ParseInt(last, 10, 64)
	if perr != nil || b < a {
		return nil, false, nil
	}
	return &engine.Range{Start: a, End: b}, true, nil
}

func quoteETag(etag string) string {
	if strings.HasPrefix(etag, `"`) {
		return etag
	}
	return `"` + etag + `"`
}

// responseOverrides are the GET query parameters that replace headers.
var responseOverrides = map[string]string{
	"response-content-type":        "Content-Type",
	"response-content-language":    "Content-Language",
	"response-expires":             "Expires",
	"response-cache-control":       "Cache-Control",
	"response-content-disposition": "Content-Disposition",
	"response-content-encoding":    "Content-Encoding",
}

// setObjectHeaders writes the headers describing an object.
func setObjectHeaders(h http.Header, rq *request, info engine.ObjectInfo) {
	h.Set("ETag", quoteETag(info.ETag))
	h.Set("Last-Modified", info.LastModified.UTC().Format(http.TimeFormat))
	ct := info.ContentType
	if ct == "" {
		ct = "binary/octet-stream"
	}
	h.Set("Content-Type", ct)
	h.Set("Accept-Ranges", "bytes")
	setVersionHeaders(h, info)
	setLockHeaders(h, info)
	for k, v := range info.Headers {
		h.Set(k, v)
	}
	for k, v := range info.UserMeta {
		h["X-Amz-Meta-"+k] = []string{v}
	}
	if info.PartsCount > 0 {
		h.Set("x-amz-mp-parts-count", strconv.Itoa(info.PartsCount))
	}
	setTaggingCount(h, info)
	if strings.EqualFold(rq.r.Header.Get("X-Amz-Checksum-Mode"), "ENABLED") {
		setObjectChecksumHeaders(h, info.Checksums)
	}
	for q, name := range responseOverrides {
		if v := rq.q.Get(q); v != "" {
			h.Set(name, v)
		}
	}
}

// getOptions reads Range, partNumber and the If-* conditions of a GET/HEAD.
func getOptions(rq *request) (engine.GetOptions, error) {
	opts := engine.GetOptions{Cond: parseConditions(rq.r.Header, "")}
	pn, err := parsePartNumber(rq.q)
	if err != nil {
		return opts, err
	}
	opts.PartNumber = pn
	if v := rq.r.Header.Get("Range"); v != "" {
		rng, ok, err := parseRange(v)
		if err != nil {
			return opts, err
		}
		if ok {
			if pn > 0 {
				return opts, detail(ErrInvalidRequest, "Cannot specify both Range header and partNumber query parameter.")
			}
			opts.Range = rng
		}
	}
	opts.VersionID, err = versionIDParam(rq.q)
	return opts, err
}

// readFailure completes a failed GET/HEAD: 304 carries the ETag, 416 the
// object size, an answer about a delete marker its headers.
func (s *Server) readFailure(rq *request, opts engine.GetOptions, info engine.ObjectInfo, err error) (*response, error) {
	version := engine.GetOptions{VersionID: opts.VersionID}
	switch {
	case info.DeleteMarker:
		return deleteMarkerFailure(info, err)
	case errors.Is(err, engine.ErrNotModified):
		if info, herr := s.engine().HeadObject(rq.ctx(), rq.bucket, rq.key, version); herr == nil {
			resp := newResponse()
			resp.header.Set("ETag", quoteETag(info.ETag))
			resp.header.Set("Last-Modified", info.LastModified.UTC().Format(http.TimeFormat))
			return resp, err
		}
	case errors.Is(err, engine.ErrInvalidRange):
		if info, herr := s.engine().HeadObject(rq.ctx(), rq.bucket, rq.key, version); herr == nil {
			resp := newResponse()
			resp.header.Set("Content-Range", fmt.Sprintf("bytes */%d", info.Size))
			return resp, err
		}
	}
	return nil, err
}

func handleGetObject(s *Server, rq *request) (*response, error) {
	opts, err := getOptions(rq)
	if err != nil {
		return nil, err
	}
	rd, err := s.engine().GetObject(rq.ctx(), rq.bucket, rq.key, opts)
	if err != nil {
		return s.readFailure(rq, opts, readerInfo(rd), err)
	}
	return objectResponse(rq, rd, opts), nil
}

// objectResponse builds the GET/HEAD answer for an open reader.
func objectResponse(rq *request, rd *engine.ObjectReader, opts engine.GetOptions) *response {
	resp := newResponse()
	info := rd.Info
	setObjectHeaders(resp.header, rq, info)
	if opts.Range != nil || opts.PartNumber > 0 {
		for _, alg := range checksumAlgorithms {
			resp.header.Del(checksumHeader(alg))
		}
		resp.header.Del("x-amz-checksum-type")
		if rd.Length > 0 || opts.Range != nil {
			resp.status = http.StatusPartialContent
			resp.header.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", rd.Offset, rd.Offset+rd.Length-1, info.Size))
		}
	}
	resp.body = rd
	resp.length = rd.Length
	return resp
}

func handleHeadObject(s *Server, rq *request) (*response, error) {
	opts, err := getOptions(rq)
	if err != nil {
		return nil, err
	}
	if opts.Range != nil || opts.PartNumber > 0 {
		rd, err := s.engine().GetObject(rq.ctx(), rq.bucket, rq.key, opts)
		if err != nil {
			return s.readFailure(rq, opts, readerInfo(rd), err)
		}
		rd.Close()
		resp := objectResponse(rq, rd, opts)
		resp.body = nil
		resp.header.Set("Content-Length", strconv.FormatInt(rd.Length, 10))
		return resp, nil
	}
	info, err := s.engine().HeadObject(rq.ctx(), rq.bucket, rq.key, opts)
	if err != nil {
		return s.readFailure(rq, opts, info, err)
	}
	resp := newResponse()
	setObjectHeaders(resp.header, rq, info)
	resp.header.Set("Content-Length", strconv.FormatInt(info.Size, 10))
	return resp, nil
}

// putInput builds the engine input of a PutObject or UploadPart from the
// request, wiring the body's verification into BeforeCommit. A body sent
// without a checksum gets one of algorithm alg.
func putInput(rq *request, alg string) (engine.PutInput, error) {
	md5sum, err := parseContentMD5(rq.r.Header)
	if err != nil {
		return engine.PutInput{}, err
	}
	ct, headers, meta, err := objectMeta(rq.r.Header)
	if err != nil {
		return engine.PutInput{}, err
	}
	p, err := newPayload(rq.r, rq.auth, alg)
	if err != nil {
		return engine.PutInput{}, err
	}
	rq.body = p
	return engine.PutInput{
		Bucket:       rq.bucket,
		Key:          rq.key,
		Size:         p.declared,
		Body:         p,
		ContentType:  ct,
		Headers:      headers,
		UserMeta:     meta,
		ContentMD5:   md5sum,
		BeforeCommit: p.finish,
		Cond:         parseConditions(rq.r.Header, ""),
	}, nil
}

func handlePutOrCopyObject(s *Server, rq *request) (*response, error) {
	if rq.r.Header.Get("X-Amz-Copy-Source") != "" {
		return handleCopyObject(s, rq)
	}
	grants, err := s.newObjectACL(rq)
	if err != nil {
		return nil, err
	}
	tags, err := s.newObjectTags(rq)
	if err != nil {
		return nil, err
	}
	in, err := putInput(rq, "")
	if err != nil {
		return nil, err
	}
	in.Tags = tags
	if in.Lock, err = s.putLock(rq); err != nil {
		return nil, err
	}
	in.Owner = grants.owner
	info, err := s.engine().PutObject(rq.ctx(), in)
	if err != nil {
		return nil, err
	}
	if err := s.setNewObjectACL(rq, grants); err != nil {
		return nil, err
	}
	resp := storedResponse(rq, info.ETag, info.Checksums)
	setObjectChecksumHeaders(resp.header, info.Checksums)
	setVersionHeaders(resp.header, info)
	return resp, nil
}

// storedResponse answers a PutObject or UploadPart: the ETag, and the
// checksums that were stored (or, failing that, computed from the body).
func storedResponse(rq *request, etag string, sums map[string]string) *response {
	resp := newResponse()
	resp.header.Set("ETag", quoteETag(etag))
	if len(sums) == 0 {
		sums = rq.body.sums
	}
	setChecksumHeaders(resp.header, sums)
	return resp
}

// copySourceRef is the object (and version: "" for the latest) a copy reads.
type copySourceRef struct {
	bucket, key, versionID string
}

// parseCopySource parses x-amz-copy-source: "[/]bucket/key[?versionId=v]",
// URL-encoded.
func parseCopySource(v string) (copySourceRef, error) {
	var src copySourceRef
	path, query, _ := strings.Cut(v, "?")
	if query != "" {
		q, err := url.ParseQuery(query)
		if err != nil {
			return src, detail(ErrInvalidArgument, "Copy Source must mention the source bucket and key: sourcebucket/sourcekey.")
		}
		if src.versionID, err = versionIDParam(q); err != nil {
			return src, err
		}
	}
	dec, err := url.PathUnescape(path)
	if err != nil {
		return src, detail(ErrInvalidArgument, "Copy Source must mention the source bucket and key: sourcebucket/sourcekey.")
	}
	dec = strings.TrimPrefix(dec, "/")
	bucket, key, ok := strings.Cut(dec, "/")
	if !ok || bucket == "" || key == "" {
		return src, detail(ErrInvalidArgument, "Copy Source must mention the source bucket and key: sourcebucket/sourcekey.")
	}
	if err := validateKey(key); err != nil {
		return src, err
	}
	src.bucket, src.key = bucket, key
	return src, nil
}

// copySource reads and authorizes the copy source of a request.
func (s *Server) copySource(rq *request) (copySourceRef, error) {
	src, err := parseCopySource(rq.r.Header.Get("X-Amz-Copy-Source"))
	if err != nil {
		return src, err
	}
	if ok, err := s.allowed(rq, "s3:GetObject", false, src.bucket, src.key); err != nil || !ok {
		if errors.Is(err, ErrNoSuchBucket) {
			return src, err
		}
		return src, ErrAccessDenied
	}
	return src, nil
}

// copyCondError turns a failed copy-source condition into 412: AWS never
// answers 304 to a copy.
func copyCondError(err error) error {
	if errors.Is(err, engine.ErrNotModified) {
		return ErrPreconditionFailed
	}
	return err
}

func handleCopyObject(s *Server, rq *request) (*response, error) {
	src, err := s.copySource(rq)
	if err != nil {
		return nil, err
	}
	grants, err := s.newObjectACL(rq)
	if err != nil {
		return nil, err
	}
	srcBucket, srcKey := src.bucket, src.key
	in := engine.CopyInput{
		SrcBucket: srcBucket, SrcKey: srcKey, SrcVersionID: src.versionID,
		Bucket: rq.bucket, Key: rq.key,
		SrcCond: parseConditions(rq.r.Header, "X-Amz-Copy-Source-"),
		Cond:    parseConditions(rq.r.Header, ""),
		Owner:   grants.owner,
	}
	if in.Lock, err = objectLockHeaders(rq.r.Header, s.now()); err != nil {
		return nil, err
	}
	switch d := strings.ToUpper(rq.r.Header.Get("X-Amz-Metadata-Directive")); d {
	case "", "COPY":
	case "REPLACE":
		in.ReplaceMeta = true
		ct, headers, meta, err := objectMeta(rq.r.Header)
		if err != nil {
			return nil, err
		}
		in.ContentType, in.Headers, in.UserMeta = ct, headers, meta
	default:
		return nil, detail(ErrInvalidArgument, "Unknown metadata directive.")
	}
	if err := s.copyTags(rq, &in); err != nil {
		return nil, err
	}
	if srcBucket == rq.bucket && srcKey == rq.key && src.versionID == "" && !in.ReplaceMeta {
		return nil, detail(ErrInvalidRequest, "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
	}
	info, err := s.engine().CopyObject(rq.ctx(), in)
	if err != nil {
		return nil, copyCondError(err)
	}
	if err := s.setNewObjectACL(rq, grants); err != nil {
		return nil, err
	}
	out := copyObjectResult{Xmlns: s3NS, LastModified: timeISO(info.LastModified), ETag: quoteETag(info.ETag)}
	out.checksumElements = newChecksumElements(info.Checksums)
	if _, v := objectChecksum(info.Checksums); v != "" {
		out.ChecksumType = engine.ChecksumType(v)
	}
	resp := xmlResponse(out)
	setVersionHeaders(resp.header, info)
	if info.SourceVersionID != "" {
		resp.header.Set("x-amz-copy-source-version-id", info.SourceVersionID)
	}
	return resp, nil
}

// parseDeleteRequest decodes and checks a DeleteObjects body.
func parseDeleteRequest(b []byte) (deleteRequest, error) {
	var req deleteRequest
	if err := decodeXML(b, &req); err != nil {
		return req, err
	}
	if len(req.Objects) == 0 || len(req.Objects) > maxDeleteObjects {
		return req, ErrMalformedXML
	}
	return req, nil
}

func handleDeleteObjects(s *Server, rq *request) (*response, error) {
	b, err := readSmallBody(rq, maxDeleteBody)
	if err != nil {
		return nil, err
	}
	req, err := parseDeleteRequest(b)
	if err != nil {
		return nil, err
	}
	if _, err := s.engine().HeadBucket(rq.ctx(), rq.bucket); err != nil {
		return nil, err
	}
	errs := make([]error, len(req.Objects))
	done := make([]deletedEntry, len(req.Objects))
	var wg sync.WaitGroup
	sem := make(chan struct{}, deleteWorkers)
	for i, o := range req.Objects {
		if ok, err := s.allowed(rq, "s3:DeleteObject", true, rq.bucket, o.Key); err != nil || !ok {
			errs[i] = cmp.Or(err, error(ErrAccessDenied))
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			done[i], errs[i] = s.deleteOne(rq, o)
		}()
	}
	wg.Wait()
	out := deleteResult{Xmlns: s3NS}
	for i, o := range req.Objects {
		if errs[i] != nil {
			api := toAPIError(errs[i])
			if api.Status >= 500 {
				s.log().Error("s3: delete failed", "request_id", rq.id, "bucket", rq.bucket, "key", o.Key, "err", errs[i])
			}
			out.Errors = append(out.Errors, deleteError{Key: xmlText(o.Key), VersionID: o.VersionID, Code: api.Code, Message: api.Message})
			continue
		}
		if !req.Quiet {
			out.Deleted = append(out.Deleted, done[i])
		}
	}
	return xmlResponse(out), nil
}

// readerInfo is the Info of a reader GetObject returned with an error (nil
// when it returned none).
func readerInfo(rd *engine.ObjectReader) engine.ObjectInfo {
	if rd == nil {
		return engine.ObjectInfo{}
	}
	return rd.Info
}
