package s3

import (
	plog "github.com/prismd/prismd/log"
)

// aclNames maps the canonical ids of the bucket owner and the caller to
// their display names (their access key ids).
func aclNames(rq *request, st *bucketState) map[string]string {
	names := map[string]string{st.Owner: st.ownerKey}
	if !rq.auth.Anonymous {
		names[ownerOf(rq.auth.Key.AccessKey).ID] = rq.auth.Key.AccessKey
	}
	return names
}

// existingBucket reads the state of the request's bucket; NoSuchBucket
// when it does not exist.
func (s *Server) existingBucket(rq *request) (bucketState, error) {
	st, err := s.bucketState(rq.bucket)
	if err != nil {
		return st, err
	}
	if !st.Exists {
		return st, ErrNoSuchBucket
	}
	return st, nil
}

func handleGetBucketACL(s *Server, rq *request) (*response, error) {
	st, err := s.existingBucket(rq)
	if err != nil {
		return nil, err
	}
	grants := st.ACL
	if grants == nil || st.Ownership == "BucketOwnerEnforced" {
		grants = []plog.Grant{grantOf(st.ownerKey, "FULL_CONTROL")}
	}
	return xmlResponse(aclOutput(st.ownerKey, grants, aclNames(rq, &st))), nil
}

// aclBody reads the AccessControlPolicy of a Put…Acl request, nil when it
// sends none.
func aclBody(rq *request) ([]byte, error) {
	if rq.r.ContentLength == 0 {
		return nil, nil
	}
	b, err := readSmallBody(rq, 64<<10)
	if err != nil || len(b) == 0 {
		return nil, err
	}
	return b, nil
}

func handlePutBucketACL(s *Server, rq *request) (*response, error) {
	st, err := s.existingBucket(rq)
	if err != nil {
		return nil, err
	}
	return s.putACL(rq, &st, func(grants []plog.Grant) error {
		return s.engine().SetBucketACL(rq.ctx(), rq.bucket, grants)
	})
}

// putACL reads the ACL a PutBucketAcl or PutObjectAcl asks for and stores
// it with set. An owner-only ACL on an enforced bucket changes nothing; a
// request that names no ACL at all is MalformedACLError.
func (s *Server) putACL(rq *request, st *bucketState, set func([]plog.Grant) error) (*response, error) {
	body, err := aclBody(rq)
	if err != nil {
		return nil, err
	}
	grants, changed, err := s.requestACL(rq, st, st.Owner, body)
	if err != nil {
		return nil, err
	}
	if !changed {
		if body == nil && !hasACLHeaders(rq) {
			return nil, detail(ErrMalformedACL, "The request names no ACL: send x-amz-acl, x-amz-grant-* or an AccessControlPolicy.")
		}
		return newResponse(), nil
	}
	if err := set(grants); err != nil {
		return nil, err
	}
	return newResponse(), nil
}

func hasACLHeaders(rq *request) bool {
	if rq.r.Header.Get("X-Amz-Acl") != "" {
		return true
	}
	for _, gh := range grantHeaders {
		if rq.r.Header.Get(gh.header) != "" {
			return true
		}
	}
	return false
}

func handleGetObjectACL(s *Server, rq *request) (*response, error) {
	st, err := s.existingBucket(rq)
	if err != nil {
		return nil, err
	}
	grants, ok, err := s.engine().ObjectACL(rq.bucket, rq.key)
	if err != nil {
		return nil, err
	}
	if !ok || st.Ownership == "BucketOwnerEnforced" {
		grants = []plog.Grant{grantOf(st.ownerKey, "FULL_CONTROL")}
	}
	return xmlResponse(aclOutput(st.ownerKey, grants, aclNames(rq, &st))), nil
}

func handlePutObjectACL(s *Server, rq *request) (*response, error) {
	st, err := s.existingBucket(rq)
	if err != nil {
		return nil, err
	}
	if _, _, err := s.engine().ObjectACL(rq.bucket, rq.key); err != nil {
		return nil, err
	}
	return s.putACL(rq, &st, func(grants []plog.Grant) error {
		return s.engine().SetObjectACL(rq.ctx(), rq.bucket, rq.key, grants)
	})
}

// newObjectACL reads the ACL a request writing an object asks for; nil
// when it asks for none (or for the owner's only, on an enforced bucket).
func (s *Server) newObjectACL(rq *request) ([]plog.Grant, error) {
	if !hasACLHeaders(rq) {
		return nil, nil
	}
	st, err := s.existingBucket(rq)
	if err != nil {
		return nil, err
	}
	grants, set, err := s.requestACL(rq, &st, st.Owner, nil)
	if err != nil || !set {
		return nil, err
	}
	return grants, nil
}

// setNewObjectACL applies the ACL a PutObject, CopyObject or
// CompleteMultipartUpload asked for, once the object is committed. An
// object rewritten meanwhile keeps its own (default) ACL.
func (s *Server) setNewObjectACL(rq *request, grants []plog.Grant) error {
	if grants == nil {
		return nil
	}
	return s.engine().SetObjectACL(rq.ctx(), rq.bucket, rq.key, grants)
}
