package e2e

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// sdkClient builds an aws-sdk-go-v2 client the way a Go program would, with
// s3.New and explicit options: config.LoadDefaultConfig is not used, so the
// AWS_CA_BUNDLE set on these machines (irrelevant for http) changes nothing.
func sdkClient(p *proc, access, secret string, opts ...func(*s3.Options)) *s3.Client {
	return s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(p.Endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(access, secret, ""),
		// What config.LoadDefaultConfig would choose.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
	}, opts...)
}

func rootClient(t *testing.T) (*proc, *s3.Client) {
	p := shared(t)
	return p, sdkClient(p, rootKey, rootSecret)
}

// newBucket creates a bucket for one test; it is emptied and removed at the end.
func newBucket(t *testing.T, c *s3.Client, prefix string) string {
	t.Helper()
	b := uniqueBucket(prefix)
	if _, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: &b}); err != nil {
		t.Fatalf("CreateBucket %s: %v", b, err)
	}
	t.Cleanup(func() { emptyAndDelete(t, c, b) })
	return b
}

func emptyAndDelete(t *testing.T, c *s3.Client, b string) {
	ctx := context.Background()
	ups, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &b})
	if err == nil {
		for _, u := range ups.Uploads {
			c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &b, Key: u.Key, UploadId: u.UploadId})
		}
	}
	pg := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: &b})
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			var nsb *types.NoSuchBucket
			if !errors.As(err, &nsb) {
				t.Errorf("cleanup: list %s: %v", b, err)
			}
			return
		}
		for _, o := range page.Contents {
			if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &b, Key: o.Key}); err != nil {
				t.Errorf("cleanup: delete %s/%s: %v", b, *o.Key, err)
			}
		}
	}
	if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: &b}); err != nil {
		t.Errorf("cleanup: DeleteBucket %s: %v", b, err)
	}
}

// wantCode fails unless err is an S3 error with the given code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want S3 error %s, have %v", code, err)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("want S3 error %s, have %s: %v", code, ae.ErrorCode(), err)
	}
}

// wantStatus fails unless err carries the given HTTP status.
func wantStatus(t *testing.T, err error, status int) {
	t.Helper()
	var re *awshttp.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("want HTTP %d, have %v", status, err)
	}
	if re.HTTPStatusCode() != status {
		t.Fatalf("want HTTP %d, have %d: %v", status, re.HTTPStatusCode(), err)
	}
}

func getBytes(t *testing.T, c *s3.Client, in *s3.GetObjectInput) ([]byte, *s3.GetObjectOutput) {
	t.Helper()
	out, err := c.GetObject(context.Background(), in)
	if err != nil {
		t.Fatalf("GetObject %s/%s: %v", *in.Bucket, *in.Key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("GetObject %s/%s: read: %v", *in.Bucket, *in.Key, err)
	}
	return b, out
}

func put(t *testing.T, c *s3.Client, bucket, key string, body []byte) *s3.PutObjectOutput {
	t.Helper()
	out, err := c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: bytes.NewReader(body)})
	if err != nil {
		t.Fatalf("PutObject %s/%s: %v", bucket, key, err)
	}
	return out
}

func TestSDKBuckets(t *testing.T) {
	t.Parallel()
	_, c := rootClient(t)
	ctx := context.Background()
	b := uniqueBucket("sdk-buckets")
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &b, CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: "us-east-1"}}); err != nil {
		t.Fatal(err)
	}
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &b})
	if err == nil {
		t.Fatal("CreateBucket of an existing bucket succeeded")
	}
	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &b}); err != nil {
		t.Fatal(err)
	}
	lb, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(lb.Buckets, func(x types.Bucket) bool { return *x.Name == b }) {
		t.Errorf("ListBuckets lacks %s", b)
	}
	if _, err := c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: &b}); err != nil {
		t.Errorf("GetBucketLocation: %v", err)
	}
	v, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: &b})
	if err != nil || v.Status != "" {
		t.Errorf("GetBucketVersioning = %+v, %v; want not enabled", v, err)
	}
	_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("Bad_Name")})
	wantCode(t, err, "InvalidBucketName")

	put(t, c, b, "k", []byte("x"))
	_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: &b})
	wantCode(t, err, "BucketNotEmpty")
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &b, Key: aws.String("k")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: &b}); err != nil {
		t.Fatal(err)
	}
	_, err = c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &b})
	wantStatus(t, err, http.StatusNotFound)
	_, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &b})
	wantCode(t, err, "NoSuchBucket")
}

