package s3

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/prismd/prismd/engine"
)

// authzDo sends a request signed as caller to the authorization env and
// returns the status and body.
func authzDo(t *testing.T, e *testEnv, caller, method, target string, body []byte, hdr map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+target, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	if body != nil {
		sum := md5.Sum(body)
		req.Header.Set("Content-MD5", base64.StdEncoding.EncodeToString(sum[:]))
	}
	signAs(t, req, body, caller)
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, string(out)
}

func setPolicy(t *testing.T, e *testEnv, statements string) {
	t.Helper()
	doc := `{"Version":"2012-10-17","Statement":[` + statements + `]}`
	if err := e.f.SetBucketAccessPolicy(context.Background(), "bkt", doc); err != nil {
		t.Fatal(err)
	}
}

// TestTaggingAuthorization: the tagging operations on a version are
// authorized as their Version actions; tags sent with a PUT need
// s3:PutObjectTagging; s3:ExistingObjectTag sees the object's tags. A
// refused request changes nothing.
func TestTaggingAuthorization(t *testing.T) {
	e, _ := authzEnv(t)
	ctx := context.Background()
	doc := []byte("<Tagging><TagSet><Tag><Key>public</Key><Value>yes</Value></Tag></TagSet></Tagging>")

	// s3:GetObjectTagging does not cover a versionId, the Version action does.
	setPolicy(t, e, `{"Effect":"Allow","Principal":{"AWS":"AKOTHER"},"Action":["s3:GetObjectTagging","s3:PutObjectTagging"],"Resource":"arn:aws:s3:::bkt/*"}`)
	if st, b := authzDo(t, e, callerOther, "GET", "/bkt/obj?tagging", nil, nil); st != 200 {
		t.Fatalf("GetObjectTagging: %d %s", st, b)
	}
	before := e.f.snapshot()
	if st, b := authzDo(t, e, callerOther, "GET", "/bkt/obj?tagging&versionId=null", nil, nil); st != 403 {
		t.Fatalf("GetObjectTagging of a version with s3:GetObjectTagging: %d %s", st, b)
	}
	if st, b := authzDo(t, e, callerOther, "PUT", "/bkt/obj?tagging&versionId=null", doc, nil); st != 403 {
		t.Fatalf("PutObjectTagging of a version with s3:PutObjectTagging: %d %s", st, b)
	}
	e.f.requireUnchanged(t, before)
	setPolicy(t, e, `{"Effect":"Allow","Principal":{"AWS":"AKOTHER"},"Action":["s3:GetObjectVersionTagging","s3:PutObjectVersionTagging"],"Resource":"arn:aws:s3:::bkt/*"}`)
	if st, b := authzDo(t, e, callerOther, "GET", "/bkt/obj?tagging&versionId=null", nil, nil); st != 200 {
		t.Fatalf("GetObjectTagging of a version with s3:GetObjectVersionTagging: %d %s", st, b)
	}
	if st, b := authzDo(t, e, callerOther, "PUT", "/bkt/obj?tagging&versionId=null", doc, nil); st != 200 {
		t.Fatalf("PutObjectTagging of a version with s3:PutObjectVersionTagging: %d %s", st, b)
	}

	// Tags on a PUT need s3:PutObjectTagging besides s3:PutObject.
	setPolicy(t, e, `{"Effect":"Allow","Principal":{"AWS":"AKOTHER"},"Action":["s3:PutObject","s3:GetObject"],"Resource":"arn:aws:s3:::bkt/*"}`)
	before = e.f.snapshot()
	for _, hdr := range []map[string]string{
		{"x-amz-tagging": "a=b"},
		{"x-amz-tagging": "a=b", "x-amz-tagging-directive": "REPLACE", "x-amz-copy-source": "/bkt/obj", "x-amz-metadata-directive": "REPLACE"},
	} {
		if st, b := authzDo(t, e, callerOther, "PUT", "/bkt/new", []byte("data"), hdr); st != 403 || !strings.Contains(b, "AccessDenied") {
			t.Fatalf("PUT with tags %v without s3:PutObjectTagging: %d %s", hdr, st, b)
		}
	}
	if st, b := authzDo(t, e, callerOther, "POST", "/bkt/new?uploads", nil, map[string]string{"x-amz-tagging": "a=b"}); st != 403 {
		t.Fatalf("CreateMultipartUpload with tags without s3:PutObjectTagging: %d %s", st, b)
	}
	e.f.requireUnchanged(t, before)
	if st, b := authzDo(t, e, callerOther, "PUT", "/bkt/new", []byte("data"), nil); st != 200 {
		t.Fatalf("PUT without tags: %d %s", st, b)
	}
	if st, b := authzDo(t, e, callerOther, "PUT", "/bkt/copy", nil, map[string]string{"x-amz-copy-source": "/bkt/new"}); st != 200 {
		t.Fatalf("copy of an untagged source: %d %s", st, b)
	}
	// Keeping a tagged source's tags (COPY) reads them: s3:GetObjectTagging.
	if _, err := e.f.SetObjectTags(ctx, "bkt", "obj", "", map[string]string{"team": "blue"}); err != nil {
		t.Fatal(err)
	}
	before = e.f.snapshot()
	if st, b := authzDo(t, e, callerOther, "PUT", "/bkt/copy2", nil, map[string]string{"x-amz-copy-source": "/bkt/obj"}); st != 403 {
		t.Fatalf("copy keeping a tagged source's tags without s3:GetObjectTagging: %d %s", st, b)
	}
	e.f.requireUnchanged(t, before)
	setPolicy(t, e, `{"Effect":"Allow","Principal":{"AWS":"AKOTHER"},"Action":["s3:PutObject","s3:GetObject","s3:GetObjectTagging"],"Resource":"arn:aws:s3:::bkt/*"}`)
	if st, b := authzDo(t, e, callerOther, "PUT", "/bkt/copy2", nil, map[string]string{"x-amz-copy-source": "/bkt/obj"}); st != 200 {
		t.Fatalf("copy keeping a tagged source's tags with s3:GetObjectTagging: %d %s", st, b)
	}

	// s3:ExistingObjectTag/public: other reads only what is tagged public=yes.
	setPolicy(t, e, `{"Effect":"Allow","Principal":{"AWS":"AKOTHER"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*",
	 "Condition":{"StringEquals":{"s3:ExistingObjectTag/public":"yes"}}}`)
	if _, err := e.f.SetObjectTags(ctx, "bkt", "obj", "", map[string]string{"public": "no"}); err != nil {
		t.Fatal(err)
	}
	if st, _ := authzDo(t, e, callerOther, "GET", "/bkt/obj", nil, nil); st != 403 {
		t.Fatalf("GET of an object tagged public=no: %d", st)
	}
	if _, err := e.f.PutObject(ctx, engine.PutInput{Bucket: "bkt", Key: "untagged", Size: 1, Body: strings.NewReader("u")}); err != nil {
		t.Fatal(err)
	}
	if st, _ := authzDo(t, e, callerOther, "GET", "/bkt/untagged", nil, nil); st != 403 {
		t.Fatalf("GET of an untagged object: %d", st)
	}
	// The bucket's ownership is ObjectWriter: other owns what it wrote,
	// and reads it whatever its tags.
	if st, b := authzDo(t, e, callerOther, "GET", "/bkt/new", nil, nil); st != 200 || b != "data" {
		t.Fatalf("GET of its own object: %d %s", st, b)
	}
	if _, err := e.f.SetObjectTags(ctx, "bkt", "obj", "", map[string]string{"public": "yes"}); err != nil {
		t.Fatal(err)
	}
	if st, b := authzDo(t, e, callerOther, "GET", "/bkt/obj", nil, nil); st != 200 || b != "old" {
		t.Fatalf("GET of an object tagged public=yes: %d %s", st, b)
	}
	// The tag name is case-sensitive, as on AWS.
	if _, err := e.f.SetObjectTags(ctx, "bkt", "obj", "", map[string]string{"Public": "yes"}); err != nil {
		t.Fatal(err)
	}
	if st, _ := authzDo(t, e, callerOther, "GET", "/bkt/obj", nil, nil); st != 403 {
		t.Fatalf("GET of an object tagged Public=yes: %d", st)
	}
	if st, _ := authzDo(t, e, callerAnon, "GET", "/bkt/obj", nil, nil); st != 403 {
		t.Fatalf("anonymous GET: %d", st)
	}
}
