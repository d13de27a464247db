package s3

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/prismd/prismd/engine"
	plog "github.com/prismd/prismd/log"
)

// The callers of the authorization table.
const (
	callerRoot     = "root"
	callerOwner    = "owner"
	callerOther    = "other"
	callerGrantee  = "grantee"  // FULL_CONTROL on the bucket's ACL
	callerReadOnly = "readonly" // read-only key listing the bucket
	callerScoped   = "scoped"   // key listing the bucket
	callerAnon     = "anonymous"
)

var authzCallers = []string{callerRoot, callerOwner, callerOther, callerGrantee, callerReadOnly, callerScoped, callerAnon}

var authzKeys = map[string]engine.AccessKey{
	callerRoot:     {AccessKey: "AKROOT", Secret: "root-secret", Root: true},
	callerOwner:    {AccessKey: "AKOWNER", Secret: "owner-secret"},
	callerOther:    {AccessKey: "AKOTHER", Secret: "other-secret"},
	callerGrantee:  {AccessKey: "AKGRANTEE", Secret: "grantee-secret"},
	callerReadOnly: {AccessKey: "AKREADER", Secret: "reader-secret", ReadOnly: true, Buckets: []string{"bkt"}},
	callerScoped:   {AccessKey: "AKSCOPED2", Secret: "scoped2-secret", Buckets: []string{"bkt"}},
}

// authzEnv is a server whose bucket "bkt" belongs to AKOWNER, holds the
// object "obj" and the upload of "mp", and grants AKGRANTEE FULL_CONTROL.
func authzEnv(t *testing.T) (*testEnv, string) {
	e := newTestEnv(t)
	for _, k := range authzKeys {
		e.f.keys[k.AccessKey] = k
	}
	delete(e.f.keys, testKey)
	ctx := context.Background()
	e.f.CreateBucketFor(ctx, engine.CreateBucketInput{Name: "bkt", Owner: "AKOWNER", Ownership: "ObjectWriter",
		Grants: []plog.Grant{grantOf("AKOWNER", "FULL_CONTROL"), grantOf("AKGRANTEE", "FULL_CONTROL")}})
	e.f.PutObject(ctx, engine.PutInput{Bucket: "bkt", Key: "obj", Size: 3, Body: strings.NewReader("old")})
	up, _ := e.f.CreateUpload(ctx, "bkt", "mp", "", nil, nil)
	e.f.UploadPart(ctx, up.UploadID, 1, engine.PutInput{Bucket: "bkt", Key: "mp", Size: 1, Body: strings.NewReader("p")})
	return e, up.UploadID
}

// authzRequest builds a plausible request for a route.
func authzRequest(rt route, base, upload string) (method, target string, body []byte, hdr map[string]string) {
	target = base + "/"
	switch rt.level {
	case levelBucket:
		target = base + "/bkt"
	case levelObject:
		target = base + "/bkt/obj"
		if rt.sub == "uploadId" {
			target = base + "/bkt/mp"
		}
	}
	hdr = map[string]string{}
	switch rt.sub {
	case "":
	case "uploadId":
		target += "?uploadId=" + upload
		if rt.method == "PUT" {
			target += "&partNumber=2"
		}
	default:
		target += "?" + rt.sub
	}
	switch rt.method + " " + rt.sub {
	case "PUT ":
		if rt.level == levelObject {
			body = []byte("new")
		}
	case "PUT uploadId":
		body = []byte("part")
	case "POST uploadId":
		body = []byte("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>83878c91171338902e0fe0fb97a8c47a</ETag></Part></CompleteMultipartUpload>")
	case "PUT acl":
		hdr["x-amz-acl"] = "private"
	case "PUT policy":
		body = []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"AKOTHER"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*"}]}`)
	case "PUT publicAccessBlock":
		body = []byte("<PublicAccessBlockConfiguration><BlockPublicAcls>true</BlockPublicAcls></PublicAccessBlockConfiguration>")
	case "PUT ownershipControls":
		body = []byte("<OwnershipControls><Rule><ObjectOwnership>BucketOwnerPreferred</ObjectOwnership></Rule></OwnershipControls>")
	case "PUT cors":
		body = []byte("<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>")
	case "PUT tagging":
		body = []byte("<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>")
	case "POST delete":
		body = []byte("<Delete><Object><Key>obj</Key></Object></Delete>")
	}
	if body != nil {
		sum := md5.Sum(body)
		hdr["Content-MD5"] = base64.StdEncoding.EncodeToString(sum[:])
	}
	return rt.method, target, body, hdr
}

// authzExpect is the answer each caller must get: true when the request is
// allowed (anything but AccessDenied), false for 403 AccessDenied.
func authzExpect(rt route, caller string) bool {
	switch caller {
	case callerRoot, callerOwner, callerScoped:
		return true
	case callerReadOnly:
		return !rt.write
	case callerAnon:
		return false
	case callerGrantee:
		switch rt.action {
		case "s3:ListBucket", "s3:ListBucketVersions", "s3:ListBucketMultipartUploads", "s3:ListMultipartUploadParts",
			"s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:GetBucketAcl", "s3:PutBucketAcl":
			return true
		}
		return rt.action == "s3:ListAllMyBuckets" || rt.action == "s3:CreateBucket" // CreateBucket: 409, the name is taken
	}
	return rt.action == "s3:ListAllMyBuckets" || rt.action == "s3:CreateBucket" // other
}

func signAs(t *testing.T, req *http.Request, body []byte, caller string) {
	t.Helper()
	sum := sha256.Sum256(body)
	ph := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", ph)
	k, ok := authzKeys[caller]
	if !ok {
		return // anonymous
	}
	creds := aws.Credentials{AccessKeyID: k.AccessKey, SecretAccessKey: k.Secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, ph, "s3", testRegion, time.Now(),
		func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }); err != nil {
		t.Fatal(err)
	}
}

// TestAuthorizationTable: every operation prismd serves, for the bucket
// owner, another key, a key with an ACL grant, a read-only key, a
// bucket-scoped key, the root key and an anonymous caller. A refused
// request is 403 AccessDenied and changes nothing.
func TestAuthorizationTable(t *testing.T) {
	for _, rt := range routeTable {
		for _, caller := range authzCallers {
			name := rt.method + " " + [...]string{"service", "bucket", "object"}[rt.level] + "?" + rt.sub + " " + caller
			t.Run(name, func(t *testing.T) {
				e, upload := authzEnv(t)
				method, target, body, hdr := authzRequest(rt, e.srv.URL, upload)
				req, err := http.NewRequest(method, target, bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				for k, v := range hdr {
					req.Header.Set(k, v)
				}
				signAs(t, req, body, caller)
				before := e.f.snapshot()
				resp, err := e.srv.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				out, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				denied := resp.StatusCode == http.StatusForbidden && (method == "HEAD" || bytes.Contains(out, []byte("<Code>AccessDenied</Code>")))
				if rt.sub == "delete" && resp.StatusCode == http.StatusOK {
					denied = bytes.Contains(out, []byte("<Code>AccessDenied</Code>"))
				}
				if want := authzExpect(rt, caller); want == denied {
					t.Fatalf("allowed %v, got %d %s", want, resp.StatusCode, out)
				}
				if denied {
					e.f.requireUnchanged(t, before)
				}
			})
		}
	}
}