func TestSDKObjects(t *testing.T) {
	t.Parallel()
	_, c := rootClient(t)
	ctx := context.Background()
	b := newBucket(t, c, "sdk-objects")
	body := randomBytes(t, 300_000)
	sum := md5.Sum(body)
	out, err := c.PutObject(ctx, &s3.PutObjectInput{
		Bucket: &b, Key: aws.String("dir/obj.bin"), Body: bytes.NewReader(body),
		ContentType: aws.String("application/x-test"), CacheControl: aws.String("max-age=60"),
		ContentDisposition: aws.String(`attachment; filename="obj.bin"`), ContentEncoding: aws.String("identity"),
		ContentLanguage: aws.String("en"), Expires: aws.Time(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)),
		Metadata:   map[string]string{"color": "blue", "Owner": "Ann"},
		ContentMD5: aws.String(base64.StdEncoding.EncodeToString(sum[:])),
	})
	if err != nil {
		t.Fatal(err)
	}
	wantETag := fmt.Sprintf("%q", fmt.Sprintf("%x", sum))
	if *out.ETag != wantETag {
		t.Errorf("ETag %s, want %s", *out.ETag, wantETag)
	}

	h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b, Key: aws.String("dir/obj.bin")})
	if err != nil {
		t.Fatal(err)
	}
	if *h.ContentLength != int64(len(body)) || *h.ContentType != "application/x-test" || *h.CacheControl != "max-age=60" ||
		*h.ContentDisposition != `attachment; filename="obj.bin"` || *h.ContentLanguage != "en" || *h.ETag != wantETag ||
		h.Metadata["color"] != "blue" || h.Metadata["owner"] != "Ann" {
		t.Errorf("HeadObject = len %d type %q cc %q cd %q lang %q etag %s meta %v", *h.ContentLength, *h.ContentType, *h.CacheControl, *h.ContentDisposition, *h.ContentLanguage, *h.ETag, h.Metadata)
	}
	if h.ExpiresString == nil || !strings.Contains(*h.ExpiresString, "2030") {
		t.Errorf("Expires = %v", h.ExpiresString)
	}

	got, _ := getBytes(t, c, &s3.GetObjectInput{Bucket: &b, Key: aws.String("dir/obj.bin")})
	if !bytes.Equal(got, body) {
		t.Fatal("GetObject returned other bytes")
	}

	// Ranges: closed, open, suffix.
	for _, tc := range []struct {
		rng        string
		start, end int
	}{{"bytes=10-19", 10, 20}, {"bytes=299990-", 299990, 300000}, {"bytes=-7", 300000 - 7, 300000}, {"bytes=262100-262200", 262100, 262201}} {
		got, o := getBytes(t, c, &s3.GetObjectInput{Bucket: &b, Key: aws.String("dir/obj.bin"), Range: &tc.rng})
		if !bytes.Equal(got, body[tc.start:tc.end]) {
			t.Errorf("Range %s: wrong bytes (%d)", tc.rng, len(got))
		}
		if want := fmt.Sprintf("bytes %d-%d/%d", tc.start, tc.end-1, len(body)); o.ContentRange == nil || *o.ContentRange != want {
			t.Errorf("Range %s: Content-Range %v, want %s", tc.rng, o.ContentRange, want)
		}
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("dir/obj.bin"), Range: aws.String("bytes=400000-")})
	wantCode(t, err, "InvalidRange")

	// response-* overrides.
	_, o := getBytes(t, c, &s3.GetObjectInput{Bucket: &b, Key: aws.String("dir/obj.bin"), ResponseContentType: aws.String("text/plain"), ResponseContentDisposition: aws.String("inline")})
	if *o.ContentType != "text/plain" || *o.ContentDisposition != "inline" {
		t.Errorf("response-* overrides ignored: %q %q", *o.ContentType, *o.ContentDisposition)
	}

	// Conditionals.
	key := aws.String("dir/obj.bin")
	past, future := time.Now().Add(-24*time.Hour), time.Now().Add(24*time.Hour)
	if _, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: key, IfMatch: aws.String(wantETag)}); err != nil {
		t.Errorf("If-Match (right ETag): %v", err)
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: key, IfMatch: aws.String(`"0123"`)})
	wantStatus(t, err, http.StatusPreconditionFailed)
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: key, IfNoneMatch: aws.String(wantETag)})
	wantStatus(t, err, http.StatusNotModified)
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: key, IfModifiedSince: &future})
	wantStatus(t, err, http.StatusNotModified)
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b, Key: key, IfUnmodifiedSince: &past})
	wantStatus(t, err, http.StatusPreconditionFailed)
	if _, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: key, IfModifiedSince: &past}); err != nil {
		t.Errorf("If-Modified-Since (past): %v", err)
	}

	// Conditional PUT.
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: key, Body: strings.NewReader("no"), IfNoneMatch: aws.String("*")})
	wantStatus(t, err, http.StatusPreconditionFailed)
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: key, Body: strings.NewReader("no"), IfMatch: aws.String(`"ffff"`)})
	wantStatus(t, err, http.StatusPreconditionFailed)
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("new"), Body: strings.NewReader("yes"), IfNoneMatch: aws.String("*")}); err != nil {
		t.Errorf("If-None-Match: * on a new key: %v", err)
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("new"), Body: strings.NewReader("yes again"), IfMatch: aws.String(`"` + fmt.Sprintf("%x", md5.Sum([]byte("yes"))) + `"`)}); err != nil {
		t.Errorf("If-Match on the current ETag: %v", err)
	}
	if got, _ := getBytes(t, c, &s3.GetObjectInput{Bucket: &b, Key: key}); !bytes.Equal(got, body) {
		t.Error("a failed conditional PUT changed the object")
	}

	// Content-MD5 mismatch.
	bad := md5.Sum([]byte("other"))
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("md5"), Body: strings.NewReader("body"), ContentMD5: aws.String(base64.StdEncoding.EncodeToString(bad[:]))})
	wantCode(t, err, "BadDigest")
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b, Key: aws.String("md5")})
	wantStatus(t, err, http.StatusNotFound)

	// Flexible checksums: stored and returned when asked.
	for _, algo := range []types.ChecksumAlgorithm{types.ChecksumAlgorithmCrc32, types.ChecksumAlgorithmCrc32c, types.ChecksumAlgorithmSha1, types.ChecksumAlgorithmSha256, types.ChecksumAlgorithmCrc64nvme} {
		k := "sum-" + string(algo)
		po, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: &k, Body: bytes.NewReader(body[:5000]), ChecksumAlgorithm: algo})
		if err != nil {
			t.Errorf("PutObject with %s: %v", algo, err)
			continue
		}
		go2, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: &k, ChecksumMode: types.ChecksumModeEnabled})
		if err != nil {
			t.Errorf("GetObject %s: %v", k, err)
			continue
		}
		io.Copy(io.Discard, go2.Body) // the SDK validates the checksum while reading
		go2.Body.Close()
		want, have := checksumOf(po.ChecksumCRC32, po.ChecksumCRC32C, po.ChecksumSHA1, po.ChecksumSHA256, po.ChecksumCRC64NVME),
			checksumOf(go2.ChecksumCRC32, go2.ChecksumCRC32C, go2.ChecksumSHA1, go2.ChecksumSHA256, go2.ChecksumCRC64NVME)
		if want == "" || want != have {
			t.Errorf("%s: PUT returned checksum %q, GET %q", algo, want, have)
		}
	}

	// Delete.
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &b, Key: key}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: key})
	wantCode(t, err, "NoSuchKey")
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &b, Key: key}); err != nil {
		t.Errorf("deleting an absent key: %v", err)
	}
}

