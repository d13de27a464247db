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
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/prismd/prismd/engine"
)

// send runs req and returns the answer with its whole body.
func send(t *testing.T, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

// presignedPut presigns a PutObject with the SDK and returns a request for
// it carrying the SDK's signed headers and body.
func presignedPut(t *testing.T, e *testEnv, bucket, key string, body []byte) *http.Request {
	t.Helper()
	pc := s3sdk.NewPresignClient(e.client(testKey, testSecret))
	pu, err := pc.PresignPutObject(context.Background(), &s3sdk.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}, s3sdk.WithPresignExpires(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(pu.Method, pu.URL, bytes.NewReader(body))
	for k, v := range pu.SignedHeader {
		req.Header[k] = v
	}
	return req
}

// TestUnsignedHeadersRefused: an x-amz-* header (or Content-MD5) the
// signature does not cover is refused after the signature verified, on
// presigned and header-signed requests alike, and changes nothing.
func TestUnsignedHeadersRefused(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	e.f.CreateBucket(ctx, "pub", "")
	e.f.CreateBucket(ctx, "bucket", "")
	e.f.PutObject(ctx, engine.PutInput{Bucket: "bucket", Key: "secret", Size: 6, Body: strings.NewReader("secret")})
	body := []byte("new body")
	sum := md5.Sum(body)
	headerSigned := func(extra map[string]string) func() *http.Request {
		return func() *http.Request {
			req := signedRequest(t, "PUT", e.srv.URL+"/pub/obj", body, unsignedPayload, nil)
			for k, v := range extra {
				req.Header.Set(k, v)
			}
			return req
		}
	}
	presigned := func(extra map[string]string) func() *http.Request {
		return func() *http.Request {
			req := presignedPut(t, e, "pub", "obj", body)
			for k, v := range extra {
				req.Header.Set(k, v)
			}
			return req
		}
	}
	cases := []struct {
		name     string
		req      func() *http.Request
		unsigned string
	}{
		{"presigned + x-amz-copy-source", presigned(map[string]string{"X-Amz-Copy-Source": "/bucket/secret"}), "x-amz-copy-source"},
		{"presigned + x-amz-meta-foo", presigned(map[string]string{"X-Amz-Meta-Foo": "bar"}), "x-amz-meta-foo"},
		{"presigned + Content-MD5", presigned(map[string]string{"Content-Md5": base64.StdEncoding.EncodeToString(sum[:])}), "content-md5"},
		{"header-signed + x-amz-meta-foo", headerSigned(map[string]string{"X-Amz-Meta-Foo": "bar"}), "x-amz-meta-foo"},
		{"header-signed + x-amz-metadata-directive", headerSigned(map[string]string{"X-Amz-Metadata-Directive": "REPLACE"}), "x-amz-metadata-directive"},
		{"header-signed + x-amz-copy-source", headerSigned(map[string]string{"X-Amz-Copy-Source": "/bucket/secret"}), "x-amz-copy-source"},
		{"header-signed + two", headerSigned(map[string]string{"X-Amz-Meta-B": "1", "X-Amz-Meta-A": "2"}), "x-amz-meta-a, x-amz-meta-b"},
	}
	before := e.f.snapshot()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, b := send(t, tc.req())
			if resp.StatusCode != 403 || !strings.Contains(b, "<Code>AccessDenied</Code>") ||
				!strings.Contains(b, "<Message>There were headers present in the request which were not signed</Message>") ||
				!strings.Contains(b, "<HeadersNotSigned>"+tc.unsigned+"</HeadersNotSigned>") {
				t.Fatalf("got %d %s", resp.StatusCode, b)
			}
			e.f.requireUnchanged(t, before)
		})
	}
}

// TestUnsignedHeadersAllowed: what AWS lets a client send unsigned still
// works: Content-Type on a presigned URL (stored as sent) and
// x-amz-content-sha256, which the payload hash binds; x-amzn-trace-id is
// not an x-amz- header.
func TestUnsignedHeadersAllowed(t *testing.T) {
	e := newTestEnv(t)
	e.f.CreateBucket(context.Background(), "pub", "")
	body := []byte("presigned body")
	req := presignedPut(t, e, "pub", "typed", body)
	req.Header.Set("Content-Type", "text/x-unsigned")
	req.Header.Set("X-Amz-Content-Sha256", unsignedPayload)
	req.Header.Set("X-Amzn-Trace-Id", "Root=1-abc")
	if resp, b := send(t, req); resp.StatusCode != 200 {
		t.Fatalf("presigned PUT with unsigned Content-Type: %d %s", resp.StatusCode, b)
	}
	e.f.mu.Lock()
	o := e.f.buckets["pub"].objects["typed"]
	e.f.mu.Unlock()
	if o == nil || o.info.ContentType != "text/x-unsigned" || string(o.data) != string(body) {
		t.Fatalf("stored %+v", o)
	}
	req = signedRequest(t, "PUT", e.srv.URL+"/pub/traced", body, unsignedPayload, nil)
	req.Header.Set("X-Amzn-Trace-Id", "Root=1-abc")
	if resp, b := send(t, req); resp.StatusCode != 200 {
		t.Fatalf("header-signed PUT with unsigned X-Amzn-Trace-Id: %d %s", resp.StatusCode, b)
	}
}
