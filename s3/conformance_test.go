package s3

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/prismd/prismd/engine"
)

// do sends a signed request (UNSIGNED-PAYLOAD) and returns the answer with its body read.
func (e *testEnv) do(t *testing.T, method, path string, body []byte, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	return send(t, signedRequest(t, method, e.srv.URL+path, body, unsignedPayload, hdr))
}

// TestPartNumberOutOfRange: partNumber=1 of a single-part object is the
// whole object; a part number the object does not have is 416
// InvalidPartNumber, on GET and HEAD, as AWS answers.
func TestPartNumberOutOfRange(t *testing.T) {
	e := newTestEnv(t)
	e.seed()
	resp, body := e.do(t, "GET", "/bkt/obj?partNumber=1", nil, nil)
	if resp.StatusCode != http.StatusPartialContent || body != "old" || resp.Header.Get("Content-Range") != "bytes 0-2/3" {
		t.Fatalf("partNumber=1 of a single-part object: %d %q %q", resp.StatusCode, body, resp.Header.Get("Content-Range"))
	}
	resp, body = e.do(t, "GET", "/bkt/obj?partNumber=2", nil, nil)
	if resp.StatusCode != http.StatusRequestedRangeNotSatisfiable || !strings.Contains(body, "<Code>InvalidPartNumber</Code>") ||
		!strings.Contains(body, "The requested partnumber is not satisfiable") {
		t.Fatalf("GET partNumber=2: %d %s", resp.StatusCode, body)
	}
	resp, _ = e.do(t, "HEAD", "/bkt/obj?partNumber=2", nil, nil)
	if resp.StatusCode != http.StatusRequestedRangeNotSatisfiable {
		t.Fatalf("HEAD partNumber=2: %d", resp.StatusCode)
	}
}

// TestListingURLEncoding: with encoding-type=url every key field and prefix
// of ListObjects V1, V2 and ListMultipartUploads is encoded as AWS encodes
// it: a space is %20, a '+' %2B, non-ASCII bytes %XX, '/' kept.
func TestListingURLEncoding(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	e.f.CreateBucket(ctx, "enc", "")
	for _, k := range []string{"a b+c/d é", "a b+c/e", "a b+z"} {
		e.f.PutObject(ctx, engine.PutInput{Bucket: "enc", Key: k, Size: 1, Body: strings.NewReader("x")})
		e.f.CreateUpload(ctx, "enc", k, "", nil, nil)
	}
	for target, wants := range map[string][]string{
		"/enc?encoding-type=url&prefix=a%20b%2B&delimiter=%2F&marker=a%20b%2B&max-keys=1": {
			"<Prefix>a%20b%2B</Prefix>", "<Marker>a%20b%2B</Marker>", "<NextMarker>a%20b%2Bc/</NextMarker>",
			"<Delimiter>/</Delimiter>", "<EncodingType>url</EncodingType>", "<CommonPrefixes><Prefix>a%20b%2Bc/</Prefix></CommonPrefixes>"},
		"/enc?list-type=2&encoding-type=url&prefix=a%20b%2Bc%2F&start-after=a%20b%2Bc%2Fd": {
			"<Prefix>a%20b%2Bc/</Prefix>", "<StartAfter>a%20b%2Bc/d</StartAfter>", "<Key>a%20b%2Bc/d%20%C3%A9</Key>", "<Key>a%20b%2Bc/e</Key>"},
		"/enc?list-type=2&encoding-type=url&delimiter=%20": {
			"<Delimiter>%20</Delimiter>", "<CommonPrefixes><Prefix>a%20</Prefix></CommonPrefixes>"},
		"/enc?uploads&encoding-type=url&key-marker=a%20b%2Bc%2Fd%20%C3%A9&prefix=a%20&delimiter=%2B": {
			"<KeyMarker>a%20b%2Bc/d%20%C3%A9</KeyMarker>", "<Prefix>a%20</Prefix>", "<Delimiter>%2B</Delimiter>", "<EncodingType>url</EncodingType>"},
		"/enc?uploads&encoding-type=url": {"<Key>a%20b%2Bc/d%20%C3%A9</Key>", "<Key>a%20b%2Bc/e</Key>"},
	} {
		resp, body := e.do(t, "GET", target, nil, nil)
		for _, want := range wants {
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, want) {
				t.Errorf("GET %s: %d, no %s in\n%s", target, resp.StatusCode, want, body)
			}
		}
		if strings.Contains(body, "+") {
			t.Errorf("GET %s: a '+' in the answer:\n%s", target, body)
		}
	}
}

