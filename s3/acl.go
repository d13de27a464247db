package s3

import (
	"encoding/xml"
	"net/http"
	"slices"
	"strings"

	"github.com/prismd/prismd/access"
	plog "github.com/prismd/prismd/log"
)

// ACLs: canned (x-amz-acl), header grants (x-amz-grant-*) and the
// AccessControlPolicy XML, all turned into log.Grant lists, and back.

const xsiNS = "http://www.w3.org/2001/XMLSchema-instance"

// grantHeaders maps the x-amz-grant-* headers to their permission.
var grantHeaders = []struct{ header, permission string }{
	{"X-Amz-Grant-Read", "READ"},
	{"X-Amz-Grant-Write", "WRITE"},
	{"X-Amz-Grant-Read-Acp", "READ_ACP"},
	{"X-Amz-Grant-Write-Acp", "WRITE_ACP"},
	{"X-Amz-Grant-Full-Control", "FULL_CONTROL"},
}

// aclFromHeaders reads the ACL a request's headers ask for: owner and
// bucketOwner are canonical ids. ok is false when the request names none.
func aclFromHeaders(h http.Header, owner, bucketOwner string) (grants []plog.Grant, canned string, ok bool, err error) {
	canned = strings.TrimSpace(h.Get("X-Amz-Acl"))
	explicit := false
	for _, gh := range grantHeaders {
		if v := h.Get(gh.header); v != "" {
			explicit = true
			gs, err := parseGrantHeader(v, gh.permission)
			if err != nil {
				return nil, "", false, err
			}
			grants = append(grants, gs...)
		}
	}
	switch {
	case canned != "" && explicit:
		return nil, "", false, detail(ErrInvalidRequest, "Specifying both Canned ACLs and Header Grants is not allowed")
	case canned != "":
		g, known := access.CannedACL(canned, owner, bucketOwner)
		if !known {
			return nil, "", false, detail(ErrInvalidArgument, "The canned ACL %q is not valid.", canned)
		}
		return g, strings.ToLower(canned), true, nil
	case explicit:
		return grants, "", true, nil
	}
	return nil, "", false, nil
}

// parseGrantHeader reads `id="…", uri="…"` grantee lists.
func parseGrantHeader(v, permission string) ([]plog.Grant, error) {
	var out []plog.Grant
	for _, part := range strings.Split(v, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		val = strings.Trim(strings.TrimSpace(val), `"`)
		if !ok || val == "" {
			return nil, detail(ErrInvalidArgument, "The grant header value %q is not valid.", v)
		}
		g, err := grantee2grant(strings.ToLower(strings.TrimSpace(k)), val)
		if err != nil {
			return nil, err
		}
		g.Permission = permission
		out = append(out, g)
	}
	return out, nil
}

// grantee2grant turns a grantee (kind "id", "uri" or "emailaddress") into a grant.
func grantee2grant(kind, val string) (plog.Grant, error) {
	switch kind {
	case "id":
		if !validCanonicalID(val) {
			return plog.Grant{}, ErrInvalidGrantee
		}
		return plog.Grant{Grantee: "id:" + val}, nil
	case "uri":
		switch val {
		case access.AllUsersURI:
			return plog.Grant{Grantee: access.AllUsers}, nil
		case access.AuthenticatedUsersURI:
			return plog.Grant{Grantee: access.AuthenticatedUsers}, nil
		}
		return plog.Grant{}, detail(ErrInvalidArgument, "Invalid group uri %q.", val)
	case "emailaddress":
		return plog.Grant{}, ErrUnresolvableGrant
	}
	return plog.Grant{}, detail(ErrInvalidArgument, "Invalid grantee kind %q.", kind)
}

