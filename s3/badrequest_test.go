package s3

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// streamBody frames data as aws-chunked, signing every chunk (and the
// trailer) when seed is set, chained from the SDK's seed signature.
func streamBody(seed string, amzDate string, chunks [][]byte, trailers []string) []byte {
	var b bytes.Buffer
	var signer *chunkSigner
	if seed != "" {
		c := credential{AccessKey: testKey, Date: amzDate[:8], Region: testRegion, Service: "s3"}
		signer = &chunkSigner{key: signingKey(testSecret, c), amzDate: amzDate, scope: c.scope(), prev: seed}
	}
	for _, c := range append(chunks, nil) {
		fmt.Fprintf(&b, "%x", len(c))
		if signer != nil {
			sum := sha256.Sum256(c)
			signer.prev = signer.chunk(sum[:])
			b.WriteString(";chunk-signature=" + signer.prev)
		}
		b.WriteString("\r\n")
		b.Write(c)
		if len(c) > 0 {
			b.WriteString("\r\n")
		}
	}
	var canon strings.Builder
	for _, tr := range trailers {
		b.WriteString(tr + "\r\n")
		canon.WriteString(tr + "\n")
	}
	if signer != nil && len(trailers) > 0 {
		b.WriteString("x-amz-trailer-signature:" + signer.trailer(canon.String()) + "\r\n")
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

var sigRe = regexp.MustCompile(`Signature=([0-9a-f]{64})`)

// streamingRequest signs the head with the SDK, then frames the body.
func streamingRequest(t *testing.T, url, mode string, data []byte, chunkSize int, trailer string, mutate func([]byte) []byte) *http.Request {
	t.Helper()
	var chunks [][]byte
	for len(data) > 0 {
		n := min(chunkSize, len(data))
		chunks = append(chunks, data[:n])
		data = data[n:]
	}
	decoded := 0
	for _, c := range chunks {
		decoded += len(c)
	}
	hdr := map[string]string{"Content-Encoding": "aws-chunked", "X-Amz-Decoded-Content-Length": fmt.Sprint(decoded)}
	var trailers []string
	if trailer != "" {
		name, _, _ := strings.Cut(trailer, ":")
		hdr["X-Amz-Trailer"] = name
		trailers = []string{trailer}
	}
	req := signedRequest(t, "PUT", url, nil, mode, hdr)
	seed := ""
	if mode != streamingUnsignT {
		seed = sigRe.FindStringSubmatch(req.Header.Get("Authorization"))[1]
	}
	body := streamBody(seed, req.Header.Get("X-Amz-Date"), chunks, trailers)
	if mutate != nil {
		body = mutate(body)
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.ContentLength = int64(len(body))
	return req
}

func crc32b64(b []byte) string {
	return base64.StdEncoding.EncodeToString(crc32.NewIEEE().Sum(nil)[:0:0]) + base64.StdEncoding.EncodeToString(func() []byte {
		h := crc32.NewIEEE()
		h.Write(b)
		return h.Sum(nil)
	}())
}

func TestStreamingUploads(t *testing.T) {
	e := newTestEnv(t)
	e.f.CreateBucket(context.Background(), "st", "")
	data := bytes.Repeat([]byte("streaming-"), 20000) // 200000 bytes
	for _, tc := range []struct {
		mode    string
		trailer string
	}{
		{streamingSigned, ""},
		{streamingSignedT, "x-amz-checksum-crc32:" + crc32b64(data)},
		{streamingUnsignT, "x-amz-checksum-crc32:" + crc32b64(data)},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			req := streamingRequest(t, e.srv.URL+"/st/obj-"+tc.mode, tc.mode, data, 65536, tc.trailer, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, b)
			}
			if tc.trailer != "" && resp.Header.Get("x-amz-checksum-crc32") != strings.TrimPrefix(tc.trailer, "x-amz-checksum-crc32:") {
				t.Fatalf("checksum header %q", resp.Header.Get("x-amz-checksum-crc32"))
			}
			e.f.mu.Lock()
			o := e.f.buckets["st"].objects["obj-"+tc.mode]
			e.f.mu.Unlock()
			if o == nil || !bytes.Equal(o.data, data) || o.info.Headers["Content-Encoding"] != "" {
				t.Fatalf("stored object wrong: %+v", o)
			}
		})
	}
}

