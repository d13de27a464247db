package s3

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/prismd/prismd/access"
	"github.com/prismd/prismd/engine"
)

// validBucketName applies the S3 bucket naming rules (the engine's, so the
// two layers never disagree).
func validBucketName(name string) bool { return engine.ValidBucketName(name) }

// listsBucket reports whether ListBuckets shows b to key k: the root key
// sees every bucket, a key with a bucket list those, any other key the
// buckets it owns.
func listsBucket(k engine.AccessKey, root string, b engine.BucketInfo) bool {
	switch {
	case k.Root:
		return true
	case len(k.Buckets) > 0:
		return slices.Contains(k.Buckets, b.Name)
	}
	return b.Owner == k.AccessKey || b.Owner == "" && k.AccessKey == root
}

func handleCreateBucket(s *Server, rq *request) (*response, error) {
	if !validBucketName(rq.bucket) {
		return nil, ErrInvalidBucketName
	}
	if err := s.bucketTaken(rq); err != nil {
		return nil, err
	}
	objectLock, err := bucketObjectLockHeader(rq.r.Header)
	if err != nil {
		return nil, err
	}
	ownership := rq.r.Header.Get("X-Amz-Object-Ownership")
	if ownership == "" {
		ownership = "BucketOwnerEnforced"
	} else if !validOwnership(ownership) {
		return nil, detail(ErrInvalidArgument, "Invalid x-amz-object-ownership header: %s", ownership)
	}
	me := ownerOf(rq.auth.Key.AccessKey).ID
	st := bucketState{Bucket: access.Bucket{Owner: me, Ownership: ownership}}
	grants, set, err := s.requestACL(rq, &st, me, nil)
	if err != nil {
		if errors.Is(err, ErrACLNotSupported) {
			return nil, ErrInvalidBucketACLOwnership
		}
		return nil, err
	}
	if !set {
		grants = nil
	}
	location := ""
	if rq.r.ContentLength != 0 {
		p, err := newPayload(rq.r, rq.auth, "")
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
	in := engine.CreateBucketInput{Name: rq.bucket, Location: location, Owner: rq.auth.Key.AccessKey, Ownership: ownership, Grants: grants, ObjectLock: objectLock}
	if err := s.engine().CreateBucketFor(rq.ctx(), in); err != nil {
		if errors.Is(err, engine.ErrBucketExists) {
			return nil, s.bucketTaken(rq)
		}
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

// bucketTaken answers a CreateBucket of a name in use: 409
// BucketAlreadyOwnedByYou for its owner, BucketAlreadyExists for others.
func (s *Server) bucketTaken(rq *request) error {
	st, err := s.bucketState(rq.bucket)
	switch {
	case err != nil:
		return err
	case !st.Exists:
		return nil
	case st.ownerKey == rq.auth.Key.AccessKey:
		return ErrBucketAlreadyOwnedByYou
	}
	return ErrBucketAlreadyExists
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
