package s3

// The lean path: Put, Get and Stat build, sign (SigV4, see sign.go) and
// send their requests themselves over the same
// BuildableClient the SDK client uses, instead of going through the SDK's
// middleware stack, which costs more CPU and allocation than the request
// itself for small objects. Everything else keeps using the SDK client.
//
// The lean path reproduces what the SDK does for these three operations with
// this package's options (see New): the endpoint comes from the SDK's own
// endpoint resolver (path-style or virtual-hosted, IP endpoints, …), keys are
// escaped by the SDK's own function, the headers that matter are the same
// (X-Amz-Content-Sha256, Range, Accept-Encoding: identity, Content-Type on
// PUT; no Expect: 100-continue, see New), errors are decoded from the status
// code and the S3 error XML and built from the same types (OperationError,
// ResponseError, GenericAPIError, types.NoSuchKey/NotFound, RequestSendError,
// CanceledError, MaxAttemptsError), so wrapErr classifies both paths alike,
// and Get/Stat retry with the very Retryer the SDK client uses. A bucket
// whose resolved endpoint needs anything else (another signing scheme or
// name, endpoint headers, an invalid host) goes through the SDK.

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyauth "github.com/aws/smithy-go/auth"
	"github.com/aws/smithy-go/encoding/httpbinding"
	smithytime "github.com/aws/smithy-go/time"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

const (
	// emptySHA256 is the payload hash the SDK sends for requests without a
	// body (hex SHA-256 of nothing).
	emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	// unsignedPayloadHash is what PutObject signs (see unsignedPayload).
	unsignedPayloadHash = "UNSIGNED-PAYLOAD"
	// maxEndpoints bounds the per-bucket endpoint cache; buckets beyond it
	// are resolved on every call.
	maxEndpoints = 4096
	// maxErrorBody bounds how much of an error response is read.
	maxErrorBody = 1 << 20
)

// leanOp describes one of the lean operations.
type leanOp struct {
	name   string // SDK operation name, for errors
	method string
	query  string // the SDK's operation query string
	retry  bool   // retried like the SDK client does (false: NopRetryer)
}

var (
	opGetObject  = &leanOp{name: "GetObject", method: http.MethodGet, query: "x-id=GetObject", retry: true}
	opPutObject  = &leanOp{name: "PutObject", method: http.MethodPut, query: "x-id=PutObject"}
	opHeadObject = &leanOp{name: "HeadObject", method: http.MethodHead, retry: true}
)

// lean holds what the lean path needs; it is set up by New.
type lean struct {
	http     *awshttp.BuildableClient // the SDK client's HTTP client
	signer   *signer
	retryer  aws.Retryer // the SDK client's retryer (Get, Stat)
	resolver s3.EndpointResolverV2
	params   s3.EndpointParameters // without Bucket

	endpoints sync.Map // S3 bucket -> *endpoint
	nEndpts   atomic.Int64
	sdkOnly   bool // tests: send everything through the SDK client
}

var sdkEndpoint = &endpoint{sdk: true}

// endpoint is a bucket's resolved endpoint. sdk means the lean path cannot
// reproduce what the SDK would do for this bucket.
type endpoint struct {
	scheme, host  string
	path, rawPath string
	sdk           bool
}

func newLean(cfg Config, httpClient *awshttp.BuildableClient, retryer aws.Retryer) *lean {
	return &lean{
		http:     httpClient,
		signer:   newSigner(cfg.AccessKey, cfg.SecretKey, cfg.Region),
		retryer:  retryer,
		resolver: s3.NewDefaultEndpointResolverV2(),
		// As the S3 client's bindEndpointParams with the options of New.
		params: s3.EndpointParameters{
			Region:                         aws.String(cfg.Region),
			UseFIPS:                        aws.Bool(false),
			UseDualStack:                   aws.Bool(false),
			Endpoint:                       aws.String(cfg.Endpoint),
			ForcePathStyle:                 aws.Bool(cfg.PathStyle),
			Accelerate:                     aws.Bool(false),
			DisableMultiRegionAccessPoints: aws.Bool(false),
			UseArnRegion:                   aws.Bool(false),
		},
	}
}

// endpoint returns bucket's endpoint, resolving it the first time.
func (l *lean) endpoint(ctx context.Context, region, bucket string) *endpoint {
	if l.sdkOnly {
		return sdkEndpoint
	}
	if ep, ok := l.endpoints.Load(bucket); ok {
		return ep.(*endpoint)
	}
	ep := l.resolve(ctx, region, bucket)
	if l.nEndpts.Load() < maxEndpoints {
		if _, loaded := l.endpoints.LoadOrStore(bucket, ep); !loaded {
			l.nEndpts.Add(1)
		}
	}
	return ep
}

