package s3

import (
	"encoding/hex"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// maxPresignExpiry is the longest lifetime of a presigned URL.
const maxPresignExpiry = 7 * 24 * time.Hour

// presignParams are the X-Amz-* query parameters of a presigned URL.
type presignParams struct {
	Credential    credential
	AmzDate       string
	Date          time.Time
	Expires       time.Duration
	SignedHeaders []string
	Signature     string
}

// parsePresign parses the presigned-URL query parameters.
func parsePresign(q url.Values) (presignParams, error) {
	var p presignParams
	if q.Get("X-Amz-Algorithm") != sigV4Algorithm {
		return p, ErrUnsupportedSignature
	}
	c, ok := parseCredential(q.Get("X-Amz-Credential"))
	if !ok {
		return p, ErrAuthorizationQueryParameters
	}
	p.Credential = c
	p.AmzDate = q.Get("X-Amz-Date")
	t, err := time.Parse(amzDateFormat, p.AmzDate)
	if err != nil {
		return p, detail(ErrAuthorizationQueryParameters, "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\".")
	}
	p.Date = t
	if p.AmzDate[:8] != c.Date {
		return p, detail(ErrAuthorizationQueryParameters, "Invalid credential date. Date is not the same as X-Amz-Date.")
	}
	// An expiry of 0, a negative one or one over a week grants nothing,
	// whatever the object's ACL or policy would give an anonymous caller.
	exp := q.Get("X-Amz-Expires")
	if neg, ok := strings.CutPrefix(exp, "-"); ok {
		if _, ok := parseDigits(neg, math.MaxInt64); ok {
			return p, detail(ErrAccessDenied, "X-Amz-Expires must be non-negative.")
		}
	}
	secs, ok := parseDigits(exp, math.MaxInt64)
	switch {
	case !ok:
		return p, detail(ErrAuthorizationQueryParameters, "X-Amz-Expires should be a number.")
	case secs == 0:
		return p, detail(ErrAccessDenied, "X-Amz-Expires must be greater than 0: a presigned URL that expires at once grants nothing.")
	case secs > uint64(maxPresignExpiry/time.Second):
		return p, detail(ErrAccessDenied, "X-Amz-Expires must be less than a week (in seconds) that is, the given X-Amz-Expires must be less than 604800 seconds.")
	}
	p.Expires = time.Duration(secs) * time.Second
	hs, ok := parseSignedHeaders(q.Get("X-Amz-SignedHeaders"))
	if !ok {
		return p, detail(ErrAuthorizationQueryParameters, "X-Amz-SignedHeaders must be sorted, lower case and include host.")
	}
	p.SignedHeaders = hs
	p.Signature = q.Get("X-Amz-Signature")
	if !isHexSignature(p.Signature) {
		return p, detail(ErrAuthorizationQueryParameters, "X-Amz-Signature must be 64 lower-case hex digits.")
	}
	return p, nil
}

// verifyPresigned checks a request authenticated by a presigned URL.
func (s *Server) verifyPresigned(r *http.Request, q url.Values) (*authResult, error) {
	p, err := parsePresign(q)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if p.Date.Sub(now) > maxClockSkew {
		return nil, detail(ErrAccessDenied, "Request is not valid yet.")
	}
	if now.After(p.Date.Add(p.Expires)) {
		return nil, ErrExpiredPresign
	}
	payload := q.Get("X-Amz-Content-Sha256")
	if payload == "" {
		payload = unsignedPayload
		for _, h := range p.SignedHeaders {
			if h == "x-amz-content-sha256" {
				payload = r.Header.Get("X-Amz-Content-Sha256")
			}
		}
	}
	if err := checkPayloadHash(payload); err != nil {
		return nil, err
	}
	if payload != unsignedPayload && !isHexSignature(payload) {
		return nil, detail(ErrInvalidRequest, "A presigned URL cannot carry an aws-chunked body.")
	}
	key, err := s.cfg.Engine.LookupAccessKey(p.Credential.AccessKey)
	if err != nil {
		return nil, ErrInvalidAccessKeyID
	}
	sk := signingKey(key.Secret, p.Credential)
	canonical := canonicalRequest(r, p.SignedHeaders, payload, true)
	want := hex.EncodeToString(hmacSHA256(sk, stringToSign(p.AmzDate, p.Credential, canonical)))
	if !signatureEqual(want, p.Signature) {
		s.log().Debug("s3: presigned signature mismatch", "canonical", redactCanonical(canonical))
		return nil, ErrSignatureDoesNotMatch
	}
	if err := checkSignedCoverage(r.Header, p.SignedHeaders); err != nil {
		return nil, err
	}
	return &authResult{Key: key, PayloadHash: payload, Presigned: true, AmzDate: p.AmzDate, Cred: p.Credential}, nil
}
