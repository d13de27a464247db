package s3

import (
	"cmp"

	"github.com/prismd/prismd/engine"
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

// existingBucket reads the state of the request's bucket (as its
// authorization read it, when it did); NoSuchBucket when it does not exist.
func (s *Server) existingBucket(rq *request) (bucketState, error) {
	if st := rq.bucketState; st != nil && st.Exists {
		return *st, nil
	}
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
	return s.putACL(rq, &st, st.Owner, func(grants []plog.Grant) error {
		return s.engine().SetBucketACL(rq.ctx(), rq.bucket, grants)
	})
}

// putACL reads the ACL a PutBucketAcl or PutObjectAcl asks for, for the
// bucket or object owned by owner (a canonical id), and stores it with
// set. An owner-only ACL on an enforced bucket changes nothing; a request
// that names no ACL at all is MalformedACLError.
func (s *Server) putACL(rq *request, st *bucketState, owner string, set func([]plog.Grant) error) (*response, error) {
	body, err := aclBody(rq)
	if err != nil {
		return nil, err
	}
	grants, changed, err := s.requestACL(rq, st, owner, body)
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
	ownerKey := s.objectOwner(rq, &st)
	if !ok || st.Ownership == "BucketOwnerEnforced" {
		grants = []plog.Grant{grantOf(ownerKey, "FULL_CONTROL")}
	}
	names := aclNames(rq, &st)
	names[engine.CanonicalID(ownerKey)] = ownerKey
	return xmlResponse(aclOutput(ownerKey, grants, names)), nil
}

// objectOwner is the access key that owns the request's object
// (bucketState.ownerKeyOf).
func (s *Server) objectOwner(rq *request, st *bucketState) string {
	info, _ := s.namedObject(rq, rq.bucket, rq.key)
	return st.ownerKeyOf(info.Owner)
}

func handlePutObjectACL(s *Server, rq *request) (*response, error) {
	st, err := s.existingBucket(rq)
	if err != nil {
		return nil, err
	}
	if _, _, err := s.engine().ObjectACL(rq.bucket, rq.key); err != nil {
		return nil, err
	}
	return s.putACL(rq, &st, engine.CanonicalID(s.objectOwner(rq, &st)), func(grants []plog.Grant) error {
		return s.engine().SetObjectACL(rq.ctx(), rq.bucket, rq.key, grants)
	})
}

// newObject is who owns an object a request writes, and the ACL it asks for.
type newObject struct {
	owner  string       // the writer's access key when it owns the object (newObjectOwner); "" the bucket's owner
	grants []plog.Grant // nil: none asked for (or the owner's only, on an enforced bucket)
}

// newObjectACL reads who will own an object the request writes and the
// ACL it asks for.
func (s *Server) newObjectACL(rq *request) (newObject, error) {
	st, err := s.existingBucket(rq)
	if err != nil {
		return newObject{}, err
	}
	n := newObject{owner: newObjectOwner(rq, &st)}
	if !hasACLHeaders(rq) {
		return n, nil
	}
	ownerKey := cmp.Or(n.owner, st.ownerKey)
	grants, set, err := s.requestACL(rq, &st, engine.CanonicalID(ownerKey), nil)
	if err != nil || !set {
		return n, err
	}
	n.grants = grants
	return n, nil
}

// setNewObjectACL applies the ACL a PutObject, CopyObject or
// CompleteMultipartUpload asked for, once the object is committed. An
// object rewritten meanwhile keeps its own (default) ACL.
func (s *Server) setNewObjectACL(rq *request, n newObject) error {
	if n.grants == nil {
		return nil
	}
	return s.engine().SetObjectACL(rq.ctx(), rq.bucket, rq.key, n.grants)
}
