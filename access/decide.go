package access

import (
	"net/netip"
	"slices"
	"strconv"

	"github.com/prismd/prismd/log"
)

// Decision is Decide's answer.
type Decision int

const (
	// ImplicitDeny: nothing allows the request.
	ImplicitDeny Decision = iota
	// Allow: something allows the request and nothing denies it.
	Allow
	// ExplicitDeny: a policy statement or the caller's key scope refuses it.
	ExplicitDeny
)

// Principal is the caller.
type Principal struct {
	Anonymous   bool
	AccessKey   string
	CanonicalID string
	Root        bool     // the root key may do everything
	ReadOnly    bool     // only reads
	Buckets     []string // the buckets the config lists for the key; nil: none
}

// Request is what the caller asks for.
type Request struct {
	Action          string // IAM action name, "s3:GetObject"
	Write           bool   // the action changes state
	Bucket          string // "" for ListBuckets
	Key             string // "" for bucket actions
	SourceIP        netip.Addr
	SecureTransport bool
	// Values holds the request's condition keys by normalized name
	// (s3:prefix, s3:max-keys, s3:x-amz-acl, s3:ExistingObjectTag/<tag>, …).
	Values map[string]string
}

func (r *Request) value(key string) (string, bool) {
	switch key {
	case "aws:sourceip":
		if !r.SourceIP.IsValid() {
			return "", false
		}
		return r.SourceIP.Unmap().String(), true
	case "aws:securetransport":
		return strconv.FormatBool(r.SecureTransport), true
	}
	v, ok := r.Values[key]
	return v, ok
}

// resource is the ARN the request acts on.
func (r *Request) resource() string {
	if r.Key == "" {
		return "arn:aws:s3:::" + r.Bucket
	}
	return "arn:aws:s3:::" + r.Bucket + "/" + r.Key
}

// Bucket is the access configuration of the bucket a request names.
type Bucket struct {
	Exists    bool
	Owner     string      // canonical id of the owner
	Ownership string      // BucketOwnerEnforced, BucketOwnerPreferred, ObjectWriter or ""
	ACL       []log.Grant // the bucket's ACL
	// ObjectACL is the ACL of the object an object action names; nil: the
	// default (the bucket owner's FULL_CONTROL).
	ObjectACL []log.Grant
	// ObjectOwner is the canonical id of the owner of the object an
	// object action names when its writer owns it (ObjectWriter
	// ownership); "" when the bucket's owner does.
	ObjectOwner string
	Policy      *Policy
	Block       log.PublicAccessBlock
}

// Decide answers whether p may make request r on bucket b (see the
// package documentation for the order of the rules).
func Decide(p Principal, r Request, b Bucket) Decision {
	if p.Root && !p.Anonymous {
		return Allow
	}
	if r.Write && p.ReadOnly {
		return ExplicitDeny
	}
	listed := false
	if p.Buckets != nil && r.Bucket != "" {
		if listed = slices.Contains(p.Buckets, r.Bucket); !listed {
			return ExplicitDeny
		}
	}
	if r.Bucket == "" || !b.Exists {
		if p.Anonymous && (r.Bucket == "" || r.Action == "s3:CreateBucket") {
			return ImplicitDeny
		}
		return Allow
	}
	owner := !p.Anonymous && p.CanonicalID == b.Owner
	// An object its writer owns answers to the writer and its own ACL for
	// what its ACL governs (reading it, its ACL): the bucket's owner, the
	// keys the config lists for the bucket and the bucket policy's Allow
	// statements give nothing there; a Deny still refuses.
	_, objectACL := ACLPermission(r.Action)
	foreign := objectACL && b.ObjectOwner != "" && b.ObjectOwner != b.Owner
	if foreign {
		owner, listed = !p.Anonymous && p.CanonicalID == b.ObjectOwner, false
	}
	allowed := false
	if b.Policy != nil {
		restrict := b.Block.RestrictPublicBuckets && b.Policy.Public() && !owner
		switch b.Policy.eval(&p, &r, restrict) {
		case ExplicitDeny:
			return ExplicitDeny
		case Allow:
			allowed = !foreign
		}
	}
	if allowed || owner || listed {
		return Allow
	}
	if b.Ownership != "BucketOwnerEnforced" && aclAllows(&p, &r, &b) {
		return Allow
	}
	return ImplicitDeny
}

// eval runs the statements: ExplicitDeny if a Deny matches, Allow if an
// Allow does (ignored when restrict), else ImplicitDeny.
func (pol *Policy) eval(p *Principal, r *Request, restrict bool) Decision {
	d := ImplicitDeny
	res := r.resource()
	for i := range pol.Statements {
		st := &pol.Statements[i]
		if (!st.Deny && (restrict || d == Allow)) || !st.applies(p, r, res) {
			continue
		}
		if st.Deny {
			return ExplicitDeny
		}
		d = Allow
	}
	return d
}

// applies reports whether the statement covers the request; res is the
// request's ARN.
func (st *Statement) applies(p *Principal, r *Request, res string) bool {
	if !st.principalMatches(p) {
		return false
	}
	hit := false
	for _, a := range st.Actions {
		if matchLower(a, r.Action, true) {
			hit = true
			break
		}
	}
	if hit == st.NotAction {
		return false
	}
	hit = false
	for _, pat := range st.Resources {
		if match(pat, res, false) {
			hit = true
			break
		}
	}
	if hit == st.NotResource {
		return false
	}
	for i := range st.Conditions {
		if !st.Conditions[i].holds(r) {
			return false
		}
	}
	return true
}

func (st *Statement) principalMatches(p *Principal) bool {
	for _, id := range st.Principals {
		if id == "*" || (!p.Anonymous && (id == p.CanonicalID || id == p.AccessKey)) {
			return true
		}
	}
	return false
}
