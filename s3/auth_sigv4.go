package s3

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prismd/prismd/engine"
)

// SigV4 constants.
const (
	sigV4Algorithm   = "AWS4-HMAC-SHA256"
	amzDateFormat    = "20060102T150405Z"
	scopeDateFormat  = "20060102"
	maxClockSkew     = 15 * time.Minute
	emptySHA256      = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	unsignedPayload  = "UNSIGNED-PAYLOAD"
	streamingSigned  = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	streamingSignedT = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	streamingUnsignT = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
	streamingECDSA   = "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD"
	streamingECDSAT  = "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER"
)

// credential is the parsed Credential of a signature:
// AccessKey/Date/Region/Service/aws4_request.
type credential struct {
	AccessKey string
	Date      string // yyyymmdd
	Region    string
	Service   string
}

func (c credential) scope() string {
	return c.Date + "/" + c.Region + "/" + c.Service + "/aws4_request"
}

// sigV4Header is a parsed "Authorization: AWS4-HMAC-SHA256 ..." header.
type sigV4Header struct {
	Credential    credential
	SignedHeaders []string
	Signature     string
}

// parseCredential parses "AKID/20130524/us-east-1/s3/aws4_request". The
// region may be any non-empty string; the service must be s3.
func parseCredential(s string) (credential, bool) {
	parts := strings.Split(s, "/")
	if len(parts) != 5 {
		return credential{}, false
	}
	c := credential{AccessKey: parts[0], Date: parts[1], Region: parts[2], Service: parts[3]}
	if c.AccessKey == "" || c.Region == "" || c.Service != "s3" || parts[4] != "aws4_request" {
		return credential{}, false
	}
	if _, err := time.Parse(scopeDateFormat, c.Date); err != nil || len(c.Date) != 8 {
		return credential{}, false
	}
	return c, true
}

// parseSignedHeaders parses "host;x-amz-date": lower case, sorted, unique,
// and host among them.
func parseSignedHeaders(s string) ([]string, bool) {
	if s == "" {
		return nil, false
	}
	hs := strings.Split(s, ";")
	hasHost := false
	for i, h := range hs {
		if h == "" || h != strings.ToLower(h) || strings.TrimSpace(h) != h {
			return nil, false
		}
		if i > 0 && hs[i-1] >= h {
			return nil, false
		}
		if h == "host" {
			hasHost = true
		}
	}
	return hs, hasHost
}