func (l *lean) resolve(ctx context.Context, region, bucket string) *endpoint {
	params := l.params
	params.Bucket = aws.String(bucket)
	res, err := l.resolver.ResolveEndpoint(ctx, params)
	if err != nil || len(res.Headers) > 0 || smithyhttp.ValidateEndpointHost(res.URI.Host) != nil {
		return sdkEndpoint
	}
	// Only plain SigV4 as "s3" in the configured region, with the S3
	// signer's path handling, is reproduced here.
	opts, _ := smithyauth.GetAuthOptions(&res.Properties)
	if len(opts) > 0 {
		o := opts[0]
		name, _ := smithyhttp.GetSigV4SigningName(&o.SignerProperties)
		reg, hasReg := smithyhttp.GetSigV4SigningRegion(&o.SignerProperties)
		noDouble, hasNoDouble := smithyhttp.GetDisableDoubleEncoding(&o.SignerProperties)
		if (o.SchemeID != "sigv4" && o.SchemeID != smithyauth.SchemeIDSigV4) || name != "s3" || (hasReg && reg != region) || (hasNoDouble && !noDouble) {
			return sdkEndpoint
		}
	}
	ep := &endpoint{scheme: res.URI.Scheme, host: res.URI.Host, path: res.URI.Path, rawPath: res.URI.RawPath}
	if ep.rawPath == "" {
		ep.rawPath = ep.path
	}
	return ep
}

// newRequest builds op's request for key at ep, as the SDK's serializer and
// endpoint middleware would.
func (l *lean) newRequest(ctx context.Context, op *leanOp, ep *endpoint, key string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, op.method, "", nil)
	if err != nil {
		return nil, err
	}
	req.URL = &url.URL{
		Scheme:   ep.scheme,
		Host:     ep.host,
		Path:     smithyhttp.JoinPath(ep.path, "/"+key),
		RawPath:  smithyhttp.JoinPath(ep.rawPath, "/"+httpbinding.EscapePath(key, false)),
		RawQuery: op.query,
	}
	req.Host = ep.host
	return req, nil
}

// do sends op (retrying it as the SDK would when op.retry) and returns the
// 2xx response, or the error the SDK client would have returned. rng is a
// Range header value ("": none), body a PUT's body (nil: none).
func (l *lean) do(ctx context.Context, region string, op *leanOp, ep *endpoint, key, payloadHash, rng string,
	body *safeBody) (*http.Response, error) {
	for attempt := 1; ; attempt++ {
		resp, err, again := l.attempt(ctx, region, op, ep, key, payloadHash, rng, body, attempt)
		if !again {
			if err != nil {
				return nil, &smithy.OperationError{ServiceID: "S3", OperationName: op.name, Err: err}
			}
			return resp, nil
		}
	}
}

// attempt is one attempt of do, mirroring the SDK's retry.Attempt
// middleware (with ratelimit.None there are no retry tokens to take).
func (l *lean) attempt(ctx context.Context, region string, op *leanOp, ep *endpoint, key, payloadHash, rng string,
	body *safeBody, attempt int) (_ *http.Response, _ error, again bool) {
	select {
	case <-ctx.Done():
		return nil, ctx.Err(), false
	default:
	}
	req, err := l.newRequest(ctx, op, ep, key)
	if err != nil {
		return nil, err, false
	}
	if rng != "" {
		req.Header.Set("Range", rng)
	}
	// As the SDK client (else net/http asks for gzip and transparently
	// decompresses).
	req.Header.Set("Accept-Encoding", "identity")
	if op == opPutObject {
		// As the PutObject serializer for a body without a content type.
		req.Header.Set("Content-Type", "application/octet-stream")
	}
	l.signer.sign(req, payloadHash, time.Now())
	resp, err := l.send(ctx, req, body)
	if err == nil {
		err = checkResponse(op, resp)
		if err != nil {
			resp = nil
		}
	}
	if err == nil {
		return resp, nil, false
	}
	if !op.retry || !l.retryer.IsErrorRetryable(err) {
		return nil, err, false
	}
	if n := l.retryer.MaxAttempts(); n > 0 && attempt >= n {
		return nil, &retry.MaxAttemptsError{Attempt: attempt, Err: err}, false
	}
	delay, derr := l.retryer.RetryDelay(attempt, err)
	if derr != nil {
		return nil, derr, false
	}
	delay = retryAfter(delay, err)
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return nil, &aws.RequestCanceledError{Err: ctx.Err()}, false
	case <-t.C:
	}
	return nil, nil, true
}

