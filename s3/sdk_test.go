package s3

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/prismd/prismd/engine"
)

const (
	testKey    = "AKTEST"
	testSecret = "test-secret"
	testRegion = "eu-test-1"
)

type testEnv struct {
	f   *fakeEngine
	srv *httptest.Server
	s   *Server
}

func newTestEnv(t *testing.T) *testEnv { return newTestEnvWith(t, nil, nil) }

// newTestEnvWith is newTestEnv with a config change (if set) and a wrapper
// around the server's handler (if set).
func newTestEnvWith(t *testing.T, configure func(*Config), wrap func(http.Handler) http.Handler) *testEnv {
	t.Helper()
	f := newFakeEngine()
	f.keys[testKey] = engine.AccessKey{AccessKey: testKey, Secret: testSecret, Root: true}
	f.keys["AKSCOPED"] = engine.AccessKey{AccessKey: "AKSCOPED", Secret: "scoped-secret", Buckets: []string{"allowed"}}
	f.keys["AKRO"] = engine.AccessKey{AccessKey: "AKRO", Secret: "ro-secret", ReadOnly: true, Buckets: []string{"allowed"}}
	cfg := Config{Engine: f, Region: testRegion, Domain: "s3.test"}
	if configure != nil {
		configure(&cfg)
	}
	s := New(cfg)
	var h http.Handler = s
	if wrap != nil {
		h = wrap(s)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &testEnv{f: f, srv: srv, s: s}
}

// seed creates bucket "bkt" holding "obj" ("old") and an upload to "mp".
func (e *testEnv) seed() engine.UploadInfo {
	ctx := context.Background()
	e.f.CreateBucket(ctx, "bkt", "")
	e.f.PutObject(ctx, engine.PutInput{Bucket: "bkt", Key: "obj", Size: 3, Body: strings.NewReader("old")})
	up, _ := e.f.CreateUpload(ctx, "bkt", "mp", "", nil, nil)
	return up
}

func (e *testEnv) client(key, secret string) *s3sdk.Client {
	return s3sdk.New(s3sdk.Options{
		Region:       testRegion,
		BaseEndpoint: aws.String(e.srv.URL),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(key, secret, ""),
		HTTPClient:   e.srv.Client(),
	})
}

// apiCode returns the S3 error code of an SDK error.
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

func TestSDKObjectLifecycle(t *testing.T) {
	e := newTestEnv(t)
	c := e.client(testKey, testSecret)
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3sdk.CreateBucketInput{Bucket: aws.String("bkt")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateBucket(ctx, &s3sdk.CreateBucketInput{Bucket: aws.String("bkt")}); apiCode(err) != "BucketAlreadyOwnedByYou" {
		t.Fatalf("second create: %v", err)
	}
	loc, err := c.GetBucketLocation(ctx, &s3sdk.GetBucketLocationInput{Bucket: aws.String("bkt")})
	if err != nil || string(loc.LocationConstraint) != testRegion {
		t.Fatalf("location %v %v", loc, err)
	}
	body := bytes.Repeat([]byte("0123456789"), 1000)
	put, err := c.PutObject(ctx, &s3sdk.PutObjectInput{
		Bucket: aws.String("bkt"), Key: aws.String("dir/a file+ü.txt"), Body: bytes.NewReader(body),
		ContentType: aws.String("text/plain"), Metadata: map[string]string{"color": "blue"},
		CacheControl: aws.String("max-age=60"), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32c,
	})
	if err != nil {
		t.Fatal(err)
	}
	if put.ChecksumCRC32C == nil {
		t.Fatal("no CRC32C in the PUT answer")
	}
	got, err := c.GetObject(ctx, &s3sdk.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("dir/a file+ü.txt"), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(got.Body)
	got.Body.Close()
	if !bytes.Equal(data, body) || aws.ToString(got.ContentType) != "text/plain" || got.Metadata["color"] != "blue" ||
		aws.ToString(got.CacheControl) != "max-age=60" || aws.ToString(got.ETag) != aws.ToString(put.ETag) ||
		aws.ToString(got.ChecksumCRC32C) != aws.ToString(put.ChecksumCRC32C) {
		t.Fatalf("GET: %d bytes, %+v", len(data), got)
	}
	rng, err := c.GetObject(ctx, &s3sdk.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("dir/a file+ü.txt"), Range: aws.String("bytes=10-19")})
	if err != nil {
		t.Fatal(err)
	}
	data, _ = io.ReadAll(rng.Body)
	if string(data) != "0123456789" || aws.ToString(rng.ContentRange) != "bytes 10-19/10000" {
		t.Fatalf("range: %q %v", data, aws.ToString(rng.ContentRange))
	}
	if _, err := c.GetObject(ctx, &s3sdk.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("dir/a file+ü.txt"), Range: aws.String("bytes=20000-")}); apiCode(err) != "InvalidRange" {
		t.Fatalf("unsatisfiable range: %v", err)
	}
	if _, err := c.GetObject(ctx, &s3sdk.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("dir/a file+ü.txt"), IfNoneMatch: put.ETag}); !strings.Contains(err.Error(), "304") {
		t.Fatalf("If-None-Match: %v", err)
	}
	if _, err := c.HeadObject(ctx, &s3sdk.HeadObjectInput{Bucket: aws.String("bkt"), Key: aws.String("nope")}); apiCode(err) != "NotFound" {
		t.Fatalf("HEAD missing: %v", err)
	}
	if _, err := c.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("dir/a file+ü.txt"), Body: strings.NewReader("x"), IfNoneMatch: aws.String("*")}); apiCode(err) != "PreconditionFailed" {
		t.Fatalf("If-None-Match: * on existing: %v", err)
	}
	cp, err := c.CopyObject(ctx, &s3sdk.CopyObjectInput{Bucket: aws.String("bkt"), Key: aws.String("copy"), CopySource: aws.String("bkt/dir/a%20file%2B%C3%BC.txt")})
	if err != nil || aws.ToString(cp.CopyObjectResult.ETag) != aws.ToString(put.ETag) {
		t.Fatalf("copy: %v %v", cp, err)
	}
	if _, err := c.CopyObject(ctx, &s3sdk.CopyObjectInput{Bucket: aws.String("bkt"), Key: aws.String("copy"), CopySource: aws.String("bkt/copy")}); apiCode(err) != "InvalidRequest" {
		t.Fatalf("self copy: %v", err)
	}
	for _, k := range []string{"dir/b", "dir/sub/c", "top"} {
		if _, err := c.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String(k), Body: strings.NewReader(k)}); err != nil {
			t.Fatal(err)
		}
	}
	var keys []string
	p := s3sdk.NewListObjectsV2Paginator(c, &s3sdk.ListObjectsV2Input{Bucket: aws.String("bkt"), Prefix: aws.String("dir/"), Delimiter: aws.String("/"), MaxKeys: aws.Int32(1)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
		for _, cp := range page.CommonPrefixes {
			keys = append(keys, aws.ToString(cp.Prefix))
		}
	}
	if strings.Join(keys, ",") != "dir/a file+ü.txt,dir/b,dir/sub/" {
		t.Fatalf("listing: %q", keys)
	}
	v1, err := c.ListObjects(ctx, &s3sdk.ListObjectsInput{Bucket: aws.String("bkt"), MaxKeys: aws.Int32(2), Delimiter: aws.String("/")})
	if err != nil || !aws.ToBool(v1.IsTruncated) || aws.ToString(v1.NextMarker) != "dir/" {
		t.Fatalf("v1: %+v %v", v1, err)
	}
	del, err := c.DeleteObjects(ctx, &s3sdk.DeleteObjectsInput{Bucket: aws.String("bkt"), Delete: &types.Delete{Objects: []types.ObjectIdentifier{{Key: aws.String("top")}, {Key: aws.String("absent")}, {Key: aws.String("a/../b")}}}})
	if err != nil || len(del.Deleted) != 2 || len(del.Errors) != 1 {
		t.Fatalf("DeleteObjects: %+v %v", del, err)
	}
	if _, err := c.DeleteBucket(ctx, &s3sdk.DeleteBucketInput{Bucket: aws.String("bkt")}); apiCode(err) != "BucketNotEmpty" {
		t.Fatalf("delete non-empty bucket: %v", err)
	}
	if _, err := c.GetObjectTagging(ctx, &s3sdk.GetObjectTaggingInput{Bucket: aws.String("bkt"), Key: aws.String("copy")}); err != nil {
		t.Fatalf("tagging: %v", err)
	}
	if _, err := c.PutObjectTagging(ctx, &s3sdk.PutObjectTaggingInput{Bucket: aws.String("bkt"), Key: aws.String("copy"), Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("a"), Value: aws.String("b")}}}}); err != nil {
		t.Fatalf("put tagging: %v", err)
	}
	if _, err := c.GetBucketVersioning(ctx, &s3sdk.GetBucketVersioningInput{Bucket: aws.String("bkt")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetBucketAcl(ctx, &s3sdk.GetBucketAclInput{Bucket: aws.String("bkt")}); err != nil {
		t.Fatal(err)
	}
}

func TestSDKMultipart(t *testing.T) {
	e := newTestEnv(t)
	c := e.client(testKey, testSecret)
	ctx := context.Background()
	e.f.CreateBucket(ctx, "mp", "")
	up, err := c.CreateMultipartUpload(ctx, &s3sdk.CreateMultipartUploadInput{Bucket: aws.String("mp"), Key: aws.String("big"), ContentType: aws.String("application/x-big"), Metadata: map[string]string{"m": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	e.f.PutObject(ctx, engine.PutInput{Bucket: "mp", Key: "src", Size: 10, Body: strings.NewReader("0123456789")})
	p1, err := c.UploadPart(ctx, &s3sdk.UploadPartInput{Bucket: aws.String("mp"), Key: aws.String("big"), UploadId: up.UploadId, PartNumber: aws.Int32(1), Body: bytes.NewReader(bytes.Repeat([]byte("x"), 1000))})
	if err != nil {
		t.Fatal(err)
	}
	p2, err := c.UploadPartCopy(ctx, &s3sdk.UploadPartCopyInput{Bucket: aws.String("mp"), Key: aws.String("big"), UploadId: up.UploadId, PartNumber: aws.Int32(2), CopySource: aws.String("mp/src"), CopySourceRange: aws.String("bytes=2-5")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.UploadPart(ctx, &s3sdk.UploadPartInput{Bucket: aws.String("mp"), Key: aws.String("big"), UploadId: up.UploadId, PartNumber: aws.Int32(10001), Body: strings.NewReader("x")}); apiCode(err) != "InvalidArgument" {
		t.Fatalf("part 10001: %v", err)
	}
	lp, err := c.ListParts(ctx, &s3sdk.ListPartsInput{Bucket: aws.String("mp"), Key: aws.String("big"), UploadId: up.UploadId})
	if err != nil || len(lp.Parts) != 2 {
		t.Fatalf("ListParts %+v %v", lp, err)
	}
	lu, err := c.ListMultipartUploads(ctx, &s3sdk.ListMultipartUploadsInput{Bucket: aws.String("mp")})
	if err != nil || len(lu.Uploads) != 1 {
		t.Fatalf("ListUploads %+v %v", lu, err)
	}
	_, err = c.CompleteMultipartUpload(ctx, &s3sdk.CompleteMultipartUploadInput{Bucket: aws.String("mp"), Key: aws.String("big"), UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(2), ETag: p2.CopyPartResult.ETag}, {PartNumber: aws.Int32(1), ETag: p1.ETag}}}})
	if apiCode(err) != "InvalidPartOrder" {
		t.Fatalf("out of order: %v", err)
	}
	done, err := c.CompleteMultipartUpload(ctx, &s3sdk.CompleteMultipartUploadInput{Bucket: aws.String("mp"), Key: aws.String("big"), UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: p1.ETag}, {PartNumber: aws.Int32(2), ETag: p2.CopyPartResult.ETag}}}})
	if err != nil || !strings.HasSuffix(aws.ToString(done.ETag), `-2"`) {
		t.Fatalf("complete %+v %v", done, err)
	}
	h, err := c.HeadObject(ctx, &s3sdk.HeadObjectInput{Bucket: aws.String("mp"), Key: aws.String("big")})
	if err != nil || aws.ToInt64(h.ContentLength) != 1004 || aws.ToString(h.ContentType) != "application/x-big" || h.Metadata["m"] != "1" || aws.ToInt32(h.PartsCount) != 2 {
		t.Fatalf("head %+v %v", h, err)
	}
	up2, _ := c.CreateMultipartUpload(ctx, &s3sdk.CreateMultipartUploadInput{Bucket: aws.String("mp"), Key: aws.String("other")})
	if _, err := c.AbortMultipartUpload(ctx, &s3sdk.AbortMultipartUploadInput{Bucket: aws.String("mp"), Key: aws.String("other"), UploadId: up2.UploadId}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AbortMultipartUpload(ctx, &s3sdk.AbortMultipartUploadInput{Bucket: aws.String("mp"), Key: aws.String("other"), UploadId: up2.UploadId}); apiCode(err) != "NoSuchUpload" {
		t.Fatalf("abort twice: %v", err)
	}
}

func TestSDKAuthAndScopes(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	e.f.CreateBucket(ctx, "allowed", "")
	e.f.CreateBucket(ctx, "other", "")
	if _, err := e.client(testKey, "wrong").ListBuckets(ctx, &s3sdk.ListBucketsInput{}); apiCode(err) != "SignatureDoesNotMatch" {
		t.Fatalf("wrong secret: %v", err)
	}
	if _, err := e.client("AKNOPE", "x").ListBuckets(ctx, &s3sdk.ListBucketsInput{}); apiCode(err) != "InvalidAccessKeyId" {
		t.Fatalf("unknown key: %v", err)
	}
	scoped := e.client("AKSCOPED", "scoped-secret")
	lb, err := scoped.ListBuckets(ctx, &s3sdk.ListBucketsInput{})
	if err != nil || len(lb.Buckets) != 1 || aws.ToString(lb.Buckets[0].Name) != "allowed" {
		t.Fatalf("scoped ListBuckets: %+v %v", lb, err)
	}
	if _, err := scoped.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: aws.String("other"), Key: aws.String("k"), Body: strings.NewReader("x")}); apiCode(err) != "AccessDenied" {
		t.Fatalf("scoped write elsewhere: %v", err)
	}
	if _, err := scoped.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: aws.String("allowed"), Key: aws.String("k"), Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	if _, err := scoped.CopyObject(ctx, &s3sdk.CopyObjectInput{Bucket: aws.String("allowed"), Key: aws.String("k2"), CopySource: aws.String("other/k")}); apiCode(err) != "AccessDenied" {
		t.Fatalf("scoped copy from elsewhere: %v", err)
	}
	ro := e.client("AKRO", "ro-secret")
	if _, err := ro.GetObject(ctx, &s3sdk.GetObjectInput{Bucket: aws.String("allowed"), Key: aws.String("k")}); err != nil {
		t.Fatal(err)
	}
	if _, err := ro.DeleteObject(ctx, &s3sdk.DeleteObjectInput{Bucket: aws.String("allowed"), Key: aws.String("k")}); apiCode(err) != "AccessDenied" {
		t.Fatalf("read-only delete: %v", err)
	}
	resp, err := http.Get(e.srv.URL + "/allowed/k")
	if err != nil || resp.StatusCode != 403 {
		t.Fatalf("anonymous: %v %v", resp, err)
	}
	resp.Body.Close()
}