func checksumOf(ps ...*string) string {
	for _, p := range ps {
		if p != nil && *p != "" {
			return *p
		}
	}
	return ""
}

// onlyReader hides every interface but io.Reader, so the SDK cannot seek
// the body: it streams it as aws-chunked with a trailing checksum.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

// TestSDKStreamingTrailerUpload covers the SDK's default for a body it cannot
// seek: aws-chunked with a trailing x-amz-checksum-*. The SDK only does that
// over HTTPS, so this test runs its own prismd with tls_cert_file/tls_key_file.
func TestSDKStreamingTrailerUpload(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pool := writeSelfSignedCert(t, dir)
	p := start(t, dir, `
data_dir = "data"
tls_cert_file = "cert.pem"
tls_key_file = "key.pem"
`, []string{"PRISMD_ACCESS_KEY=" + rootKey, "PRISMD_SECRET_KEY=" + rootSecret})
	if !strings.HasPrefix(p.Endpoint, "https://") {
		t.Fatalf("endpoint %s, want https://", p.Endpoint)
	}
	httpClient := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.TLSClientConfig = &tls.Config{RootCAs: pool}
	})
	c := sdkClient(p, rootKey, rootSecret, func(o *s3.Options) { o.HTTPClient = httpClient })
	ctx := context.Background()
	b := newBucket(t, c, "sdk-stream")
	body := randomBytes(t, 3<<20+17)
	for _, algo := range []types.ChecksumAlgorithm{"", types.ChecksumAlgorithmCrc32, types.ChecksumAlgorithmCrc32c, types.ChecksumAlgorithmSha256} {
		k := "stream-" + string(algo)
		var seen sync.Map
		out, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: &k, Body: onlyReader{bytes.NewReader(body)}, ContentLength: aws.Int64(int64(len(body))), ChecksumAlgorithm: algo},
			func(o *s3.Options) { o.HTTPClient = recordingClient{&seen, httpClient} })
		if err != nil {
			t.Fatalf("streaming PutObject (%q): %v", algo, err)
		}
		enc, _ := seen.Load("Content-Encoding")
		sha, _ := seen.Load("X-Amz-Content-Sha256")
		trailer, _ := seen.Load("X-Amz-Trailer")
		if !strings.Contains(fmt.Sprint(sha), "TRAILER") || trailer == nil || !strings.Contains(fmt.Sprint(enc), "aws-chunked") {
			t.Errorf("%q: the SDK did not send an aws-chunked trailer upload (Content-Encoding %v, x-amz-content-sha256 %v, x-amz-trailer %v)", algo, enc, sha, trailer)
		}
		got, g := getBytes(t, c, &s3.GetObjectInput{Bucket: &b, Key: &k, ChecksumMode: types.ChecksumModeEnabled})
		if !bytes.Equal(got, body) {
			t.Fatalf("%q: stored bytes differ", algo)
		}
		if algo == "" || algo == types.ChecksumAlgorithmCrc32 {
			h := crc32.NewIEEE()
			h.Write(body)
			want := base64.StdEncoding.EncodeToString(h.Sum(nil))
			if g.ChecksumCRC32 == nil || *g.ChecksumCRC32 != want || out.ChecksumCRC32 == nil || *out.ChecksumCRC32 != want {
				t.Errorf("%q: CRC32 PUT %v GET %v, want %s", algo, out.ChecksumCRC32, g.ChecksumCRC32, want)
			}
		} else if want, have := checksumOf(out.ChecksumCRC32C, out.ChecksumSHA256), checksumOf(g.ChecksumCRC32C, g.ChecksumSHA256); want == "" || want != have {
			t.Errorf("%q: PUT returned checksum %q, GET %q", algo, want, have)
		}
	}
	// A multipart part streamed the same way.
	cu, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &b, Key: aws.String("mp"), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
	if err != nil {
		t.Fatal(err)
	}
	up, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: &b, Key: aws.String("mp"), UploadId: cu.UploadId, PartNumber: aws.Int32(1),
		Body: onlyReader{bytes.NewReader(body)}, ContentLength: aws.Int64(int64(len(body))), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
	if err != nil {
		t.Fatalf("streaming UploadPart: %v", err)
	}
	if _, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &b, Key: aws.String("mp"), UploadId: cu.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: up.ETag, ChecksumCRC32: up.ChecksumCRC32}}}}); err != nil {
		t.Fatal(err)
	}
	if got, _ := getBytes(t, c, &s3.GetObjectInput{Bucket: &b, Key: aws.String("mp")}); !bytes.Equal(got, body) {
		t.Fatal("streamed multipart: bytes differ")
	}
}

