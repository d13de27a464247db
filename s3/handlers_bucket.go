package s3

import (
	"net/http"
	"strings"

	"github.com/prismd/prismd/engine"
)

// validBucketName applies the S3 bucket naming rules (the engine's, so the
// two layers never disagree).
func validBucketName(name string) bool { return engine.ValidBucketName(name) }

func handleCreateBucket(s *Server, rq *request) (*response, error) {
	if !validBucketName(rq.bucket) {
		return nil, ErrInvalidBucketName
	}
	location := ""
	if rq.r.ContentLength != 0 {
		p, err := newPayload(rq.r, rq.auth)
		if err != nil {
			return nil, err
		}
		rq.body = p
		b, err := p.readAll(64 << 10)
		if err != nil {
			return nil, err
		}
		if len(strings.TrimSpace(string(b))) > 0 {
			var cfg createBucketConfiguration
			if err := decodeXML(b, &cfg); err != nil {
				return nil, err
			}
			location = strings.TrimSpace(cfg.LocationConstraint)
		}
	}
	if location == "" {
		location = s.region()
	}
	if err := s.engine().CreateBucket(rq.ctx(), rq.bucket, location); err != nil {
		return nil, err
	}
	resp := newResponse()
	resp.header.Set("Location", "/"+rq.bucket)
	return resp, nil
}

func handleHeadBucket(s *Server, rq *request) (*response, error) {
	b, err := s.engine().HeadBucket(rq.ctx(), rq.bucket)
	if err != nil {
		return nil, err
	}
	resp := newResponse()
	loc := b.Location
	if loc == "" {
		loc = s.region()
	}
	resp.header.Set("x-amz-bucket-region", loc)
	return resp, nil
}

func handleDeleteBucket(s *Server, rq *request) (*response, error) {
	if err := s.engine().DeleteBucket(rq.ctx(), rq.bucket); err != nil {
		return nil, err
	}
	return statusResponse(http.StatusNoContent), nil
}

func handleGetBucketLocation(s *Server, rq *request) (*response, error) {
	b, err := s.engine().HeadBucket(rq.ctx(), rq.bucket)
	if err != nil {
		return nil, err
	}
	loc := b.Location
	if loc == "us-east-1" {
		loc = "" // as AWS answers for us-east-1
	}
	return xmlResponse(locationConstraint{Xmlns: s3NS, Value: loc}), nil
}

// handleGetACL answers the one ACL there is: the owner has FULL_CONTROL.
func handleGetACL(s *Server, rq *request) (*response, error) {
	if rq.key != "" {
		if _, err := s.engine().HeadObject(rq.ctx(), rq.bucket, rq.key, noGetOptions); err != nil {
			return nil, err
		}
	} else if _, err := s.engine().HeadBucket(rq.ctx(), rq.bucket); err != nil {
		return nil, err
	}
	return xmlResponse(accessControlPolicy{
		Xmlns: s3NS,
		Owner: defaultOwner,
		Grants: []grant{{
			Grantee:    grantee{XMLNSXSI: "http://www.w3.org/2001/XMLSchema-instance", XSIType: "CanonicalUser", ID: defaultOwner.ID, DisplayName: defaultOwner.DisplayName},
			Permission: "FULL_CONTROL",
		}},
	}), nil
}

// bucketNotFoundAnswer answers a bucket configuration we do not keep with
// the "not configured" error AWS gives for an unconfigured bucket.
func bucketNotFoundAnswer(api *APIError) handlerFunc {
	return func(s *Server, rq *request) (*response, error) {
		if _, err := s.engine().HeadBucket(rq.ctx(), rq.bucket); err != nil {
			return nil, err
		}
		return nil, api
	}
}