// isHexSignature reports whether s is 64 lower-case hex digits.
func isHexSignature(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// parseAuthorization parses a SigV4 Authorization header value. It returns
// ErrAuthorizationHeaderMalformed on any syntax error and
// ErrUnsupportedSignature for other schemes (SigV2, SigV4a).
func parseAuthorization(v string) (sigV4Header, error) {
	var h sigV4Header
	alg, rest, ok := strings.Cut(strings.TrimSpace(v), " ")
	if alg != sigV4Algorithm {
		return h, ErrUnsupportedSignature
	}
	if !ok {
		return h, ErrAuthorizationHeaderMalformed
	}
	var seenCred, seenSH, seenSig bool
	for _, field := range strings.Split(rest, ",") {
		field = strings.TrimSpace(field)
		name, val, ok := strings.Cut(field, "=")
		if !ok {
			return h, ErrAuthorizationHeaderMalformed
		}
		switch name {
		case "Credential":
			if seenCred {
				return h, ErrAuthorizationHeaderMalformed
			}
			seenCred = true
			c, ok := parseCredential(val)
			if !ok {
				return h, detail(ErrAuthorizationHeaderMalformed, "The authorization header is malformed; the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".")
			}
			h.Credential = c
		case "SignedHeaders":
			if seenSH {
				return h, ErrAuthorizationHeaderMalformed
			}
			seenSH = true
			hs, ok := parseSignedHeaders(val)
			if !ok {
				return h, detail(ErrAuthorizationHeaderMalformed, "The authorization header is malformed; SignedHeaders must be sorted, lower case and include host.")
			}
			h.SignedHeaders = hs
		case "Signature":
			if seenSig {
				return h, ErrAuthorizationHeaderMalformed
			}
			seenSig = true
			if !isHexSignature(val) {
				return h, detail(ErrAuthorizationHeaderMalformed, "The authorization header is malformed; the signature must be 64 lower-case hex digits.")
			}
			h.Signature = val
		default:
			return h, ErrAuthorizationHeaderMalformed
		}
	}
	if !seenCred || !seenSH || !seenSig {
		return h, ErrAuthorizationHeaderMalformed
	}
	return h, nil
}

// awsURIEncode encodes s per SigV4: every byte but A-Z a-z 0-9 - _ . ~ is
// %XX (upper-case hex); '/' is kept when keepSlash.
func awsURIEncode(s string, keepSlash bool) string {
	const hexd = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' || (keepSlash && c == '/') {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexd[c>>4])
		b.WriteByte(hexd[c&15])
	}
	return b.String()
}

// canonicalURI is the SigV4 canonical path of an escaped request path: each
// segment decoded and re-encoded once (S3 does not double-encode), so that
// "%2F" inside a segment stays "%2F".
func canonicalURI(escapedPath string) string {
	if escapedPath == "" {
		return "/"
	}
	segs := strings.Split(escapedPath, "/")
	for i, s := range segs {
		if d, err := url.PathUnescape(s); err == nil {
			s = d
		}
		segs[i] = awsURIEncode(s, false)
	}
	return strings.Join(segs, "/")
}

// canonicalQuery is the SigV4 canonical query string: every parameter
// decoded and re-encoded, sorted by name then value; X-Amz-Signature is left
// out when skipSignature (presigned URLs).
func canonicalQuery(rawQuery string, skipSignature bool) string {
	if rawQuery == "" {
		return ""
	}
	type kv struct{ k, v string }
	var kvs []kv
	for _, p := range strings.Split(rawQuery, "&") {
		if p == "" {
			continue
		}
		k, v, _ := strings.Cut(p, "=")
		if dk, err := url.PathUnescape(k); err == nil {
			k = dk
		}
		if dv, err := url.PathUnescape(v); err == nil {
			v = dv
		}
		if skipSignature && k == "X-Amz-Signature" {
			continue
		}
		kvs = append(kvs, kv{awsURIEncode(k, false), awsURIEncode(v, false)})
	}
	sort.Slice(kvs, func(i, j int) bool {
		if kvs[i].k != kvs[j].k {
			return kvs[i].k < kvs[j].k
		}
		return kvs[i].v < kvs[j].v
	})
	var b strings.Builder
	for i, p := range kvs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
	return b.String()
}

// trimAll trims v and collapses runs of spaces into one, as SigV4 requires.
func trimAll(v string) string {
	v = strings.TrimSpace(v)
	if !strings.Contains(v, "  ") {
		return v
	}
	var b strings.Builder
	space := false
	for i := 0; i < len(v); i++ {
		if v[i] == ' ' {
			if space {
				continue
			}
			space = true
		} else {
			space = false
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// headerValue is the canonical value of a signed header: Go's server moves
// Host and Transfer-Encoding out of r.Header.
func headerValue(r *http.Request, name string) string {
	switch name {
	case "host":
		return r.Host
	case "transfer-encoding":
		return strings.Join(r.TransferEncoding, ",")
	case "content-length":
		if v := r.Header.Values("Content-Length"); len(v) > 0 {
			return trimAll(v[0])
		}
		if r.ContentLength >= 0 {
			return strconv.FormatInt(r.ContentLength, 10)
		}
		return ""
	}
	vals := r.Header.Values(name)
	for i, v := range vals {
		vals[i] = trimAll(v)
	}
	return strings.Join(vals, ",")
}

// canonicalRequest builds the SigV4 canonical request of r.
func canonicalRequest(r *http.Request, signedHeaders []string, payloadHash string, presigned bool) string {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	b.WriteString(canonicalURI(r.URL.EscapedPath()))
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(r.URL.RawQuery, presigned))
	b.WriteByte('\n')
	for _, h := range signedHeaders {
		b.WriteString(h)
		b.WriteByte(':')
		b.WriteString(headerValue(r, h))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(signedHeaders, ";"))
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String()
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// signingKey returns the SigV4 signing key for a credential scope. It
// changes once a day per key and scope, so derived keys are kept (four
// HMACs saved on every request).
func signingKey(secret string, c credential) []byte {
	id := secret + "\x00" + c.Date + "\x00" + c.Region + "\x00" + c.Service
	if k, ok := signingKeys.Load(id); ok {
		return k.([]byte)
	}
	k := hmacSHA256([]byte("AWS4"+secret), c.Date)
	k = hmacSHA256(k, c.Region)
	k = hmacSHA256(k, c.Service)
	k = hmacSHA256(k, "aws4_request")
	if signingKeyCount.Add(1) > maxSigningKeys {
		// Old days' keys and keys of odd scopes: start over.
		signingKeys.Clear()
		signingKeyCount.Store(1)
	}
	signingKeys.Store(id, k)
	return k
}

// signingKeys caches derived signing keys by secret and scope.
var (
	signingKeys     sync.Map
	signingKeyCount atomic.Int64
)

const maxSigningKeys = 4096

// stringToSign is the SigV4 string to sign of a canonical request.
func stringToSign(amzDate string, c credential, canonical string) string {
	return sigV4Algorithm + "\n" + amzDate + "\n" + c.scope() + "\n" + sha256Hex(canonical)
}

// signatureEqual compares two hex signatures in constant time.
func signatureEqual(a, b string) bool {
	return hmac.Equal([]byte(a), []byte(b))
}

// authResult is what authentication established about a request.
type authResult struct {
	Anonymous   bool // unsigned: Key is the zero value
	Key         engine.AccessKey
	PayloadHash string // the x-amz-content-sha256 the signature covers
	Presigned   bool
	// For aws-chunked signed payloads: the chain's key, time, scope and seed.
	SigningKey []byte
	AmzDate    string
	Cred       credential
	Seed       string
}

// requestTime returns the request's x-amz-date (or Date) in SigV4 format.
func requestTime(r *http.Request) (time.Time, string, error) {
	if v := r.Header.Get("X-Amz-Date"); v != "" {
		t, err := time.Parse(amzDateFormat, v)
		if err != nil {
			return time.Time{}, "", ErrMissingDate
		}
		return t, v, nil
	}
	if v := r.Header.Get("Date"); v != "" {
		t, err := http.ParseTime(v)
		if err != nil {
			return time.Time{}, "", ErrMissingDate
		}
		t = t.UTC()
		return t, t.Format(amzDateFormat), nil
	}
	return time.Time{}, "", ErrMissingDate
}

// verifyHeaderAuth checks a request signed with an Authorization header.
func (s *Server) verifyHeaderAuth(r *http.Request, authz string) (*authResult, error) {
	h, err := parseAuthorization(authz)
	if err != nil {
		return nil, err
	}
	t, amzDate, err := requestTime(r)
	if err != nil {
		return nil, err
	}
	if amzDate[:8] != h.Credential.Date {
		return nil, detail(ErrAuthorizationHeaderMalformed, "The authorization header is malformed; Invalid credential date. Date is not the same as X-Amz-Date.")
	}
	now := s.now()
	if d := now.Sub(t); d > maxClockSkew || d < -maxClockSkew {
		return nil, ErrRequestTimeTooSkewed
	}
	payload := r.Header.Get("X-Amz-Content-Sha256")
	if payload == "" {
		if r.ContentLength != 0 {
			return nil, ErrMissingContentSHA256
		}
		payload = emptySHA256
	}
	if err := checkPayloadHash(payload); err != nil {
		return nil, err
	}
	key, err := s.cfg.Engine.LookupAccessKey(h.Credential.AccessKey)
	if err != nil {
		return nil, ErrInvalidAccessKeyID
	}
	sk := signingKey(key.Secret, h.Credential)
	canonical := canonicalRequest(r, h.SignedHeaders, payload, false)
	want := hex.EncodeToString(hmacSHA256(sk, stringToSign(amzDate, h.Credential, canonical)))
	if !signatureEqual(want, h.Signature) {
		s.log().Debug("s3: signature mismatch", "canonical", redactCanonical(canonical))
		return nil, ErrSignatureDoesNotMatch
	}
	if err := checkSignedCoverage(r.Header, h.SignedHeaders); err != nil {
		return nil, err
	}
	return &authResult{Key: key, PayloadHash: payload, SigningKey: sk, AmzDate: amzDate, Cred: h.Credential, Seed: h.Signature}, nil
}

// checkPayloadHash validates an x-amz-content-sha256 value.
func checkPayloadHash(v string) error {
	switch v {
	case unsignedPayload, streamingSigned, streamingSignedT, streamingUnsignT:
		return nil
	case streamingECDSA, streamingECDSAT:
		return detail(ErrNotImplemented, "SigV4a (ECDSA) streaming signatures are not implemented.")
	}
	if isHexSignature(v) {
		return nil
	}
	return ErrInvalidContentSHA256
}