func TestBadRequestsChangeNothing(t *testing.T) {
	e := newTestEnv(t)
	up := e.seed()
	u := e.srv.URL
	body := []byte("new body")
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	md := md5.Sum([]byte("other"))
	data := bytes.Repeat([]byte("d"), 100000)
	many := strings.Repeat("<Object><Key>k</Key></Object>", 1001)

	cases := []struct {
		name   string
		req    func() *http.Request
		status int
		code   string
	}{
		{"PUT ?tagging", func() *http.Request {
			return signedRequest(t, "PUT", u+"/bkt/obj?tagging", []byte("<Tagging><TagSet><Tag><Key>aws:x</Key><Value>v</Value></Tag></TagSet></Tagging>"), unsignedPayload, nil)
		}, 400, "InvalidTag"},
		{"PUT ?acl", func() *http.Request { return signedRequest(t, "PUT", u+"/bkt/obj?acl", nil, emptySHA256, nil) }, 400, "MalformedACLError"},
		{"PUT ?retention", func() *http.Request { return signedRequest(t, "PUT", u+"/bkt/obj?retention", nil, emptySHA256, nil) }, 501, "NotImplemented"},
		{"PUT bucket ?lifecycle", func() *http.Request { return signedRequest(t, "PUT", u+"/bkt?lifecycle", nil, emptySHA256, nil) }, 501, "NotImplemented"},
		{"PUT bucket ?versioning empty body", func() *http.Request { return signedRequest(t, "PUT", u+"/bkt?versioning", nil, emptySHA256, nil) }, 400, "MalformedXML"},
		{"POST ?select", func() *http.Request {
			return signedRequest(t, "POST", u+"/bkt/obj?select&select-type=2", nil, emptySHA256, nil)
		}, 501, "NotImplemented"},
		{"DELETE ?tagging of a missing key", func() *http.Request {
			return signedRequest(t, "DELETE", u+"/bkt/absent?tagging", nil, emptySHA256, nil)
		}, 404, "NoSuchKey"},
		{"PATCH", func() *http.Request { return signedRequest(t, "PATCH", u+"/bkt/obj", nil, emptySHA256, nil) }, 405, "MethodNotAllowed"},
		{"anonymous PUT", func() *http.Request {
			r, _ := http.NewRequest("PUT", u+"/bkt/obj", bytes.NewReader(body))
			return r
		}, 403, "AccessDenied"},
		{"sha256 mismatch", func() *http.Request {
			return signedRequest(t, "PUT", u+"/bkt/obj", []byte("tampered"), hash, nil)
		}, 400, "XAmzContentSHA256Mismatch"},
		{"malformed Content-MD5", func() *http.Request {
			return signedRequest(t, "PUT", u+"/bkt/obj", body, hash, map[string]string{"Content-Md5": "nope"})
		}, 400, "InvalidDigest"},
		{"wrong Content-MD5", func() *http.Request {
			return signedRequest(t, "PUT", u+"/bkt/obj", body, hash, map[string]string{"Content-Md5": base64.StdEncoding.EncodeToString(md[:])})
		}, 400, "BadDigest"},
		{"wrong crc32", func() *http.Request {
			return signedRequest(t, "PUT", u+"/bkt/obj", body, hash, map[string]string{"X-Amz-Checksum-Crc32": "AAAAAA=="})
		}, 400, "BadDigest"},
		{"two checksums", func() *http.Request {
			return signedRequest(t, "PUT", u+"/bkt/obj", body, hash, map[string]string{"X-Amz-Checksum-Crc32": "AAAAAA==", "X-Amz-Checksum-Crc32c": "AAAAAA=="})
		}, 400, "InvalidRequest"},
		{"Transfer-Encoding: chunked, no Content-Length", func() *http.Request {
			r := signedRequest(t, "PUT", u+"/bkt/obj", nil, unsignedPayload, nil)
			r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body)))
			r.ContentLength = -1
			return r
		}, 501, "NotImplemented"},
		{"dot-dot key", func() *http.Request { return signedRequest(t, "PUT", u+"/bkt/a/../obj", body, hash, nil) }, 400, "InvalidArgument"},
		{"long key", func() *http.Request {
			return signedRequest(t, "PUT", u+"/bkt/"+strings.Repeat("k", 1025), body, hash, nil)
		}, 400, "KeyTooLongError"},
		{"NUL key", func() *http.Request { return signedRequest(t, "PUT", u+"/bkt/a%00b", body, hash, nil) }, 400, "InvalidArgument"},
		{"bad bucket name", func() *http.Request { return signedRequest(t, "PUT", u+"/Bad_Name", nil, emptySHA256, nil) }, 400, "InvalidBucketName"},
		{"malformed bucket config", func() *http.Request {
			return signedRequest(t, "PUT", u+"/newbucket", []byte("<CreateBucketConfiguration><Loc"), unsignedPayload, nil)
		}, 400, "MalformedXML"},
		{"existing bucket", func() *http.Request { return signedRequest(t, "PUT", u+"/bkt", nil, emptySHA256, nil) }, 409, "BucketAlreadyOwnedByYou"},
		{"malformed complete", func() *http.Request {
			return signedRequest(t, "POST", u+"/bkt/mp?uploadId="+up.UploadID, []byte("<CompleteMultipartUpload><Part>"), unsignedPayload, nil)
		}, 400, "MalformedXML"},
		{"complete without parts", func() *http.Request {
			return signedRequest(t, "POST", u+"/bkt/mp?uploadId="+up.UploadID, []byte("<CompleteMultipartUpload></CompleteMultipartUpload>"), unsignedPayload, nil)
		}, 400, "MalformedXML"},
		{"delete 1001 keys", func() *http.Request {
			return signedRequest(t, "POST", u+"/bkt?delete", []byte("<Delete>"+many+"</Delete>"), unsignedPayload, nil)
		}, 400, "MalformedXML"},
		{"delete not xml", func() *http.Request {
			return signedRequest(t, "POST", u+"/bkt?delete", []byte("obj"), unsignedPayload, nil)
		}, 400, "MalformedXML"},
		{"part number 0", func() *http.Request {
			return signedRequest(t, "PUT", u+"/bkt/mp?partNumber=0&uploadId="+up.UploadID, body, hash, nil)
		}, 400, "InvalidArgument"},
		{"copy from nowhere", func() *http.Request {
			return signedRequest(t, "PUT", u+"/bkt/obj", nil, emptySHA256, map[string]string{"X-Amz-Copy-Source": "nobucket"})
		}, 400, "InvalidArgument"},
		{"oversized headers", func() *http.Request {
			return signedRequest(t, "PUT", u+"/bkt/obj", body, hash, map[string]string{"X-Amz-Meta-Big": strings.Repeat("x", 20000)})
		}, 400, "RequestHeaderSectionTooLarge"},
		{"metadata too large", func() *http.Request {
			return signedRequest(t, "PUT", u+"/bkt/obj", body, hash, map[string]string{"X-Amz-Meta-Big": strings.Repeat("x", 3000)})
		}, 400, "MetadataTooLarge"},
		{"bad chunk signature", func() *http.Request {
			return streamingRequest(t, u+"/bkt/obj", streamingSigned, data, 8192, "", func(b []byte) []byte { return flip(b, 9000) })
		}, 403, "SignatureDoesNotMatch"},
		{"bad final chunk signature", func() *http.Request {
			return streamingRequest(t, u+"/bkt/obj", streamingSigned, data, 8192, "", func(b []byte) []byte {
				i := bytes.LastIndex(b, []byte("0;chunk-signature=")) + 20
				return flip(b, i)
			})
		}, 403, "SignatureDoesNotMatch"},
		{"truncated stream", func() *http.Request {
			return streamingRequest(t, u+"/bkt/obj", streamingSigned, data, 8192, "", func(b []byte) []byte { return b[:len(b)/2] })
		}, 400, "IncompleteBody"},
		{"no final chunk", func() *http.Request {
			return streamingRequest(t, u+"/bkt/obj", streamingSigned, data, 8192, "", func(b []byte) []byte {
				return b[:bytes.LastIndex(b, []byte("0;chunk-signature="))]
			})
		}, 400, "IncompleteBody"},
		{"garbage after stream", func() *http.Request {
			return streamingRequest(t, u+"/bkt/obj", streamingSigned, data, 8192, "", func(b []byte) []byte { return append(b, "extra"...) })
		}, 400, "InvalidRequest"},
		{"bad hex size", func() *http.Request {
			return streamingRequest(t, u+"/bkt/obj", streamingUnsignT, data, 8192, "x-amz-checksum-crc32:"+crc32b64(data), func(b []byte) []byte {
				return append([]byte("zz"), b[4:]...)
			})
		}, 400, "InvalidRequest"},
		{"missing CRLF after chunk", func() *http.Request {
			return streamingRequest(t, u+"/bkt/obj", streamingUnsignT, data, 8192, "x-amz-checksum-crc32:"+crc32b64(data), func(b []byte) []byte {
				i := bytes.Index(b, []byte("\r\n")) + 2 + 8192
				return append(append([]byte{}, b[:i]...), b[i+2:]...)
			})
		}, 400, "InvalidRequest"},
		{"wrong trailer checksum", func() *http.Request {
			return streamingRequest(t, u+"/bkt/obj", streamingUnsignT, data, 8192, "x-amz-checksum-crc32:AAAAAA==", nil)
		}, 400, "BadDigest"},
		{"altered signed trailer", func() *http.Request {
			return streamingRequest(t, u+"/bkt/obj", streamingSignedT, data, 8192, "x-amz-checksum-crc32:"+crc32b64(data), func(b []byte) []byte {
				return bytes.Replace(b, []byte(crc32b64(data)), []byte("AAAAAA=="), 1)
			})
		}, 403, "SignatureDoesNotMatch"},
		{"decoded length too small", func() *http.Request {
			r := streamingRequest(t, u+"/bkt/obj", streamingUnsignT, data, 8192, "x-amz-checksum-crc32:"+crc32b64(data), nil)
			r.Header.Set("X-Amz-Decoded-Content-Length", "10") // unsigned-chunk mode: the head is signed, this header not re-signed
			return r
		}, 403, "SignatureDoesNotMatch"},
	}
	before := e.f.snapshot()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, b := send(t, tc.req())
			if resp.StatusCode != tc.status || !strings.Contains(b, "<Code>"+tc.code+"</Code>") {
				t.Fatalf("got %d %s, want %d %s", resp.StatusCode, b, tc.status, tc.code)
			}
			if resp.Header.Get("x-amz-request-id") == "" || !strings.Contains(b, "<RequestId>") {
				t.Fatalf("no request id: %v %s", resp.Header, b)
			}
			e.f.requireUnchanged(t, before)
		})
	}
}

