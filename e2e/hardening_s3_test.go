package e2e

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// doHTTP sends req and returns the status and the whole body.
func doHTTP(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, string(b)
}

// signedGet signs a GET of rawPath (escaped, with its query) as the root
// key, for requests the SDK cannot express.
func signedGet(t *testing.T, p *proc, rawPath string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, p.Endpoint+rawPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	const empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	req.Header.Set("X-Amz-Content-Sha256", empty)
	creds := aws.Credentials{AccessKeyID: rootKey, SecretAccessKey: rootSecret}
	err = v4.NewSigner().SignHTTP(context.Background(), creds, req, empty, "s3", "us-east-1", time.Now(),
		func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// TestHardeningPresignedCopyRefused: a presigned PUT URL used with an
// added, unsigned x-amz-copy-source copies nothing; the URL still works as
// signed, and the debug log does not hold its signature.
func TestHardeningPresignedCopyRefused(t *testing.T) {
	t.Parallel()
	p, c := rootClient(t)
	ctx := context.Background()
	b := newBucket(t, c, "harden-presign")
	put(t, c, b, "secret", []byte("the secret"))
	pu, err := s3.NewPresignClient(c).PresignPutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("target")}, s3.WithPresignExpires(10*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	presigned := func(extra string) *http.Request {
		req, _ := http.NewRequest(http.MethodPut, pu.URL, strings.NewReader("uploaded"))
		for k, vs := range pu.SignedHeader {
			if k != "Host" {
				req.Header[k] = vs
			}
		}
		if extra != "" {
			req.Header.Set("X-Amz-Copy-Source", extra)
		}
		return req
	}
	status, msg := doHTTP(t, presigned("/"+b+"/secret"))
	if status != http.StatusForbidden || !strings.Contains(msg, "<HeadersNotSigned>x-amz-copy-source</HeadersNotSigned>") {
		t.Fatalf("presigned PUT with an unsigned x-amz-copy-source: %d\n%s", status, msg)
	}
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b, Key: aws.String("target")})
	wantStatus(t, err, http.StatusNotFound)
	if status, msg := doHTTP(t, presigned("")); status != http.StatusOK {
		t.Fatalf("presigned PUT as signed: %d\n%s", status, msg)
	}
	if got, _ := getBytes(t, c, &s3.GetObjectInput{Bucket: &b, Key: aws.String("target")}); string(got) != "uploaded" {
		t.Fatalf("target holds %q", got)
	}
	u, _ := url.Parse(pu.URL)
	if sig := u.Query().Get("X-Amz-Signature"); sig == "" || strings.Contains(p.log(), sig) {
		t.Errorf("the debug log holds the presigned signature %q", sig)
	}
}

// TestHardeningUnsupportedHeaders: what the SDK asks for and prismd cannot
// do is refused with 501, and nothing is stored.
func TestHardeningUnsupportedHeaders(t *testing.T) {
	t.Parallel()
	_, c := rootClient(t)
	ctx := context.Background()
	b := newBucket(t, c, "harden-headers")
	for name, in := range map[string]*s3.PutObjectInput{
		"storage class": {StorageClass: types.StorageClassGlacier},
		"SSE-S3":        {ServerSideEncryption: types.ServerSideEncryptionAes256},
	} {
		in.Bucket, in.Key, in.Body = &b, aws.String("k"), bytes.NewReader([]byte("data"))
		_, err := c.PutObject(ctx, in)
		wantCode(t, err, "NotImplemented")
		if _, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &b, Key: aws.String("k"), StorageClass: in.StorageClass,
			ServerSideEncryption: in.ServerSideEncryption, ObjectLockLegalHoldStatus: in.ObjectLockLegalHoldStatus}); err == nil {
			t.Errorf("%s: CreateMultipartUpload accepted", name)
		}
	}
	// Object lock in a bucket without it: refused as AWS does.
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("k"), Body: bytes.NewReader([]byte("data")),
		ObjectLockLegalHoldStatus: types.ObjectLockLegalHoldStatusOn})
	wantCode(t, err, "InvalidRequest")
	if _, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &b, Key: aws.String("k"),
		ObjectLockLegalHoldStatus: types.ObjectLockLegalHoldStatusOn}); err == nil {
		t.Error("object lock: CreateMultipartUpload accepted")
	}
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b, Key: aws.String("k")})
	wantStatus(t, err, http.StatusNotFound)
	put(t, c, b, "standard", []byte("data")) // and a plain PUT still works
}

// TestHardeningListingsAndIntegers: a key with a control character is
// listed as AWS lists it (&#x1;) and round-trips with encoding-type=url;
// integer query parameters with a sign are refused.
func TestHardeningListingsAndIntegers(t *testing.T) {
	t.Parallel()
	p, c := rootClient(t)
	ctx := context.Background()
	b := newBucket(t, c, "harden-list")
	const key = "ctl\x01key\x1f"
	put(t, c, b, key, []byte("x"))
	// Before newBucket's cleanup, which lists without encoding-type.
	t.Cleanup(func() { c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &b, Key: aws.String(key)}) })
	status, msg := doHTTP(t, signedGet(t, p, "/"+b+"?list-type=2"))
	if status != http.StatusOK || !strings.Contains(msg, "<Key>ctl&#x1;key&#x1f;</Key>") {
		t.Fatalf("listing: %d\n%s", status, msg)
	}
	l, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &b, EncodingType: types.EncodingTypeUrl})
	if err != nil || len(l.Contents) != 1 {
		t.Fatalf("listing with encoding-type=url: %+v %v", l, err)
	}
	if k, err := url.QueryUnescape(aws.ToString(l.Contents[0].Key)); err != nil || k != key {
		t.Fatalf("listed key %q", aws.ToString(l.Contents[0].Key))
	}
	for _, q := range []string{"?max-keys=%2B5", "?list-type=2&max-keys=%205", "?uploads&max-uploads=%2B1"} {
		if status, msg := doHTTP(t, signedGet(t, p, "/"+b+q)); status != http.StatusBadRequest || !strings.Contains(msg, "<Code>InvalidArgument</Code>") {
			t.Errorf("GET %s: %d\n%s", q, status, msg)
		}
	}
	if status, msg := doHTTP(t, signedGet(t, p, "/"+b+"/ctl%01key%1F?partNumber=%2B1")); status != http.StatusBadRequest || !strings.Contains(msg, "Part number must be") {
		t.Errorf("partNumber=+1: %d\n%s", status, msg)
	}
}
