package access

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/prismd/prismd/log"
)

var (
	owner   = Principal{AccessKey: "OWNER", CanonicalID: "c-owner"}
	other   = Principal{AccessKey: "OTHER", CanonicalID: "c-other"}
	anon    = Principal{Anonymous: true}
	rootKey = Principal{AccessKey: "ROOT", CanonicalID: "c-root", Root: true}
)

func mustPolicy(t *testing.T, doc string) *Policy {
	t.Helper()
	p, err := ParsePolicy([]byte(doc), "b")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDecide(t *testing.T) {
	prefixPolicy := `{"Version":"2012-10-17","Statement":[
	 {"Sid":"read","Effect":"Allow","Principal":{"AWS":["OTHER"]},"Action":["s3:Get*"],"Resource":"arn:aws:s3:::b/shared/*"},
	 {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::c-other:root"},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::b",
	  "Condition":{"StringLike":{"s3:prefix":"shared/*"},"NumericLessThanEquals":{"s3:max-keys":"100"}}},
	 {"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/shared/secret*"}]}`
	publicPolicy := `{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}`
	ipPolicy := `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*",
	  "Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"},"Bool":{"aws:SecureTransport":"true"}}}]}`
	notAction := `{"Statement":[{"Effect":"Deny","Principal":"*","NotAction":"s3:Get*","Resource":"*"},
	  {"Effect":"Allow","Principal":"*","Action":"*","NotResource":"arn:aws:s3:::b/private/*"}]}`
	tagPolicy := `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*",
	  "Condition":{"StringEquals":{"s3:ExistingObjectTag/Class":"public"}}}]}`
	aclPolicy := `{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*",
	  "Condition":{"StringNotEquals":{"s3:x-amz-acl":"private"}}}]}`
	pubRead := []log.Grant{{Grantee: "id:c-owner", Permission: "FULL_CONTROL"}, {Grantee: AllUsers, Permission: "READ"}}
	authRead := []log.Grant{{Grantee: AuthenticatedUsers, Permission: "READ"}}
	otherWrite := []log.Grant{{Grantee: "id:c-other", Permission: "WRITE"}}
	get := func(key string) Request { return Request{Action: "s3:GetObject", Bucket: "b", Key: key} }
	put := func(key string) Request { return Request{Action: "s3:PutObject", Write: true, Bucket: "b", Key: key} }
	list := func(prefix, max string) Request {
		return Request{Action: "s3:ListBucket", Bucket: "b", Values: map[string]string{"s3:prefix": prefix, "s3:max-keys": max}}
	}
	with := func(r Request, f func(*Request)) Request { f(&r); return r }
	base := Bucket{Exists: true, Owner: "c-owner"}
	pol := func(doc string) Bucket { b := base; b.Policy = mustPolicy(t, doc); return b }
	acl := func(g []log.Grant, obj []log.Grant) Bucket {
		b := base
		b.Ownership, b.ACL, b.ObjectACL = "ObjectWriter", g, obj
		return b
	}
	cases := []struct {
		name string
		p    Principal
		r    Request
		b    Bucket
		want Decision
	}{
		{"root", rootKey, put("x"), base, Allow},
		{"owner", owner, put("x"), base, Allow},
		{"other", other, get("x"), base, ImplicitDeny},
		{"anonymous", anon, get("x"), base, ImplicitDeny},
		{"read-only owner write", Principal{CanonicalID: "c-owner", ReadOnly: true}, put("x"), base, ExplicitDeny},
		{"read-only owner read", Principal{CanonicalID: "c-owner", ReadOnly: true}, get("x"), base, Allow},
		{"listed key", Principal{CanonicalID: "z", Buckets: []string{"b"}}, put("x"), base, Allow},
		{"key listing others", Principal{CanonicalID: "c-owner", Buckets: []string{"c"}}, get("x"), base, ExplicitDeny},
		{"missing bucket", other, get("x"), Bucket{}, Allow},
		{"anonymous create", anon, Request{Action: "s3:CreateBucket", Write: true, Bucket: "n"}, Bucket{}, ImplicitDeny},
		{"anonymous list buckets", anon, Request{Action: "s3:ListAllMyBuckets"}, Bucket{}, ImplicitDeny},
		{"policy prefix", other, get("shared/a"), pol(prefixPolicy), Allow},
		{"policy other prefix", other, get("mine/a"), pol(prefixPolicy), ImplicitDeny},
		{"policy deny wins", other, get("shared/secret.txt"), pol(prefixPolicy), ExplicitDeny},
		{"policy deny binds owner", owner, get("shared/secret.txt"), pol(prefixPolicy), ExplicitDeny},
		{"policy list prefix", other, list("shared/x", "50"), pol(prefixPolicy), Allow},
		{"policy list wrong prefix", other, list("mine/", "50"), pol(prefixPolicy), ImplicitDeny},
		{"policy list too many", other, list("shared/", "1000"), pol(prefixPolicy), ImplicitDeny},
		{"policy not for anon", anon, get("shared/a"), pol(prefixPolicy), ImplicitDeny},
		{"public policy anon", anon, get("a"), pol(publicPolicy), Allow},
		{"public policy no put", anon, put("a"), pol(publicPolicy), ImplicitDeny},
		{"restrict public", anon, get("a"), func() Bucket { b := pol(publicPolicy); b.Block.RestrictPublicBuckets = true; return b }(), ImplicitDeny},
		{"restrict public owner", owner, get("a"), func() Bucket { b := pol(publicPolicy); b.Block.RestrictPublicBuckets = true; return b }(), Allow},
		{"ip inside", anon, with(get("a"), func(r *Request) { r.SourceIP = netip.MustParseAddr("10.1.2.3"); r.SecureTransport = true }), pol(ipPolicy), Allow},
		{"ip outside", anon, with(get("a"), func(r *Request) { r.SourceIP = netip.MustParseAddr("11.1.2.3"); r.SecureTransport = true }), pol(ipPolicy), ImplicitDeny},
		{"ip not tls", anon, with(get("a"), func(r *Request) { r.SourceIP = netip.MustParseAddr("10.1.2.3") }), pol(ipPolicy), ImplicitDeny},
		{"notaction deny", other, put("a"), pol(notAction), ExplicitDeny},
		{"notresource allow", other, get("a"), pol(notAction), Allow},
		{"notresource outside", other, get("private/a"), pol(notAction), ImplicitDeny},
		{"tag matches", anon, with(get("a"), func(r *Request) { r.Values = map[string]string{"s3:existingobjecttag/Class": "public"} }), pol(tagPolicy), Allow},
		{"tag differs", anon, with(get("a"), func(r *Request) { r.Values = map[string]string{"s3:existingobjecttag/Class": "secret"} }), pol(tagPolicy), ImplicitDeny},
		{"tag absent", anon, get("a"), pol(tagPolicy), ImplicitDeny},
		{"acl condition absent denies", owner, put("a"), pol(aclPolicy), ExplicitDeny},
		{"acl condition private", owner, with(put("a"), func(r *Request) { r.Values = map[string]string{"s3:x-amz-acl": "private"} }), pol(aclPolicy), Allow},
		{"bucket acl public list", anon, list("", ""), acl(pubRead, nil), Allow},
		{"bucket acl not objects", anon, get("a"), acl(pubRead, nil), ImplicitDeny},
		{"object acl public", anon, get("a"), acl(nil, pubRead), Allow},
		{"object acl ignored", anon, get("a"), func() Bucket { b := acl(nil, pubRead); b.Block.IgnorePublicAcls = true; return b }(), ImplicitDeny},
		{"acls disabled", anon, get("a"), func() Bucket { b := acl(nil, pubRead); b.Ownership = "BucketOwnerEnforced"; return b }(), ImplicitDeny},
		{"authenticated read signed", other, list("", ""), acl(authRead, nil), Allow},
		{"authenticated read anon", anon, list("", ""), acl(authRead, nil), ImplicitDeny},
		{"grant write", other, put("a"), acl(otherWrite, nil), Allow},
		{"grant write not read", other, get("a"), acl(otherWrite, nil), ImplicitDeny},
		{"grant not to acl", other, Request{Action: "s3:PutBucketPolicy", Write: true, Bucket: "b"}, acl(otherWrite, nil), ImplicitDeny},
	}
	for _, c := range cases {
		if got := Decide(c.p, c.r, c.b); got != c.want {
			t.Errorf("%s: got %d, want %d", c.name, got, c.want)
		}
	}
}

func TestParsePolicyRefuses(t *testing.T) {
	for _, doc := range []string{
		``, `[]`, `{"Statement":[]}`, `{"Version":"2020-01-01","Statement":[]}`,
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*"}]}`,
		`{"Statement":[{"Effect":"Maybe","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`,
		`{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`,
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ec2:Run","Resource":"arn:aws:s3:::b/*"}]}`,
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","NotAction":"s3:PutObject","Resource":"arn:aws:s3:::b/*"}]}`,
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject"}]}`,
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"Foo":{"a":"b"}}}]}`,
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"IpAddress":{"aws:SourceIp":"nope"}}}]}`,
		`{"Statement":[{"Effect":"Allow","Principal":{"Service":"x"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`,
		`{"Statement":[{"Sid":"a","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"b"}]}`,
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Extra":1}]}`,
		`{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}} {}`,
		`{"Statement":[{"Sid":"x","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},{"Sid":"x","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`,
		`{"Statement":` + strings.Repeat(" ", MaxPolicySize) + `[]}`,
	} {
		if _, err := ParsePolicy([]byte(doc), "b"); !errors.Is(err, ErrMalformedPolicy) || err.Error() == ErrMalformedPolicy.Error() {
			t.Errorf("%.80s: %v", doc, err)
		}
	}
}

func TestPublic(t *testing.T) {
	for doc, want := range map[string]bool{
		`{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}`:                                                         true,
		`{"Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}`:                                                 true,
		`{"Statement":{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}`:                                                          false,
		`{"Statement":{"Effect":"Allow","Principal":{"AWS":"K"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}`:                                                 false,
		`{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}}`: false,
		`{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}}}`:  true,
	} {
		if got := mustPolicy(t, doc).Public(); got != want {
			t.Errorf("%s: public %v", doc, got)
		}
	}
}

func TestMatch(t *testing.T) {
	for _, c := range []struct {
		p, s string
		want bool
	}{{"*", "", true}, {"a*c", "abbbc", true}, {"a?c", "abc", true}, {"a?c", "ac", false}, {"*/x*", "a/b/xy", true}, {"a*", "b", false}, {"**a", "ba", true}} {
		if match(c.p, c.s, false) != c.want {
			t.Errorf("match(%q, %q) != %v", c.p, c.s, c.want)
		}
	}
}

func FuzzParsePolicy(f *testing.F) {
	f.Add([]byte(`{"Version":"2012-10-17","Statement":[{"Sid":"a","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::K:root"]},"Action":["s3:Get*"],"Resource":["arn:aws:s3:::b/*"],"Condition":{"StringLike":{"s3:prefix":["a/*"]},"IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}}}]}`))
	f.Add([]byte(`{"Statement":{"Effect":"Deny","Principal":"*","NotAction":"s3:*","NotResource":"*"}}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		p, err := ParsePolicy(doc, "b")
		if err != nil {
			if !errors.Is(err, ErrMalformedPolicy) {
				t.Fatalf("error without ErrMalformedPolicy: %v", err)
			}
			return
		}
		p.Public()
		for _, pr := range []Principal{owner, other, anon} {
			Decide(pr, Request{Action: "s3:GetObject", Bucket: "b", Key: "a/x", SourceIP: netip.MustParseAddr("10.0.0.1"),
				Values: map[string]string{"s3:prefix": "a/"}}, Bucket{Exists: true, Owner: "c-owner", Policy: p})
		}
	})
}

// TestDecideWriterOwnedObject: an object its writer owns (ObjectWriter)
// answers to the writer and its own ACL for reads and ACL actions; the
// bucket's owner, a key the config lists and the bucket policy's Allow
// give nothing there, a Deny still refuses; bucket-level writes stay the
// bucket's.
func TestDecideWriterOwnedObject(t *testing.T) {
	allowAll := mustPolicy(t, `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*"}]}`)
	denyOther := mustPolicy(t, `{"Statement":[{"Effect":"Deny","Principal":{"AWS":"OTHER"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`)
	foreign := Bucket{Exists: true, Owner: "c-owner", Ownership: "ObjectWriter", ObjectOwner: "c-other"}
	withPolicy := func(p *Policy) Bucket { b := foreign; b.Policy = p; return b }
	granted := foreign
	granted.ObjectACL = []log.Grant{{Grantee: "id:c-other", Permission: "FULL_CONTROL"}, {Grantee: "id:c-owner", Permission: "READ"}}
	listed := Principal{AccessKey: "LISTED", CanonicalID: "c-listed", Buckets: []string{"b"}}
	get := Request{Action: "s3:GetObject", Bucket: "b", Key: "k"}
	getACL := Request{Action: "s3:GetObjectAcl", Bucket: "b", Key: "k"}
	del := Request{Action: "s3:DeleteObject", Write: true, Bucket: "b", Key: "k"}
	for _, c := range []struct {
		name string
		p    Principal
		r    Request
		b    Bucket
		want Decision
	}{
		{"writer reads", other, get, foreign, Allow},
		{"writer reads the ACL", other, getACL, foreign, Allow},
		{"bucket owner does not read", owner, get, foreign, ImplicitDeny},
		{"bucket owner's policy Allow does not reach it", owner, get, withPolicy(allowAll), ImplicitDeny},
		{"a listed key does not read", listed, get, foreign, ImplicitDeny},
		{"the object's ACL grants the bucket owner", owner, get, granted, Allow},
		{"a Deny refuses the writer", other, get, withPolicy(denyOther), ExplicitDeny},
		{"the bucket owner deletes it", owner, del, foreign, Allow},
		{"the writer deletes only when the bucket allows", other, del, foreign, ImplicitDeny},
		{"root reads", rootKey, get, foreign, Allow},
		{"anonymous does not read", anon, get, foreign, ImplicitDeny},
	} {
		if got := Decide(c.p, c.r, c.b); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