// TestShortBody sends fewer bytes than Content-Length on a raw connection.
func TestShortBody(t *testing.T) {
	e := newTestEnv(t)
	e.f.CreateBucket(context.Background(), "bkt", "")
	before := e.f.snapshot()
	req := signedRequest(t, "PUT", e.srv.URL+"/bkt/short", nil, unsignedPayload, nil)
	conn := rawRequest(t, e, req, 100, strings.Repeat("x", 50))
	conn.CloseWrite()
	resp, b := readRawResponse(t, conn)
	if resp.StatusCode != 400 || !strings.Contains(b, "IncompleteBody") {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	e.f.requireUnchanged(t, before)
}

// rawRequest writes the head of req (a bodiless request signed with
// UNSIGNED-PAYLOAD) with the given Content-Length, then body, on a new
// connection to the test server, and leaves the connection open.
func rawRequest(t *testing.T, e *testEnv, req *http.Request, contentLength int, body string) *net.TCPConn {
	t.Helper()
	conn, err := net.Dial("tcp", e.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	var head bytes.Buffer
	fmt.Fprintf(&head, "%s %s HTTP/1.1\r\nHost: %s\r\n", req.Method, req.URL.RequestURI(), req.Host)
	if contentLength >= 0 {
		fmt.Fprintf(&head, "Content-Length: %d\r\n", contentLength)
	}
	for k, v := range req.Header {
		fmt.Fprintf(&head, "%s: %s\r\n", k, v[0])
	}
	head.WriteString("\r\n" + body)
	if _, err := conn.Write(head.Bytes()); err != nil {
		t.Fatal(err)
	}
	return conn.(*net.TCPConn)
}

// readRawResponse reads one answer from conn; a server that never answers
// fails the test after a generous bound instead of hanging it.
func readRawResponse(t *testing.T, conn net.Conn) (*http.Response, string) {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}