// recordingClient records the headers of the requests it sends.
type recordingClient struct {
	seen *sync.Map
	next interface {
		Do(*http.Request) (*http.Response, error)
	}
}

func (r recordingClient) Do(req *http.Request) (*http.Response, error) {
	for _, h := range []string{"Content-Encoding", "X-Amz-Content-Sha256", "X-Amz-Trailer", "X-Amz-Decoded-Content-Length"} {
		if v := req.Header.Get(h); v != "" {
			r.seen.Store(h, v)
		}
	}
	return r.next.Do(req)
}

func TestSDKPresigned(t *testing.T) {
	t.Parallel()
	_, c := rootClient(t)
	ctx := context.Background()
	b := newBucket(t, c, "sdk-presign")
	pc := s3.NewPresignClient(c)
	body := randomBytes(t, 70_000)

	pu, err := pc.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("via presigned put")}, s3.WithPresignExpires(10*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPut, pu.URL, bytes.NewReader(body))
	for k, vs := range pu.SignedHeader {
		if k != "Host" {
			req.Header[k] = vs
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("presigned PUT: %s\n%s", resp.Status, msg)
	}

	pg, err := pc.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("via presigned put")}, s3.WithPresignExpires(10*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	resp, err = http.Get(pg.URL)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Equal(got, body) {
		t.Fatalf("presigned GET: %s, %d bytes", resp.Status, len(got))
	}

	// A tampered URL and an expired one get no data.
	resp, err = http.Get(strings.Replace(pg.URL, "via%20presigned%20put", "via%20presigned%20pub", 1))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("tampered presigned GET: %s, want 403", resp.Status)
	}
	short, err := pc.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("via presigned put")}, s3.WithPresignExpires(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(2100 * time.Millisecond)
	resp, err = http.Get(short.URL)
	if err != nil {
		t.Fatal(err)
	}
	msg, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || bytes.Contains(msg, body[:100]) {
		t.Errorf("expired presigned GET: %s, want 403\n%s", resp.Status, msg)
	}
}

