package s3

import (
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"

	"github.com/prismd/prismd/access"
	"github.com/prismd/prismd/engine"
	plog "github.com/prismd/prismd/log"
)

// Who may do what is decided in one place: access.Decide, asked by
// authorize for every request (and by allowed for what a request reads
// besides its own target: a copy source, each key of DeleteObjects).
// Handlers never decide access themselves.

// anonymousAuth is the authResult of an unsigned request. Its body may
// be a plain or unsigned-trailer stream, never a signed one.
func anonymousAuth(r *http.Request) (*authResult, error) {
	ph := r.Header.Get("X-Amz-Content-Sha256")
	switch {
	case ph == "":
		ph = unsignedPayload
	case ph == streamingSigned || ph == streamingSignedT:
		return nil, detail(ErrAccessDenied, "A signed streaming payload needs a signed request.")
	}
	return &authResult{Anonymous: true, PayloadHash: ph}, nil
}

// principal is the caller as access sees it.
func principal(a *authResult) access.Principal {
	if a.Anonymous {
		return access.Principal{Anonymous: true}
	}
	k := a.Key
	p := access.Principal{AccessKey: k.AccessKey, CanonicalID: engine.CanonicalID(k.AccessKey), Root: k.Root, ReadOnly: k.ReadOnly}
	if len(k.Buckets) > 0 {
		p.Buckets = k.Buckets
	}
	return p
}

// bucketState is a bucket's access configuration as access needs it.
type bucketState struct {
	access.Bucket
	ownerKey string // access key id of the owner
}

// bucketState reads a bucket's access configuration; Exists is false
// when there is no such bucket.
func (s *Server) bucketState(bucket string) (bucketState, error) {
	a, err := s.engine().BucketAccess(bucket)
	if errors.Is(err, engine.ErrNoSuchBucket) {
		return bucketState{}, nil
	}
	if err != nil {
		return bucketState{}, err
	}
	st := bucketState{ownerKey: a.Owner}
	if st.ownerKey == "" {
		st.ownerKey = s.engine().RootAccessKey()
	}
	st.Exists = true
	st.Owner = engine.CanonicalID(st.ownerKey)
	st.Ownership, st.ACL = a.Ownership, a.Grants
	if a.Block != nil {
		st.Block = *a.Block
	}
	if a.Policy != "" {
		if st.Policy, err = s.parsedPolicy(a.Policy, bucket); err != nil {
			return bucketState{}, err
		}
	}
	return st, nil
}

// policyCache keeps each bucket's parsed policy with the document it was
// parsed from, so that a request does not parse its bucket's policy again.
type policyCache struct {
	mu sync.RWMutex
	m  map[string]cachedPolicy
}

type cachedPolicy struct {
	doc    string
	policy *access.Policy
}

const maxCachedPolicies = 4096

func (s *Server) parsedPolicy(doc, bucket string) (*access.Policy, error) {
	c := &s.policies
	c.mu.RLock()
	e, ok := c.m[bucket]
	c.mu.RUnlock()
	if ok && e.doc == doc {
		return e.policy, nil
	}
	p, err := access.ParsePolicy([]byte(doc), bucket)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxCachedPolicies {
		c.m = map[string]cachedPolicy{}
	}
	c.m[bucket] = cachedPolicy{doc: doc, policy: p}
	c.mu.Unlock()
	return p, nil
}

// policyQuery and policyHeaders are the request's condition keys a policy
// may read, by query parameter and by canonical header name.
var (
	policyQuery = []struct{ param, key string }{
		{"prefix", "s3:prefix"}, {"delimiter", "s3:delimiter"}, {"max-keys", "s3:max-keys"}}
	policyHeaders = []struct{ header, key string }{
		{"X-Amz-Acl", "s3:x-amz-acl"}, {"X-Amz-Copy-Source", "s3:x-amz-copy-source"},
		{"X-Amz-Metadata-Directive", "s3:x-amz-metadata-directive"},
		{"X-Amz-Server-Side-Encryption", "s3:x-amz-server-side-encryption"},
		{"X-Amz-Storage-Class", "s3:x-amz-storage-class"}}
)

