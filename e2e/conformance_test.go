package e2e

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"fmt"
	"hash/crc64"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// signedRequest signs a request of rawPath (escaped, with its query) as the
// root key with UNSIGNED-PAYLOAD; with chunked the body is sent with
// Transfer-Encoding: chunked and no Content-Length.
func signedRequest(t *testing.T, p *proc, method, rawPath string, body []byte, chunked bool, hdr map[string]string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, p.Endpoint+rawPath, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	if chunked {
		req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(body)), -1
	}
	creds := aws.Credentials{AccessKeyID: rootKey, SecretAccessKey: rootSecret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, "UNSIGNED-PAYLOAD", "s3", "us-east-1", time.Now(),
		func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }); err != nil {
		t.Fatal(err)
	}
	return req
}

// TestConformanceChecksums: against a real prismd, a PUT without a
// checksum gets the CRC64NVME aws-sdk-go-v2 computes; a multipart upload
// created FULL_OBJECT CRC32 reads back with the SDK validating that
// checksum; GetObjectAttributes lists its parts with sizes and checksums.
func TestConformanceChecksums(t *testing.T) {
	t.Parallel()
	p, c := rootClient(t)
	plain := sdkClient(p, rootKey, rootSecret, func(o *s3.Options) {
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
	})
	ctx := context.Background()
	b := newBucket(t, c, "conf-sums")
	data := bytes.Repeat([]byte("crc64nvme "), 5000)
	po, err := plain.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("plain"), Body: bytes.NewReader(data)})
	if err != nil {
		t.Fatal(err)
	}
	sdk, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("sdk"), Body: bytes.NewReader(data), ChecksumAlgorithm: types.ChecksumAlgorithmCrc64nvme})
	if err != nil {
		t.Fatal(err)
	}
	nvme := crc64.Checksum(data, crc64.MakeTable(0x9a6c9329ac4bc9b5))
	local := base64.StdEncoding.EncodeToString([]byte{byte(nvme >> 56), byte(nvme >> 48), byte(nvme >> 40), byte(nvme >> 32), byte(nvme >> 24), byte(nvme >> 16), byte(nvme >> 8), byte(nvme)})
	if aws.ToString(po.ChecksumCRC64NVME) == "" || aws.ToString(po.ChecksumCRC64NVME) != aws.ToString(sdk.ChecksumCRC64NVME) ||
		aws.ToString(po.ChecksumCRC64NVME) != local || po.ChecksumType != types.ChecksumTypeFullObject {
		t.Fatalf("default checksum %q (%s), the SDK's %q, hash/crc64 %q", aws.ToString(po.ChecksumCRC64NVME), po.ChecksumType, aws.ToString(sdk.ChecksumCRC64NVME), local)
	}
	g, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("plain"), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil || aws.ToString(g.ChecksumCRC64NVME) != local {
		t.Fatalf("GET in checksum mode: %v", err)
	}
	if _, err := io.Copy(io.Discard, g.Body); err != nil { // the SDK validates while reading
		t.Fatal(err)
	}
	g.Body.Close()

	key := aws.String("full-object")
	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &b, Key: key,
		ChecksumAlgorithm: types.ChecksumAlgorithmCrc32, ChecksumType: types.ChecksumTypeFullObject})
	if err != nil || up.ChecksumType != types.ChecksumTypeFullObject || up.ChecksumAlgorithm != types.ChecksumAlgorithmCrc32 {
		t.Fatalf("CreateMultipartUpload: %+v %v", up, err)
	}
	parts := [][]byte{bytes.Repeat([]byte{1}, 5<<20), bytes.Repeat([]byte{2}, 1000)}
	var done []types.CompletedPart
	for i, pb := range parts {
		out, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: &b, Key: key, UploadId: up.UploadId, PartNumber: aws.Int32(int32(i + 1)),
			Body: bytes.NewReader(pb), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
		if err != nil {
			t.Fatal(err)
		}
		done = append(done, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: out.ETag, ChecksumCRC32: out.ChecksumCRC32})
	}
	co, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &b, Key: key, UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: done}})
	if err != nil || co.ChecksumType != types.ChecksumTypeFullObject || aws.ToString(co.ChecksumCRC32) == "" {
		t.Fatalf("complete: %+v %v", co, err)
	}
	g, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: key, ChecksumMode: types.ChecksumModeEnabled})
	if err != nil || aws.ToString(g.ChecksumCRC32) != aws.ToString(co.ChecksumCRC32) {
		t.Fatalf("GET: %v", err)
	}
	if n, err := io.Copy(io.Discard, g.Body); err != nil || n != 5<<20+1000 { // fails if the full-object CRC32 is wrong
		t.Fatalf("read %d bytes: %v", n, err)
	}
	g.Body.Close()
	a, err := c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: &b, Key: key, MaxParts: aws.Int32(1), PartNumberMarker: aws.String("1"),
		ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesObjectParts, types.ObjectAttributesChecksum, types.ObjectAttributesObjectSize}})
	if err != nil || a.ObjectParts == nil || len(a.ObjectParts.Parts) != 1 || aws.ToInt64(a.ObjectParts.Parts[0].Size) != 1000 ||
		aws.ToString(a.ObjectParts.Parts[0].ChecksumCRC32) != aws.ToString(done[1].ChecksumCRC32) || aws.ToInt32(a.ObjectParts.TotalPartsCount) != 2 ||
		aws.ToString(a.Checksum.ChecksumCRC32) != aws.ToString(co.ChecksumCRC32) || aws.ToInt64(a.ObjectSize) != 5<<20+1000 {
		t.Fatalf("GetObjectAttributes: %+v %v", a, err)
	}
}

