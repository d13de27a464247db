package access

import (
	"strings"

	"github.com/prismd/prismd/log"
)

// Grantees of the two groups S3 ACLs know.
const (
	AllUsers           = "group:AllUsers"
	AuthenticatedUsers = "group:AuthenticatedUsers"
)

// Group URIs as S3 writes them.
const (
	AllUsersURI           = "http://acs.amazonaws.com/groups/global/AllUsers"
	AuthenticatedUsersURI = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
)

// Permissions an ACL grant may give.
var Permissions = []string{"FULL_CONTROL", "READ", "WRITE", "READ_ACP", "WRITE_ACP"}

// ACLPermission is the permission an action needs from an ACL, and
// whether it is read from the object's ACL (else the bucket's). "" means
// no ACL grant allows the action.
func ACLPermission(action string) (perm string, object bool) {
	switch action {
	case "s3:ListBucket", "s3:ListBucketMultipartUploads", "s3:ListBucketVersions", "s3:ListMultipartUploadParts":
		return "READ", false
	case "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:DeleteObjectVersion":
		return "WRITE", false
	case "s3:GetBucketAcl":
		return "READ_ACP", false
	case "s3:PutBucketAcl":
		return "WRITE_ACP", false
	case "s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTagging", "s3:GetObjectVersionTagging":
		return "READ", true
	case "s3:GetObjectAcl":
		return "READ_ACP", true
	case "s3:PutObjectAcl":
		return "WRITE_ACP", true
	}
	return "", false
}

func aclAllows(p *Principal, r *Request, b *Bucket) bool {
	perm, object := ACLPermission(r.Action)
	if perm == "" {
		return false
	}
	grants := b.ACL
	if object {
		if b.ObjectACL == nil {
			return false // the default ACL: the owner's, checked before
		}
		grants = b.ObjectACL
	}
	for _, g := range grants {
		if g.Permission != perm && g.Permission != "FULL_CONTROL" {
			continue
		}
		switch g.Grantee {
		case AllUsers:
			if !b.Block.IgnorePublicAcls {
				return true
			}
		case AuthenticatedUsers:
			if !b.Block.IgnorePublicAcls && !p.Anonymous {
				return true
			}
		default:
			if !p.Anonymous && g.Grantee == "id:"+p.CanonicalID {
				return true
			}
		}
	}
	return false
}

// PublicGrants reports whether grants give anything to AllUsers or
// AuthenticatedUsers.
func PublicGrants(grants []log.Grant) bool {
	for _, g := range grants {
		if g.Grantee == AllUsers || g.Grantee == AuthenticatedUsers {
			return true
		}
	}
	return false
}

// CannedACL returns the grants of a canned ACL for an object or bucket
// owned by owner in a bucket owned by bucketOwner (canonical ids), and
// false for an unknown name.
func CannedACL(name, owner, bucketOwner string) ([]log.Grant, bool) {
	full := log.Grant{Grantee: "id:" + owner, Permission: "FULL_CONTROL"}
	switch strings.ToLower(name) {
	case "private":
		return []log.Grant{full}, true
	case "public-read":
		return []log.Grant{full, {Grantee: AllUsers, Permission: "READ"}}, true
	case "public-read-write":
		return []log.Grant{full, {Grantee: AllUsers, Permission: "READ"}, {Grantee: AllUsers, Permission: "WRITE"}}, true
	case "authenticated-read":
		return []log.Grant{full, {Grantee: AuthenticatedUsers, Permission: "READ"}}, true
	case "bucket-owner-read":
		if bucketOwner == owner {
			return []log.Grant{full}, true
		}
		return []log.Grant{full, {Grantee: "id:" + bucketOwner, Permission: "READ"}}, true
	case "bucket-owner-full-control":
		if bucketOwner == owner {
			return []log.Grant{full}, true
		}
		return []log.Grant{full, {Grantee: "id:" + bucketOwner, Permission: "FULL_CONTROL"}}, true
	}
	return nil, false
}