func TestSDKMultipart(t *testing.T) {
	t.Parallel()
	_, c := rootClient(t)
	ctx := context.Background()
	b := newBucket(t, c, "sdk-multipart")
	const partSize = 8 << 20
	body := randomBytes(t, 50<<20+12345) // 7 parts: 6 × 8 MiB + the rest
	key := aws.String("videos/big file.mp4")

	cu, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &b, Key: key, ContentType: aws.String("video/mp4"), Metadata: map[string]string{"camera": "x100"}})
	if err != nil {
		t.Fatal(err)
	}
	// A second upload that is aborted, and one left open to list.
	other, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &b, Key: aws.String("videos/aborted.mp4")})
	if err != nil {
		t.Fatal(err)
	}

	var parts []types.CompletedPart
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i, n := 0, int32(1); i < len(body); i, n = i+partSize, n+1 {
		chunk := body[i:min(i+partSize, len(body))]
		wg.Add(1)
		go func(n int32, chunk []byte) {
			defer wg.Done()
			up, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: &b, Key: key, UploadId: cu.UploadId, PartNumber: aws.Int32(n), Body: bytes.NewReader(chunk)})
			if err != nil {
				errs <- fmt.Errorf("UploadPart %d: %w", n, err)
				return
			}
			mu.Lock()
			parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(n), ETag: up.ETag})
			mu.Unlock()
		}(n, chunk)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	sort.Slice(parts, func(i, j int) bool { return *parts[i].PartNumber < *parts[j].PartNumber })
	if _, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: &b, Key: aws.String("videos/aborted.mp4"), UploadId: other.UploadId, PartNumber: aws.Int32(1), Body: bytes.NewReader(body[:1000])}); err != nil {
		t.Fatal(err)
	}

	lu, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &b, Prefix: aws.String("videos/")})
	if err != nil {
		t.Fatal(err)
	}
	if len(lu.Uploads) != 2 {
		t.Errorf("ListMultipartUploads: %d uploads, want 2", len(lu.Uploads))
	}
	lu1, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &b, MaxUploads: aws.Int32(1)})
	if err != nil || len(lu1.Uploads) != 1 || !*lu1.IsTruncated {
		t.Errorf("ListMultipartUploads max 1: %+v, %v", lu1, err)
	}
	lp, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: &b, Key: key, UploadId: cu.UploadId, MaxParts: aws.Int32(4)})
	if err != nil {
		t.Fatal(err)
	}
	if len(lp.Parts) != 4 || !*lp.IsTruncated || *lp.Parts[0].Size != partSize {
		t.Errorf("ListParts page 1: %d parts, truncated %v", len(lp.Parts), *lp.IsTruncated)
	}
	lp2, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: &b, Key: key, UploadId: cu.UploadId, PartNumberMarker: lp.NextPartNumberMarker})
	if err != nil || len(lp2.Parts) != 3 {
		t.Errorf("ListParts page 2: %v, %v", lp2, err)
	}

	// Out of order parts are refused.
	swapped := slices.Clone(parts)
	swapped[0], swapped[1] = swapped[1], swapped[0]
	_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &b, Key: key, UploadId: cu.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: swapped}})
	wantCode(t, err, "InvalidPartOrder")

	done, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &b, Key: key, UploadId: cu.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(strings.Trim(*done.ETag, `"`), "-7") {
		t.Errorf("multipart ETag %s, want …-7", *done.ETag)
	}
	got, o := getBytes(t, c, &s3.GetObjectInput{Bucket: &b, Key: key})
	if sha256Bytes(got) != sha256Bytes(body) {
		t.Fatal("multipart object: bytes differ")
	}
	if *o.ContentType != "video/mp4" || o.Metadata["camera"] != "x100" {
		t.Errorf("multipart object lost its metadata: %q %v", *o.ContentType, o.Metadata)
	}
	// A range across a part boundary, and one part by number.
	got, _ = getBytes(t, c, &s3.GetObjectInput{Bucket: &b, Key: key, Range: aws.String(fmt.Sprintf("bytes=%d-%d", partSize-100, partSize+99))})
	if !bytes.Equal(got, body[partSize-100:partSize+100]) {
		t.Error("range across parts: bytes differ")
	}
	got, o = getBytes(t, c, &s3.GetObjectInput{Bucket: &b, Key: key, PartNumber: aws.Int32(2)})
	if !bytes.Equal(got, body[partSize:2*partSize]) || o.PartsCount == nil || *o.PartsCount != 7 {
		t.Errorf("partNumber=2: %d bytes, parts count %v", len(got), o.PartsCount)
	}

	if _, err := c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &b, Key: aws.String("videos/aborted.mp4"), UploadId: other.UploadId}); err != nil {
		t.Fatal(err)
	}
	_, err = c.ListParts(ctx, &s3.ListPartsInput{Bucket: &b, Key: aws.String("videos/aborted.mp4"), UploadId: other.UploadId})
	wantCode(t, err, "NoSuchUpload")
	lu, err = c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &b})
	if err != nil || len(lu.Uploads) != 0 {
		t.Errorf("uploads left after complete and abort: %v, %v", lu, err)
	}
}

