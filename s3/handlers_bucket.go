package s3

import (
	"net"
	"net/http"
	"strings"
)

// validBucketName applies the S3 bucket naming rules: 3–63 characters of
// lower-case letters, digits, '.' and '-', starting and ending with a letter
// or digit, no "..", not an IP address, no reserved prefix or suffix.
func validBucketName(name string) bool {
	if len(name) < 3 || len(name) > 63 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '-') {
			return false
		}
	}
	first, last := name[0], name[len(name)-1]
	if first == '.' || first == '-' || last == '.' || last == '-' {
		return false
	}
	if strings.Contains(name, "..") || strings.Contains(name, ".-") || strings.Contains(name, "-.") {
		return false
	}
	if net.ParseIP(name) != nil {
		return false
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(name, p) {
			return false
		}
	}
	for _, s := range []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"} {
		if strings.HasSuffix(name, s) {
			return false
		}
	}
	return true
}

func handleListBuckets(s *Server, rq *request) (*response, error) {
	bs, err := s.engine().ListBuckets(rq.ctx())
	if err != nil {
		return nil, err
	}
	out := listAllMyBucketsResult{Xmlns: s3NS, Owner: defaultOwner, Buckets: []bucketItem{}}
	for _, b := range bs {
		if !bucketAllowed(rq.auth.Key, b.Name) {
			continue
		}
		out.Buckets = append(out.Buckets, bucketItem{Name: b.Name, CreationDate: timeISO(b.Created), BucketRegion: b.Location})
	}
	return xmlResponse(out), nil
}

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

func handleGetBucketVersioning(s *Server, rq *request) (*response, error) {
	if _, err := s.engine().HeadBucket(rq.ctx(), rq.bucket); err != nil {
		return nil, err
	}
	return xmlResponse(versioningConfiguration{Xmlns: s3NS}), nil
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