// TestConformanceRequests: against a real prismd, conditional PUTs with
// the same If-Match race and exactly one wins; Transfer-Encoding: chunked
// without a length is 501; raw UTF-8 metadata comes back as sent;
// ListBuckets pages; encoding-type=url writes %20; partNumber past the
// parts is 416 InvalidPartNumber; an empty continuation-token is echoed.
func TestConformanceRequests(t *testing.T) {
	t.Parallel()
	p, c := rootClient(t)
	ctx := context.Background()
	b := newBucket(t, c, "conf-req")
	put(t, c, b, "race", []byte("v0"))
	etag := fmt.Sprintf(`"%x"`, md5.Sum([]byte("v0")))
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("absent"), Body: strings.NewReader("x"), IfMatch: aws.String(etag)})
	wantCode(t, err, "NoSuchKey")
	for try := range 10 {
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("race"), Body: strings.NewReader(fmt.Sprintf("v%d-%d", try, i)), IfMatch: aws.String(etag)})
			}()
		}
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("try %d: %v / %v: exactly one must win", try, errs[0], errs[1])
		}
		loser := errs[0]
		if loser == nil {
			loser = errs[1]
		}
		wantStatus(t, loser, http.StatusPreconditionFailed)
		h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b, Key: aws.String("race")})
		if err != nil {
			t.Fatal(err)
		}
		etag = aws.ToString(h.ETag)
	}

	status, body := doHTTP(t, signedRequest(t, p, "PUT", "/"+b+"/chunked", []byte("no length"), true, nil))
	if status != http.StatusNotImplemented || !strings.Contains(body, "<Header>Transfer-Encoding</Header>") {
		t.Fatalf("chunked PUT: %d %s", status, body)
	}

	raw := "Grüße \xe4\xb8\x96\xe7\x95\x8c"
	status, body = doHTTP(t, signedRequest(t, p, "PUT", "/"+b+"/meta", []byte("m"), false, map[string]string{"X-Amz-Meta-Name": raw, "X-Amz-Meta-Word": "=?UTF-8?B?R3LDvMOfZQ==?="}))
	if status != http.StatusOK {
		t.Fatalf("PUT with UTF-8 metadata: %d %s", status, body)
	}
	h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b, Key: aws.String("meta")})
	if err != nil || h.Metadata["name"] != raw || h.Metadata["word"] != "=?UTF-8?B?R3LDvMOfZQ==?=" {
		t.Fatalf("metadata %q %v", h.Metadata, err)
	}

	prefix := b[:len(b)-4]
	var pages, seen int
	pg := s3.NewListBucketsPaginator(c, &s3.ListBucketsInput{MaxBuckets: aws.Int32(1), Prefix: aws.String(prefix)})
	for pg.HasMorePages() {
		out, err := pg.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, bk := range out.Buckets {
			seen++
			if !strings.HasPrefix(aws.ToString(bk.Name), prefix) {
				t.Fatalf("bucket %s listed for prefix %s", aws.ToString(bk.Name), prefix)
			}
		}
	}
	if seen < 1 || pages < seen {
		t.Fatalf("ListBuckets: %d buckets in %d pages", seen, pages)
	}

	put(t, c, b, "a b+c", []byte("x"))
	status, body = doHTTP(t, signedGet(t, p, "/"+b+"?list-type=2&encoding-type=url&prefix=a%20&continuation-token="))
	if status != http.StatusOK || !strings.Contains(body, "<Key>a%20b%2Bc</Key>") || !strings.Contains(body, "<ContinuationToken></ContinuationToken>") {
		t.Fatalf("listing: %d %s", status, body)
	}

	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("meta"), PartNumber: aws.Int32(2)})
	wantCode(t, err, "InvalidPartNumber")
	wantStatus(t, err, http.StatusRequestedRangeNotSatisfiable)
	got, _ := getBytes(t, c, &s3.GetObjectInput{Bucket: &b, Key: aws.String("meta"), PartNumber: aws.Int32(1)})
	if string(got) != "m" {
		t.Fatalf("partNumber=1: %q", got)
	}
}