func TestSDKPresign(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	e.f.CreateBucket(ctx, "pre", "")
	pc := s3sdk.NewPresignClient(e.client(testKey, testSecret))
	put, err := pc.PresignPutObject(ctx, &s3sdk.PutObjectInput{Bucket: aws.String("pre"), Key: aws.String("a b/c")}, s3sdk.WithPresignExpires(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(put.Method, put.URL, strings.NewReader("presigned body"))
	for k, v := range put.SignedHeader {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("presigned PUT: %v %s", err, b)
	}
	resp.Body.Close()
	get, err := pc.PresignGetObject(ctx, &s3sdk.GetObjectInput{Bucket: aws.String("pre"), Key: aws.String("a b/c"), ResponseContentType: aws.String("text/x-override")})
	if err != nil {
		t.Fatal(err)
	}
	resp, err = http.Get(get.URL)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "presigned body" || resp.Header.Get("Content-Type") != "text/x-override" {
		t.Fatalf("presigned GET: %d %q %v", resp.StatusCode, b, resp.Header)
	}
	resp, _ = http.Get(strings.Replace(get.URL, "a%20b", "a%20x", 1))
	if resp.StatusCode != 403 {
		t.Fatalf("tampered presigned URL: %d", resp.StatusCode)
	}
	resp.Body.Close()
	// An expired URL: the server's clock moves on.
	e.s.cfg.Now = func() time.Time { return time.Now().Add(16 * time.Minute) }
	short, _ := pc.PresignGetObject(ctx, &s3sdk.GetObjectInput{Bucket: aws.String("pre"), Key: aws.String("a b/c")}, s3sdk.WithPresignExpires(time.Minute))
	resp, _ = http.Get(short.URL)
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 403 || !strings.Contains(string(b), "expired") {
		t.Fatalf("expired presigned URL: %d %s", resp.StatusCode, b)
	}
}

// signedRequest builds a request signed by the SDK's v4 signer.
func signedRequest(t *testing.T, method, url string, body []byte, payloadHash string, hdr map[string]string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	req.Header.Set("X-Amz-Content-Sha256", payloadHash)
	creds := aws.Credentials{AccessKeyID: testKey, SecretAccessKey: testSecret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, payloadHash, "s3", testRegion, time.Now(),
		func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }); err != nil { // as the S3 client signs
		t.Fatal(err)
	}
	return req
}