func TestSDKCopy(t *testing.T) {
	t.Parallel()
	_, c := rootClient(t)
	ctx := context.Background()
	b := newBucket(t, c, "sdk-copy")
	b2 := newBucket(t, c, "sdk-copy-dst")
	body := randomBytes(t, 2<<20)
	src := "src dir/a b+c&d.bin"
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: &src, Body: bytes.NewReader(body), ContentType: aws.String("application/x-src"), Metadata: map[string]string{"k": "v"}}); err != nil {
		t.Fatal(err)
	}
	copySource := b + "/" + strings.NewReplacer(" ", "%20", "+", "%2B", "&", "%26").Replace(src)

	if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &b2, Key: aws.String("copy"), CopySource: &copySource}); err != nil {
		t.Fatal(err)
	}
	got, o := getBytes(t, c, &s3.GetObjectInput{Bucket: &b2, Key: aws.String("copy")})
	if !bytes.Equal(got, body) || *o.ContentType != "application/x-src" || o.Metadata["k"] != "v" {
		t.Errorf("COPY directive: bytes equal %v, type %q, meta %v", bytes.Equal(got, body), *o.ContentType, o.Metadata)
	}
	if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &b, Key: aws.String("replaced"), CopySource: &copySource,
		MetadataDirective: types.MetadataDirectiveReplace, ContentType: aws.String("text/x-new"), Metadata: map[string]string{"n": "1"}}); err != nil {
		t.Fatal(err)
	}
	h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b, Key: aws.String("replaced")})
	if err != nil || *h.ContentType != "text/x-new" || h.Metadata["n"] != "1" || h.Metadata["k"] != "" {
		t.Errorf("REPLACE directive: %+v, %v", h, err)
	}
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &b, Key: aws.String("never"), CopySource: &copySource, CopySourceIfMatch: aws.String(`"abc"`)})
	wantStatus(t, err, http.StatusPreconditionFailed)
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &b, Key: aws.String("never"), CopySource: aws.String(b + "/missing")})
	wantCode(t, err, "NoSuchKey")

	// The copy outlives its source.
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &b, Key: &src}); err != nil {
		t.Fatal(err)
	}
	if got, _ := getBytes(t, c, &s3.GetObjectInput{Bucket: &b2, Key: aws.String("copy")}); !bytes.Equal(got, body) {
		t.Error("copy changed after its source was deleted")
	}
}