// send is smithyhttp.ClientHandler: the request goes out on the SDK
// client's HTTP client and a request body is closed when Do returns.
func (l *lean) send(ctx context.Context, req *http.Request, body *safeBody) (*http.Response, error) {
	if body != nil {
		req.Body = body
		if body.mem != nil {
			// A type net/http knows is in memory: no separate write
			// of the headers.
			req.Body = io.NopCloser(bytes.NewReader(body.mem))
		}
		req.ContentLength = body.size
	}
	resp, err := l.http.Do(req)
	if body != nil {
		// The transport may still hold the body; from here on it reads EOF
		// and never again the caller's reader.
		_ = body.Close()
	}
	if err != nil {
		if resp != nil && resp.Body != nil {
			resp.Body.Close()
		}
		err = &smithyhttp.RequestSendError{Err: err}
		select {
		case <-ctx.Done():
			err = &smithy.CanceledError{Err: ctx.Err()}
		default:
		}
		return nil, err
	}
	return resp, nil
}

// checkResponse returns the error the SDK's deserializer of op makes of
// resp, if any, having read and closed resp's body; on success resp's body
// is left to the caller for GetObject and read and closed otherwise.
func checkResponse(op *leanOp, resp *http.Response) error {
	if resp.StatusCode < 200 || resp.StatusCode >= 300 {
		return responseError(op, resp)
	}
	if err := checkHeaders(op, resp); err != nil {
		drain(resp)
		return wrapResponse(resp, &errorComponents{}, &smithy.DeserializationError{
			Err: fmt.Errorf("failed to decode response with invalid Http bindings, %w", err)})
	}
	if op == opGetObject {
		return nil
	}
	_, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return wrapResponse(resp, &errorComponents{}, err)
	}
	return nil
}

type headerKind uint8

const (
	hBool headerKind = iota
	hInt32
	hInt64
	hTime
)

// boundHeaders are the response headers the SDK's deserializers of
// GetObject and HeadObject (putHeaders: PutObject) parse and fail on.
var (
	boundHeaders = []struct {
		name string
		kind headerKind
	}{
		{"X-Amz-Server-Side-Encryption-Bucket-Key-Enabled", hBool},
		{"Content-Length", hInt64},
		{"X-Amz-Delete-Marker", hBool},
		{"Last-Modified", hTime},
		{"X-Amz-Missing-Meta", hInt32},
		{"X-Amz-Object-Lock-Event-Hold-Duration-Days", hInt32},
		{"X-Amz-Object-Lock-Event-Hold-Duration-Years", hInt32},
		{"X-Amz-Mp-Parts-Count", hInt32},
		{"X-Amz-Tagging-Count", hInt32},
	}
	putHeaders = []struct {
		name string
		kind headerKind
	}{
		{"X-Amz-Server-Side-Encryption-Bucket-Key-Enabled", hBool},
		{"X-Amz-Object-Size", hInt64},
	}
)

