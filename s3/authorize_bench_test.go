package s3

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prismd/prismd/engine"
)

// BenchmarkAuthorizedGet: a signed 4 KiB GET through the whole server (the
// fake engine), by a key the bucket policy grants, against the same GET by
// the bucket's owner with no policy: the authorization check's share.
func BenchmarkAuthorizedGet(b *testing.B) {
	f := newFakeEngine()
	for _, k := range authzKeys {
		f.keys[k.AccessKey] = k
	}
	ctx := context.Background()
	body := strings.Repeat("x", 4096)
	for _, bucket := range []string{"plain", "policed"} {
		f.CreateBucketFor(ctx, engine.CreateBucketInput{Name: bucket, Owner: "AKOWNER", Ownership: "BucketOwnerEnforced"})
		f.PutObject(ctx, engine.PutInput{Bucket: bucket, Key: "obj", Size: 4096, Body: strings.NewReader(body)})
	}
	pol := `{"Version":"2012-10-17","Statement":[
	 {"Effect":"Allow","Principal":{"AWS":["AKOTHER"]},"Action":["s3:GetObject"],"Resource":"arn:aws:s3:::policed/*"},
	 {"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::policed/secret*"}]}`
	if err := f.SetBucketAccessPolicy(ctx, "policed", pol); err != nil {
		b.Fatal(err)
	}
	s := New(Config{Engine: f, Region: testRegion})
	for _, c := range []struct{ name, bucket, caller string }{{"owner-no-policy", "plain", callerOwner}, {"policy-grant", "policed", callerOther}} {
		b.Run(c.name, func(b *testing.B) {
			tmpl := httptest.NewRequest("GET", "http://127.0.0.1/"+c.bucket+"/obj", nil)
			tb := &testing.T{}
			signAs(tb, tmpl, nil, c.caller)
			b.ReportAllocs()
			for b.Loop() {
				r := tmpl.Clone(context.Background())
				w := httptest.NewRecorder()
				s.ServeHTTP(w, r)
				if w.Code != http.StatusOK || w.Body.Len() != 4096 {
					b.Fatalf("%d %s", w.Code, w.Body)
				}
			}
		})
	}
}