func TestSDKDeleteObjects(t *testing.T) {
	t.Parallel()
	_, c := rootClient(t)
	ctx := context.Background()
	b := newBucket(t, c, "sdk-delete")
	var ids []types.ObjectIdentifier
	for i := range 12 {
		k := fmt.Sprintf("obj/%02d", i)
		put(t, c, b, k, []byte(k))
		ids = append(ids, types.ObjectIdentifier{Key: aws.String(k)})
	}
	put(t, c, b, "keep", []byte("keep"))
	ids = append(ids, types.ObjectIdentifier{Key: aws.String("never-existed")})
	out, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: &b, Delete: &types.Delete{Objects: ids[:6]}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Deleted) != 6 || len(out.Errors) != 0 {
		t.Errorf("DeleteObjects: %d deleted, %d errors", len(out.Deleted), len(out.Errors))
	}
	out, err = c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: &b, Delete: &types.Delete{Objects: ids[6:], Quiet: aws.Bool(true)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Deleted) != 0 || len(out.Errors) != 0 {
		t.Errorf("quiet DeleteObjects: %d deleted entries, %d errors; want none", len(out.Deleted), len(out.Errors))
	}
	l, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &b})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Contents) != 1 || *l.Contents[0].Key != "keep" {
		t.Errorf("after DeleteObjects: %d objects", len(l.Contents))
	}
}