func checkHeaders(op *leanOp, resp *http.Response) error {
	hs := boundHeaders
	if op == opPutObject {
		hs = putHeaders
	}
	for _, h := range hs {
		v := resp.Header[h.name]
		if len(v) == 0 {
			continue
		}
		s := strings.TrimSpace(v[0])
		var err error
		switch h.kind {
		case hBool:
			_, err = strconv.ParseBool(s)
		case hInt32:
			_, err = strconv.ParseInt(s, 0, 32)
		case hInt64:
			_, err = strconv.ParseInt(s, 0, 64)
		case hTime:
			_, err = smithytime.ParseHTTPDate(s)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// retryAfter is the SDK's adjustForRetryAfterHeader.
func retryAfter(backoff time.Duration, err error) time.Duration {
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.Response == nil || re.Response.Response == nil {
		return backoff
	}
	v := re.Response.Header.Get("X-Amz-Retry-After")
	if v == "" {
		return backoff
	}
	ms, perr := strconv.ParseInt(v, 10, 64)
	if perr != nil || ms < 0 {
		return backoff
	}
	return min(max(time.Duration(ms)*time.Millisecond, backoff), 5*time.Second+backoff)
}

// errorComponents is s3shared.ErrorComponents.
type errorComponents struct {
	Code      string `xml:"Code"`
	Message   string `xml:"Message"`
	RequestID string `xml:"RequestId"`
	HostID    string `xml:"HostId"`
}

// responseError reads and closes a non-2xx response and returns the error
// the SDK's deserializers and response-error middlewares make of it.
func responseError(op *leanOp, resp *http.Response) error {
	defer resp.Body.Close()
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, io.LimitReader(resp.Body, maxErrorBody)); err != nil {
		return wrapResponse(resp, &errorComponents{}, &smithy.DeserializationError{Err: fmt.Errorf("failed to copy error response body, %w", err)})
	}
	var ec errorComponents
	if err := xml.NewDecoder(bytes.NewReader(buf.Bytes())).Decode(&ec); err != nil && err != io.EOF {
		return wrapResponse(resp, &ec, fmt.Errorf("error while deserializing xml error response : %w", err))
	}
	if ec.Code == "" && ec.Message == "" {
		text := http.StatusText(resp.StatusCode)
		ec.Code, ec.Message = strings.ReplaceAll(text, " ", ""), text
	}
	code, msg := "UnknownError", "UnknownError"
	if ec.Code != "" {
		code = ec.Code
	}
	if ec.Message != "" {
		msg = ec.Message
	}
	return wrapResponse(resp, &ec, apiError(op, code, msg, buf.Len() > 0))
}

// apiError is the error type the SDK's deserializer of op picks for code.
func apiError(op *leanOp, code, msg string, hasBody bool) error {
	var m *string
	if hasBody {
		m = aws.String(msg)
	}
	switch op {
	case opGetObject:
		switch {
		case strings.EqualFold(code, "NoSuchKey"):
			return &types.NoSuchKey{Message: m}
		case strings.EqualFold(code, "InvalidObjectState"):
			return &types.InvalidObjectState{Message: m}
		}
	case opHeadObject:
		if strings.EqualFold(code, "NotFound") {
			return &types.NotFound{Message: m}
		}
	case opPutObject:
		switch {
		case strings.EqualFold(code, "EncryptionTypeMismatch"):
			return &types.EncryptionTypeMismatch{Message: m}
		case strings.EqualFold(code, "InvalidRequest"):
			return &types.InvalidRequest{Message: m}
		case strings.EqualFold(code, "InvalidWriteOffset"):
			return &types.InvalidWriteOffset{Message: m}
		case strings.EqualFold(code, "TooManyParts"):
			return &types.TooManyParts{Message: m}
		}
	}
	return &smithy.GenericAPIError{Code: code, Message: msg}
}

// wrapResponse wraps err as the SDK's S3 response-error middleware does.
func wrapResponse(resp *http.Response, ec *errorComponents, err error) error {
	reqID, hostID := resp.Header.Get("X-Amz-Request-Id"), resp.Header.Get("X-Amz-Id-2")
	if reqID == "" {
		reqID = ec.RequestID
	}
	if hostID == "" {
		hostID = ec.HostID
	}
	return &responseErr{
		ResponseError: &awshttp.ResponseError{
			ResponseError: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: resp}, Err: err},
			RequestID:     reqID,
		},
		HostID: hostID,
	}
}

// responseErr is s3shared.ResponseError (an internal package of the SDK).
type responseErr struct {
	*awshttp.ResponseError
	HostID string
}

func (e *responseErr) ServiceHostID() string { return e.HostID }

func (e *responseErr) Error() string {
	return fmt.Sprintf("https response error StatusCode: %d, RequestID: %s, HostID: %s, %v",
		e.Response.StatusCode, e.RequestID, e.HostID, e.Err)
}

func (e *responseErr) As(target any) bool { return errors.As(e.ResponseError, target) }

// contentLength is the response's Content-Length as the SDK reads it
// (absent: 0).
func contentLength(resp *http.Response) int64 {
	return max(resp.ContentLength, 0)
}

// lastModified parses Last-Modified as the SDK does (checkHeaders has
// checked it).
func lastModified(resp *http.Response) time.Time {
	v := resp.Header.Values("Last-Modified")
	if len(v) == 0 {
		return time.Time{}
	}
	t, _ := smithytime.ParseHTTPDate(strings.TrimSpace(v[0]))
	return t
}

// drain reads what is left of a small response body and closes it, so its
// connection can be reused.
func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
	resp.Body.Close()
}