func validCanonicalID(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// aclInput is an AccessControlPolicy as a client sends it.
type aclInput struct {
	XMLName xml.Name `xml:"AccessControlPolicy"`
	Owner   *struct {
		ID string `xml:"ID"`
	} `xml:"Owner"`
	Grants []struct {
		Grantee *struct {
			Type         string `xml:"type,attr"`
			ID           string `xml:"ID"`
			URI          string `xml:"URI"`
			EmailAddress string `xml:"EmailAddress"`
		} `xml:"Grantee"`
		Permission string `xml:"Permission"`
	} `xml:"AccessControlList>Grant"`
}

// maxGrants is the most grants an ACL may hold, as on AWS.
const maxGrants = 100

// parseACL reads an AccessControlPolicy document for a resource owned by owner.
func parseACL(body []byte, owner string) ([]plog.Grant, error) {
	var in aclInput
	if err := decodeXML(body, &in); err != nil {
		return nil, ErrMalformedACL
	}
	if in.Owner == nil {
		return nil, ErrMalformedACL
	}
	if in.Owner.ID != owner {
		return nil, detail(ErrAccessDenied, "The Owner ID in the ACL is not the owner of the resource.")
	}
	if len(in.Grants) > maxGrants {
		return nil, detail(ErrMalformedACL, "An ACL holds at most %d grants.", maxGrants)
	}
	out := []plog.Grant{}
	for _, g := range in.Grants {
		if g.Grantee == nil || !slices.Contains(access.Permissions, g.Permission) {
			return nil, ErrMalformedACL
		}
		var kind, val string
		switch g.Grantee.Type {
		case "CanonicalUser":
			kind, val = "id", g.Grantee.ID
		case "Group":
			kind, val = "uri", g.Grantee.URI
		case "AmazonCustomerByEmail":
			kind, val = "emailaddress", g.Grantee.EmailAddress
		default:
			return nil, ErrMalformedACL
		}
		gr, err := grantee2grant(kind, val)
		if err != nil {
			return nil, err
		}
		gr.Permission = g.Permission
		out = append(out, gr)
	}
	return out, nil
}

// aclOutput renders grants as an AccessControlPolicy owned by ownerKey;
// names maps the canonical ids it knows to display names.
func aclOutput(ownerKey string, grants []plog.Grant, names map[string]string) accessControlPolicy {
	out := accessControlPolicy{Xmlns: s3NS, Owner: ownerOf(ownerKey), Grants: []grant{}}
	for _, g := range grants {
		ge := grantee{XMLNSXSI: xsiNS}
		switch {
		case g.Grantee == access.AllUsers:
			ge.XSIType, ge.URI = "Group", access.AllUsersURI
		case g.Grantee == access.AuthenticatedUsers:
			ge.XSIType, ge.URI = "Group", access.AuthenticatedUsersURI
		default:
			ge.XSIType, ge.ID = "CanonicalUser", strings.TrimPrefix(g.Grantee, "id:")
			ge.DisplayName = names[ge.ID]
		}
		out.Grants = append(out.Grants, grant{Grantee: ge, Permission: g.Permission})
	}
	return out
}

// ownerOnly reports whether an ACL asks for nothing an enforced bucket
// owner setting refuses: only the owner's FULL_CONTROL (private,
// bucket-owner-full-control, or the same written out).
func ownerOnly(grants []plog.Grant, canned, owner string) bool {
	if canned == "private" || canned == "bucket-owner-full-control" {
		return true
	}
	for _, g := range grants {
		if g.Grantee != "id:"+owner || g.Permission != "FULL_CONTROL" {
			return false
		}
	}
	return true
}

// requestACL reads the ACL a request asks for, from its headers or (when
// body is set) its AccessControlPolicy, and checks it against the bucket's
// ownership setting and public access block. set is false when the
// request asks for no ACL, or for one an enforced bucket ignores.
func (s *Server) requestACL(rq *request, st *bucketState, owner string, body []byte) (grants []plog.Grant, set bool, err error) {
	grants, canned, set, err := aclFromHeaders(rq.r.Header, owner, st.Owner)
	if err != nil {
		return nil, false, err
	}
	if body != nil {
		if set {
			return nil, false, detail(ErrUnexpectedContent, "This request does not support content with ACL headers.")
		}
		if grants, err = parseACL(body, owner); err != nil {
			return nil, false, err
		}
		set = true
	}
	if !set {
		return nil, false, nil
	}
	if st.Ownership == "BucketOwnerEnforced" {
		if ownerOnly(grants, canned, owner) {
			return nil, false, nil
		}
		return nil, false, ErrACLNotSupported
	}
	if st.Block.BlockPublicAcls && access.PublicGrants(grants) {
		return nil, false, detail(ErrAccessDenied, "The bucket's public access block forbids public ACLs (BlockPublicAcls).")
	}
	return grants, true, nil
}