// accessRequest builds what access needs to know of the request.
func accessRequest(rq *request, action string, write bool, bucket, key string, st *bucketState) access.Request {
	ar := access.Request{Action: action, Write: write, Bucket: bucket, Key: key, SecureTransport: rq.r.TLS != nil}
	pol := st.Policy
	if pol == nil {
		return ar
	}
	if pol.Reads("aws:sourceip") {
		if host, _, err := net.SplitHostPort(rq.r.RemoteAddr); err == nil {
			ar.SourceIP, _ = netip.ParseAddr(host)
		}
	}
	set := func(name, v string) {
		if ar.Values == nil {
			ar.Values = map[string]string{}
		}
		ar.Values[name] = v
	}
	for _, q := range policyQuery {
		if pol.Reads(q.key) && rq.q.Has(q.param) {
			set(q.key, rq.q.Get(q.param))
		}
	}
	for _, h := range policyHeaders {
		if v := rq.r.Header.Get(h.header); v != "" && pol.Reads(h.key) {
			set(h.key, v)
		}
	}
	return ar
}

// decide asks access whether the caller may make action on bucket/key.
func (s *Server) decide(rq *request, action string, write bool, bucket, key string) (access.Decision, bucketState, error) {
	var st bucketState
	if bucket != "" {
		var err error
		if st, err = s.bucketState(bucket); err != nil {
			return access.ImplicitDeny, st, err
		}
	}
	// The object an object action names is read once, for what the
	// decision needs of it: its ACL and owner, its tags.
	_, objectACL := access.ACLPermission(action)
	objectACL = objectACL && st.Exists && st.Ownership != "BucketOwnerEnforced"
	var obj engine.ObjectInfo
	found := false
	if key != "" && (objectACL || st.Policy.ReadsTags()) {
		obj, found = s.namedObject(rq, bucket, key)
	}
	if objectACL {
		if g, ok, err := s.engine().ObjectACL(bucket, key); err == nil && ok {
			st.ObjectACL = g
		}
		if k := st.ownerKeyOf(obj.Owner); found && k != st.ownerKey {
			st.ObjectOwner = engine.CanonicalID(k)
		}
	}
	ar := accessRequest(rq, action, write, bucket, key, &st)
	if found && st.Policy.ReadsTags() {
		addExistingTags(&ar, obj.Tags)
	}
	return access.Decide(principal(rq.auth), ar, st.Bucket), st, nil
}

// namedObject reads the object an action names: the version the request
// names when the object is the request's own target, else the latest.
func (s *Server) namedObject(rq *request, bucket, key string) (engine.ObjectInfo, bool) {
	id := ""
	if bucket == rq.bucket && key == rq.key {
		id = rq.q.Get("versionId")
	}
	info, err := s.engine().HeadObject(rq.ctx(), bucket, key, engine.GetOptions{VersionID: id})
	return info, err == nil
}

