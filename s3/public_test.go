package s3

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/prismd/prismd/engine"
	plog "github.com/prismd/prismd/log"
)

// do sends an (optionally signed) request and returns status and body.
func (e *testEnv) doAs(t *testing.T, caller, method, target string, body []byte, hdr map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+target, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	signAs(t, req, body, caller)
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

func wantAnswer(t *testing.T, what string, status int, body string, wantStatus int, wantCode string) {
	t.Helper()
	if status != wantStatus || (wantCode != "" && !strings.Contains(body, "<Code>"+wantCode+"</Code>")) {
		t.Fatalf("%s: %d %s, want %d %s", what, status, body, wantStatus, wantCode)
	}
}

// TestPublicPolicyAndBlock: a public-read policy opens objects to
// anonymous callers and nothing else; a public access block closes them;
// a missing key is NoSuchKey only to callers who may list; a deleted
// bucket is NoSuchBucket to everyone.
func TestPublicPolicyAndBlock(t *testing.T) {
	e, _ := authzEnv(t)
	pub := `{"Version":"2012-10-17","Statement":[{"Sid":"pub","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*"}]}`
	st, body := e.doAs(t, callerAnon, "GET", "/bkt/obj", nil, nil)
	wantAnswer(t, "anonymous before", st, body, 403, "AccessDenied")
	st, body = e.doAs(t, callerOwner, "PUT", "/bkt?policy", []byte(pub), nil)
	wantAnswer(t, "put policy", st, body, 204, "")
	st, body = e.doAs(t, callerOwner, "GET", "/bkt?policy", nil, nil)
	if st != 200 || body != pub {
		t.Fatalf("get policy: %d %s", st, body)
	}
	st, body = e.doAs(t, callerOwner, "GET", "/bkt?policyStatus", nil, nil)
	wantAnswer(t, "policy status", st, body, 200, "")
	if !strings.Contains(body, "<IsPublic>true</IsPublic>") {
		t.Fatalf("policy status %s", body)
	}
	st, body = e.doAs(t, callerAnon, "GET", "/bkt/obj", nil, nil)
	if st != 200 || body != "old" {
		t.Fatalf("anonymous read of a public object: %d %s", st, body)
	}
	before := e.f.snapshot()
	st, body = e.doAs(t, callerAnon, "PUT", "/bkt/obj", []byte("evil"), nil)
	wantAnswer(t, "anonymous write", st, body, 403, "AccessDenied")
	st, body = e.doAs(t, callerAnon, "GET", "/bkt", nil, nil)
	wantAnswer(t, "anonymous list", st, body, 403, "AccessDenied")
	e.f.requireUnchanged(t, before)
	// No s3:ListBucket: a missing key is AccessDenied, not NoSuchKey.
	st, body = e.doAs(t, callerAnon, "GET", "/bkt/missing", nil, nil)
	wantAnswer(t, "anonymous missing key", st, body, 403, "AccessDenied")
	st, body = e.doAs(t, callerOwner, "GET", "/bkt/missing", nil, nil)
	wantAnswer(t, "owner missing key", st, body, 404, "NoSuchKey")

	// A public access block ignoring public policies closes the bucket.
	st, body = e.doAs(t, callerOwner, "PUT", "/bkt?publicAccessBlock", []byte("<PublicAccessBlockConfiguration><RestrictPublicBuckets>true</RestrictPublicBuckets><BlockPublicPolicy>true</BlockPublicPolicy></PublicAccessBlockConfiguration>"), nil)
	wantAnswer(t, "put block", st, body, 200, "")
	st, body = e.doAs(t, callerAnon, "GET", "/bkt/obj", nil, nil)
	wantAnswer(t, "anonymous under block", st, body, 403, "AccessDenied")
	st, body = e.doAs(t, callerOwner, "PUT", "/bkt?policy", []byte(pub), nil)
	wantAnswer(t, "public policy under block", st, body, 403, "AccessDenied")
	st, body = e.doAs(t, callerOwner, "DELETE", "/bkt?publicAccessBlock", nil, nil)
	wantAnswer(t, "delete block", st, body, 204, "")
	st, _ = e.doAs(t, callerAnon, "GET", "/bkt/obj", nil, nil)
	if st != 200 {
		t.Fatalf("anonymous after block removed: %d", st)
	}

	// A malformed policy says what is wrong.
	st, body = e.doAs(t, callerOwner, "PUT", "/bkt?policy", []byte(`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*"}]}`), nil)
	wantAnswer(t, "malformed policy", st, body, 400, "MalformedPolicy")
	if !strings.Contains(body, "invalid resource") {
		t.Fatalf("malformed policy message: %s", body)
	}

	// Deleted object and bucket: NoSuchKey needs ListBucket; NoSuchBucket for all.
	e.f.DeleteObject(context.Background(), "bkt", "obj")
	st, body = e.doAs(t, callerAnon, "GET", "/bkt/obj", nil, nil)
	wantAnswer(t, "anonymous deleted object", st, body, 403, "AccessDenied")
	e.f.DeleteBucket(context.Background(), "bkt")
	st, body = e.doAs(t, callerAnon, "GET", "/bkt/obj", nil, nil)
	wantAnswer(t, "anonymous deleted bucket", st, body, 404, "NoSuchBucket")
}

// TestPrefixPolicyForAnotherKey: a policy lets another key read and
// list one prefix of the owner's bucket, and nothing else.
func TestPrefixPolicyForAnotherKey(t *testing.T) {
	e, _ := authzEnv(t)
	ctx := context.Background()
	e.f.PutObject(ctx, engine.PutInput{Bucket: "bkt", Key: "shared/a", Size: 1, Body: strings.NewReader("a")})
	pol := `{"Version":"2012-10-17","Statement":[
	 {"Effect":"Allow","Principal":{"AWS":"AKOTHER"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/shared/*"},
	 {"Effect":"Allow","Principal":{"AWS":"` + ownerOf("AKOTHER").ID + `"},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::bkt","Condition":{"StringLike":{"s3:prefix":"shared/*"}}}]}`
	st, body := e.doAs(t, callerOwner, "PUT", "/bkt?policy", []byte(pol), nil)
	wantAnswer(t, "put policy", st, body, 204, "")
	if st, body = e.doAs(t, callerOther, "GET", "/bkt/shared/a", nil, nil); st != 200 || body != "a" {
		t.Fatalf("other reads shared/a: %d %s", st, body)
	}
	st, body = e.doAs(t, callerOther, "GET", "/bkt/obj", nil, nil)
	wantAnswer(t, "other reads obj", st, body, 403, "AccessDenied")
	st, body = e.doAs(t, callerOther, "GET", "/bkt?list-type=2&prefix=shared/", nil, nil)
	wantAnswer(t, "other lists shared/", st, body, 200, "")
	st, body = e.doAs(t, callerOther, "GET", "/bkt?list-type=2", nil, nil)
	wantAnswer(t, "other lists all", st, body, 403, "AccessDenied")
	st, body = e.doAs(t, callerOther, "PUT", "/bkt/shared/b", []byte("b"), nil)
	wantAnswer(t, "other writes shared/b", st, body, 403, "AccessDenied")
	// ListBucket only with an s3:prefix condition: a GET carries no
	// prefix, so a missing key stays AccessDenied, as on AWS.
	st, body = e.doAs(t, callerOther, "GET", "/bkt/shared/missing", nil, nil)
	wantAnswer(t, "other missing key", st, body, 403, "AccessDenied")
}

// TestBucketOwnersAndACLs: CreateBucket answers 409 by owner, ListBuckets
// shows a key its own buckets, the owner appears in ACLs, and ACLs are
// refused on an enforced bucket.
func TestBucketOwnersAndACLs(t *testing.T) {
	e, _ := authzEnv(t)
	st, body := e.doAs(t, callerOther, "PUT", "/bkt", nil, nil)
	wantAnswer(t, "other creates bkt", st, body, 409, "BucketAlreadyExists")
	st, body = e.doAs(t, callerOwner, "PUT", "/bkt", nil, nil)
	wantAnswer(t, "owner creates bkt", st, body, 409, "BucketAlreadyOwnedByYou")
	st, body = e.doAs(t, callerOther, "PUT", "/mine", nil, nil)
	wantAnswer(t, "other creates mine", st, body, 200, "")
	st, body = e.doAs(t, callerOther, "GET", "/", nil, nil)
	if st != 200 || !strings.Contains(body, "<Name>mine</Name>") || strings.Contains(body, "<Name>bkt</Name>") || !strings.Contains(body, ownerOf("AKOTHER").ID) {
		t.Fatalf("other's ListBuckets: %d %s", st, body)
	}
	st, body = e.doAs(t, callerOwner, "GET", "/bkt?acl", nil, nil)
	if st != 200 || !strings.Contains(body, ownerOf("AKGRANTEE").ID) || !strings.Contains(body, "<DisplayName>AKOWNER</DisplayName>") {
		t.Fatalf("bucket acl: %d %s", st, body)
	}
	st, body = e.doAs(t, callerOther, "PUT", "/mine?acl", nil, map[string]string{"x-amz-acl": "public-read"})
	wantAnswer(t, "acl on enforced bucket", st, body, 400, "AccessControlListNotSupported")
	st, body = e.doAs(t, callerOther, "PUT", "/mine/x", []byte("x"), map[string]string{"x-amz-acl": "bucket-owner-full-control"})
	wantAnswer(t, "owner-full-control on enforced bucket", st, body, 200, "")
	st, body = e.doAs(t, callerOther, "PUT", "/mine", nil, nil)
	wantAnswer(t, "other creates mine again", st, body, 409, "BucketAlreadyOwnedByYou")
	st, body = e.doAs(t, callerOther, "PUT", "/pubacl", nil, map[string]string{"x-amz-acl": "public-read"})
	wantAnswer(t, "public-read on an enforced new bucket", st, body, 400, "InvalidBucketAclWithObjectOwnership")
	st, body = e.doAs(t, callerOwner, "GET", "/bkt", nil, map[string]string{"x-amz-expected-bucket-owner": ownerOf("AKOTHER").ID})
	wantAnswer(t, "expected owner mismatch", st, body, 403, "AccessDenied")
	st, body = e.doAs(t, callerOwner, "GET", "/bkt", nil, map[string]string{"x-amz-expected-bucket-owner": ownerOf("AKOWNER").ID})
	wantAnswer(t, "expected owner", st, body, 200, "")

	// Object ACL: public-read on an ObjectWriter bucket opens one object.
	st, body = e.doAs(t, callerOwner, "PUT", "/bkt/open", []byte("o"), map[string]string{"x-amz-acl": "public-read"})
	wantAnswer(t, "put public-read object", st, body, 200, "")
	if st, body = e.doAs(t, callerAnon, "GET", "/bkt/open", nil, nil); st != 200 || body != "o" {
		t.Fatalf("anonymous read of a public-read object: %d %s", st, body)
	}
	st, body = e.doAs(t, callerAnon, "GET", "/bkt/obj", nil, nil)
	wantAnswer(t, "anonymous read of a private object", st, body, 403, "AccessDenied")
	acl := `<AccessControlPolicy><Owner><ID>` + ownerOf("AKOWNER").ID + `</ID></Owner><AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>` + ownerOf("AKOTHER").ID + `</ID></Grantee><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>`
	st, body = e.doAs(t, callerOwner, "PUT", "/bkt/obj?acl", []byte(acl), nil)
	wantAnswer(t, "put object acl", st, body, 200, "")
	if st, body = e.doAs(t, callerOther, "GET", "/bkt/obj", nil, nil); st != 200 {
		t.Fatalf("granted read: %d %s", st, body)
	}
	if g, ok, _ := e.f.ObjectACL("bkt", "obj"); !ok || len(g) != 1 || g[0] != (plog.Grant{Grantee: "id:" + ownerOf("AKOTHER").ID, Permission: "READ"}) {
		t.Fatalf("stored acl %v", g)
	}
}