// TestListV2EmptyContinuationToken: continuation-token= (empty) is a first
// page that echoes the empty token, as AWS answers; a bad token is refused.
func TestListV2EmptyContinuationToken(t *testing.T) {
	e := newTestEnv(t)
	e.seed()
	resp, body := e.do(t, "GET", "/bkt?list-type=2&continuation-token=", nil, nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "<ContinuationToken></ContinuationToken>") || !strings.Contains(body, "<Key>obj</Key>") {
		t.Fatalf("empty continuation-token: %d\n%s", resp.StatusCode, body)
	}
	resp, body = e.do(t, "GET", "/bkt?list-type=2", nil, nil)
	if resp.StatusCode != http.StatusOK || strings.Contains(body, "ContinuationToken") {
		t.Fatalf("no continuation-token: %d\n%s", resp.StatusCode, body)
	}
	resp, body = e.do(t, "GET", "/bkt?list-type=2&continuation-token=%25%25", nil, nil)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "<Code>InvalidArgument</Code>") {
		t.Fatalf("bad continuation-token: %d\n%s", resp.StatusCode, body)
	}
	// A prefix of control characters is echoed as sent (as character
	// references) without encoding-type, and %XX with it.
	_, body = e.do(t, "GET", "/bkt?list-type=2&prefix=%01%02", nil, nil)
	if !strings.Contains(body, "<Prefix>&#x1;&#x2;</Prefix>") {
		t.Fatalf("control-character prefix:\n%s", body)
	}
	_, body = e.do(t, "GET", "/bkt?list-type=2&prefix=%01%02&encoding-type=url", nil, nil)
	if !strings.Contains(body, "<Prefix>%01%02</Prefix>") {
		t.Fatalf("control-character prefix, encoding-type=url:\n%s", body)
	}
}

// TestListBucketsPagination: max-buckets pages, continuation-token
// resumes, prefix and bucket-region filter; the answer carries
// ContinuationToken only when more buckets follow and echoes Prefix.
func TestListBucketsPagination(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	for _, b := range []string{"app-1", "app-2", "app-3", "app-4", "other"} {
		e.f.CreateBucket(ctx, b, "")
	}
	e.f.CreateBucket(ctx, "app-5", "eu-far-9")
	c := e.client(testKey, testSecret)
	var names []string
	pages := 0
	pg := s3sdk.NewListBucketsPaginator(c, &s3sdk.ListBucketsInput{MaxBuckets: aws.Int32(2), Prefix: aws.String("app-"), BucketRegion: aws.String(testRegion)})
	for pg.HasMorePages() {
		out, err := pg.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if aws.ToString(out.Prefix) != "app-" {
			t.Fatalf("page %d: Prefix %q", pages, aws.ToString(out.Prefix))
		}
		for _, b := range out.Buckets {
			names = append(names, aws.ToString(b.Name))
			if aws.ToString(b.BucketRegion) != testRegion {
				t.Fatalf("bucket %s: region %q", aws.ToString(b.Name), aws.ToString(b.BucketRegion))
			}
		}
	}
	if strings.Join(names, ",") != "app-1,app-2,app-3,app-4" || pages != 2 {
		t.Fatalf("%d pages: %v", pages, names)
	}
	_, body := e.do(t, "GET", "/?max-buckets=2&prefix=app-&bucket-region="+testRegion, nil, nil)
	if !strings.Contains(body, "<ContinuationToken>") || !strings.Contains(body, "<Prefix>app-</Prefix>") {
		t.Fatalf("first page:\n%s", body)
	}
	_, body = e.do(t, "GET", "/", nil, nil)
	if strings.Contains(body, "ContinuationToken") || strings.Contains(body, "<Prefix>") || strings.Count(body, "<Bucket>") != 6 {
		t.Fatalf("without parameters every bucket, no token:\n%s", body)
	}
	_, body = e.do(t, "GET", "/?bucket-region=eu-far-9", nil, nil)
	if strings.Count(body, "<Bucket>") != 1 || !strings.Contains(body, "<Name>app-5</Name>") {
		t.Fatalf("bucket-region filter:\n%s", body)
	}
	for _, bad := range []string{"0", "10001", "-1", "x", "+2"} {
		resp, body := e.do(t, "GET", "/?max-buckets="+url.QueryEscape(bad), nil, nil)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "<Code>InvalidArgument</Code>") {
			t.Errorf("max-buckets=%s: %d\n%s", bad, resp.StatusCode, body)
		}
	}
}