// authorize decides the request's own operation. A refusal is
// AccessDenied, the same whether or not the bucket or key exists.
func (s *Server) authorize(rq *request) error {
	rt := rq.route
	bucket, key := rq.bucket, rq.key
	if rt.action == "s3:CreateBucket" || rt.action == "s3:ListAllMyBuckets" {
		bucket = "" // whether the name is taken is the handler's answer
		if rq.auth.Anonymous {
			return ErrAccessDenied
		}
		if rt.action == "s3:CreateBucket" {
			p := principal(rq.auth)
			if d := access.Decide(p, access.Request{Action: rt.action, Write: true, Bucket: rq.bucket}, access.Bucket{}); d != access.Allow {
				return ErrAccessDenied
			}
		}
		return nil
	}
	if rt.method == "POST" && rt.level == levelBucket && rt.sub == "" {
		// POST Object: the caller and the key are in the form; the
		// handler asks access.Decide once it read them (handlers_post.go).
		return nil
	}
	if rt.sub == "delete" {
		// DeleteObjects: every key is decided on its own (handleDeleteObjects);
		// here only what refuses the whole request: a read-only or scoped key.
		if access.Decide(principal(rq.auth), access.Request{Action: rt.action, Write: true, Bucket: bucket}, access.Bucket{}) != access.Allow {
			return ErrAccessDenied
		}
		return nil
	}
	if rt.level != levelObject {
		key = ""
	}
	d, st, err := s.decide(rq, requestAction(rq), rt.write, bucket, key)
	if err != nil {
		return err
	}
	if d == access.Allow && !st.Exists {
		// Answered here, not by the handler: a bucket created meanwhile by
		// someone else must not take a write decided without its owner.
		return ErrNoSuchBucket
	}
	if d != access.Allow {
		if rt.level == levelObject && !rt.write && st.Exists && s.objectMissing(bucket, key) {
			return s.hideMissingKey(rq, ErrNoSuchKey)
		}
		return ErrAccessDenied
	}
	if want := rq.r.Header.Get("X-Amz-Expected-Bucket-Owner"); want != "" && st.Exists && want != st.Owner {
		return ErrAccessDenied
	}
	rq.bucketState = &st
	return nil
}

// allowed reports whether the caller may make action on bucket/key, for
// what a request touches besides its own target.
// A missing bucket is ErrNoSuchBucket: nothing is allowed in a bucket
// that might be created, by someone else, before the request runs.
func (s *Server) allowed(rq *request, action string, write bool, bucket, key string) (bool, error) {
	d, st, err := s.decide(rq, action, write, bucket, key)
	if err == nil && d == access.Allow && !st.Exists {
		return false, ErrNoSuchBucket
	}
	return d == access.Allow, err
}

// hideMissingKey turns NoSuchKey into AccessDenied for a caller who may
// not list the bucket, as S3 does: only a caller allowed to list it may
// learn that a key does not exist.
func (s *Server) hideMissingKey(rq *request, err error) error {
	if err == nil || toAPIError(err).Code != ErrNoSuchKey.Code {
		return err
	}
	ok, aerr := s.allowed(rq, "s3:ListBucket", false, rq.bucket, "")
	if aerr != nil || !ok {
		return ErrAccessDenied
	}
	return err
}

// objectMissing reports whether bucket holds no object at key.
func (s *Server) objectMissing(bucket, key string) bool {
	_, _, err := s.engine().ObjectACL(bucket, key)
	return errors.Is(err, engine.ErrNoSuchKey)
}

// ownerOf is the Owner element of an access key.
func ownerOf(accessKey string) owner {
	return owner{ID: engine.CanonicalID(accessKey), DisplayName: accessKey}
}

// ownerKeyOf is the access key that owns an object (or the object of an
// upload) of the bucket whose recorded owner is writer: the writer when it
// owns it (ObjectWriter ownership), else the bucket's owner. Under
// BucketOwnerEnforced the bucket's owner owns every object.
func (st *bucketState) ownerKeyOf(writer string) string {
	if writer == "" || st.Ownership == "BucketOwnerEnforced" {
		return st.ownerKey
	}
	return writer
}

// newObjectOwner is the access key that will own an object the request
// writes when it is not the bucket's owner: the writer under ObjectWriter,
// and under BucketOwnerPreferred unless its ACL is bucket-owner-full-control.
// "" when the bucket's owner will own it (and always for an anonymous writer).
func newObjectOwner(rq *request, st *bucketState) string {
	if rq.auth.Anonymous || rq.auth.Key.AccessKey == st.ownerKey {
		return ""
	}
	switch st.Ownership {
	case "ObjectWriter":
		return rq.auth.Key.AccessKey
	case "BucketOwnerPreferred":
		if !strings.EqualFold(rq.r.Header.Get("X-Amz-Acl"), "bucket-owner-full-control") {
			return rq.auth.Key.AccessKey
		}
	}
	return ""
}

// grantOf is the canonical id grant of an access key.
func grantOf(accessKey, permission string) plog.Grant {
	return plog.Grant{Grantee: "id:" + engine.CanonicalID(accessKey), Permission: permission}
}