func TestSDKListObjectsV2(t *testing.T) {
	t.Parallel()
	_, c := rootClient(t)
	ctx := context.Background()
	b := newBucket(t, c, "sdk-list")
	keys := []string{"a/1", "a/2", "a/3", "b/x/1", "b/y", "c", "d/1", "d/2", "e", "f/%20space key"}
	for _, k := range keys {
		put(t, c, b, k, []byte(k))
	}

	// Delimiter + pagination: walk with max-keys 2 and collect everything.
	var gotKeys, gotPrefixes []string
	var token *string
	pages := 0
	for {
		out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &b, Delimiter: aws.String("/"), MaxKeys: aws.Int32(2), ContinuationToken: token})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if n := len(out.Contents) + len(out.CommonPrefixes); n > 2 {
			t.Errorf("page %d has %d entries, max-keys 2", pages, n)
		}
		for _, o := range out.Contents {
			gotKeys = append(gotKeys, *o.Key)
		}
		for _, p := range out.CommonPrefixes {
			gotPrefixes = append(gotPrefixes, *p.Prefix)
		}
		if !*out.IsTruncated {
			break
		}
		token = out.NextContinuationToken
		if pages > 20 {
			t.Fatal("pagination does not end")
		}
	}
	if want := []string{"c", "e"}; !slices.Equal(gotKeys, want) {
		t.Errorf("keys %v, want %v", gotKeys, want)
	}
	if want := []string{"a/", "b/", "d/", "f/"}; !slices.Equal(gotPrefixes, want) {
		t.Errorf("prefixes %v, want %v", gotPrefixes, want)
	}
	if pages != 3 {
		t.Errorf("%d pages, want 3", pages)
	}

	// Prefix, nested delimiter, start-after, fetch-owner, url encoding.
	out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &b, Prefix: aws.String("b/"), Delimiter: aws.String("/")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Contents) != 1 || *out.Contents[0].Key != "b/y" || len(out.CommonPrefixes) != 1 || *out.CommonPrefixes[0].Prefix != "b/x/" {
		t.Errorf("prefix b/: %d objects, %d prefixes", len(out.Contents), len(out.CommonPrefixes))
	}
	out, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &b, StartAfter: aws.String("d/1"), FetchOwner: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	var after []string
	for _, o := range out.Contents {
		after = append(after, *o.Key)
	}
	if want := []string{"d/2", "e", "f/%20space key"}; !slices.Equal(after, want) {
		t.Errorf("start-after d/1: %v, want %v", after, want)
	}
	if len(out.Contents) > 0 && out.Contents[0].Owner == nil {
		t.Error("fetch-owner: no owner")
	}
	out, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &b, Prefix: aws.String("f/"), EncodingType: types.EncodingTypeUrl})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Contents) != 1 {
		t.Errorf("encoding-type=url: %d objects", len(out.Contents))
	} else if k, err := url.QueryUnescape(*out.Contents[0].Key); err != nil || k != "f/%20space key" || *out.Contents[0].Key == k { // the SDK leaves keys encoded
		t.Errorf("encoding-type=url: key %q decodes to %q, %v", *out.Contents[0].Key, k, err)
	}

	// ListObjects v1 with marker.
	v1, err := c.ListObjects(ctx, &s3.ListObjectsInput{Bucket: &b, MaxKeys: aws.Int32(3), Delimiter: aws.String("/")})
	if err != nil {
		t.Fatal(err)
	}
	if !*v1.IsTruncated || v1.NextMarker == nil {
		t.Fatalf("ListObjects v1 page 1: truncated %v next %v", *v1.IsTruncated, v1.NextMarker)
	}
	v1b, err := c.ListObjects(ctx, &s3.ListObjectsInput{Bucket: &b, Marker: v1.NextMarker, Delimiter: aws.String("/")})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(v1.Contents) + len(v1.CommonPrefixes) + len(v1b.Contents) + len(v1b.CommonPrefixes); n != 6 {
		t.Errorf("ListObjects v1: %d entries over two pages, want 6", n)
	}
}

func TestSDKAuth(t *testing.T) {
	t.Parallel()
	p, root := rootClient(t)
	ctx := context.Background()
	other := newBucket(t, root, "sdk-auth")

	_, err := sdkClient(p, rootKey, "wrong-secret-000000").ListBuckets(ctx, &s3.ListBucketsInput{})
	wantCode(t, err, "SignatureDoesNotMatch")
	_, err = sdkClient(p, "nobody", "whatever-secret").ListBuckets(ctx, &s3.ListBucketsInput{})
	wantCode(t, err, "InvalidAccessKeyId")
	resp, err := http.Get(p.Endpoint + "/" + other)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("anonymous request: %s, want 403", resp.Status)
	}

	// alice: read-only, alice-photos only (from [[access_key]] in the config).
	if _, err := root.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(aliceBucket)}); err != nil {
		var owned *types.BucketAlreadyOwnedByYou
		var exists *types.BucketAlreadyExists
		if !errors.As(err, &owned) && !errors.As(err, &exists) {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { emptyAndDelete(t, root, aliceBucket) })
	put(t, root, aliceBucket, "cat.jpg", []byte("meow"))
	alice := sdkClient(p, aliceKey, aliceSecret)
	if got, _ := getBytes(t, alice, &s3.GetObjectInput{Bucket: aws.String(aliceBucket), Key: aws.String("cat.jpg")}); string(got) != "meow" {
		t.Errorf("alice reads %q", got)
	}
	_, err = alice.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(aliceBucket), Key: aws.String("dog.jpg"), Body: strings.NewReader("woof")})
	wantCode(t, err, "AccessDenied")
	_, err = alice.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(aliceBucket), Key: aws.String("cat.jpg")})
	wantCode(t, err, "AccessDenied")
	_, err = alice.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &other})
	wantCode(t, err, "AccessDenied")
	if got, _ := getBytes(t, root, &s3.GetObjectInput{Bucket: aws.String(aliceBucket), Key: aws.String("cat.jpg")}); string(got) != "meow" {
		t.Error("a refused request changed the object")
	}
}