// TestTransferEncodingChunked: a plain body sent with Transfer-Encoding:
// chunked and no Content-Length is 501 NotImplemented naming the header, as
// AWS answers, and stores nothing; an aws-chunked body framed the same way
// is read by its x-amz-decoded-content-length, signed or not, and without
// that header it is 411 MissingContentLength.
func TestTransferEncodingChunked(t *testing.T) {
	e := newTestEnv(t)
	e.seed()
	data := bytes.Repeat([]byte("chunked-"), 10000)
	plain := signedRequest(t, "PUT", e.srv.URL+"/bkt/plain", nil, unsignedPayload, nil)
	plain.Body, plain.ContentLength = io.NopCloser(bytes.NewReader(data)), -1
	resp, body := send(t, plain)
	if resp.StatusCode != http.StatusNotImplemented || !strings.Contains(body, "<Code>NotImplemented</Code>") ||
		!strings.Contains(body, "<Header>Transfer-Encoding</Header>") {
		t.Fatalf("plain chunked PUT: %d\n%s", resp.StatusCode, body)
	}
	if _, err := e.f.HeadObject(context.Background(), "bkt", "plain", engine.GetOptions{}); err == nil {
		t.Fatal("the refused PUT stored an object")
	}
	for _, mode := range []string{streamingSigned, streamingUnsignT} {
		trailer := ""
		if mode == streamingUnsignT {
			trailer = "x-amz-checksum-crc32:" + crc32b64(data)
		}
		req := streamingRequest(t, e.srv.URL+"/bkt/aws-"+mode, mode, data, 8192, trailer, nil)
		req.ContentLength = -1 // sent as Transfer-Encoding: chunked
		resp, body := send(t, req)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s with Transfer-Encoding: chunked: %d\n%s", mode, resp.StatusCode, body)
		}
		rd, err := e.f.GetObject(context.Background(), "bkt", "aws-"+mode, engine.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(rd)
		if !bytes.Equal(got, data) {
			t.Fatalf("%s: stored %d bytes", mode, len(got))
		}
	}
	req := signedRequest(t, "PUT", e.srv.URL+"/bkt/nolen", nil, streamingUnsignT, map[string]string{"Content-Encoding": "aws-chunked", "X-Amz-Trailer": "x-amz-checksum-crc32"})
	req.Body = io.NopCloser(bytes.NewReader(streamBody("", "", [][]byte{data}, []string{"x-amz-checksum-crc32:" + crc32b64(data)})))
	req.ContentLength = -1
	resp, body = send(t, req)
	if resp.StatusCode != http.StatusLengthRequired || !strings.Contains(body, "<Code>MissingContentLength</Code>") {
		t.Fatalf("aws-chunked without x-amz-decoded-content-length: %d\n%s", resp.StatusCode, body)
	}
}

// TestNonASCIIUserMetadata: user metadata values holding raw UTF-8 bytes,
// and RFC 2047 encoded words, come back on HEAD and GET byte for byte as
// they were sent.
func TestNonASCIIUserMetadata(t *testing.T) {
	e := newTestEnv(t)
	e.seed()
	meta := map[string]string{
		"X-Amz-Meta-Raw":     "café ü 日本語 \xf0\x9f\x98\x80",
		"X-Amz-Meta-Encoded": "=?UTF-8?B?Y2Fmw6kg8J+YgA==?=",
		"X-Amz-Meta-Q":       "=?utf-8?q?caf=C3=A9?=",
	}
	resp, body := e.do(t, "PUT", "/bkt/meta", []byte("x"), meta)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT: %d\n%s", resp.StatusCode, body)
	}
	for _, method := range []string{"HEAD", "GET"} {
		resp, _ := e.do(t, method, "/bkt/meta", nil, nil)
		for k, v := range meta {
			if got := resp.Header.Values(k); len(got) != 1 || got[0] != v {
				t.Errorf("%s %s: %q, want %q", method, k, got, v)
			}
		}
	}
	c := e.client(testKey, testSecret)
	ctx := context.Background()
	if _, err := c.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("sdk"), Body: strings.NewReader("y"),
		Metadata: map[string]string{"name": "Grüße, 世界"}}); err != nil {
		t.Fatal(err)
	}
	h, err := c.HeadObject(ctx, &s3sdk.HeadObjectInput{Bucket: aws.String("bkt"), Key: aws.String("sdk")})
	if err != nil || h.Metadata["name"] != "Grüße, 世界" {
		t.Fatalf("SDK metadata: %q, %v", h.Metadata, err)
	}
}
