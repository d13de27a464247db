package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/prismd/prismd/backends"
)

// The lean path must send what the SDK sends and fail as the SDK fails.
// These tests compare the two paths of one Backend (lean.sdkOnly switches
// to the SDK client).

var errStop = errors.New("recorded")

type recorder struct{ req *http.Request }

func (r *recorder) Do(req *http.Request) (*http.Response, error) {
	r.req = req
	return nil, errStop
}

var leanTestKeys = []string{
	"k", "b/3f2a9c0d1e/0/1", "with space/and more spaces", "ünïcödé/日本語/файл", "plus+sign",
	"percent%2Fencoded", "query?x=1&y=2", "colon:semi;comma,", "tilde~star*paren(1)'quote'",
	"dots.in.name/...ok", "emoji-😀", "equals=hash#", "/leading", "a//b", "trailing/", "../up", "a/./b",
}

// TestLeanRequestsMatchSDK compares the URL and headers of the lean path's
// requests with the SDK's for path-style and virtual-hosted addressing.
func TestLeanRequestsMatchSDK(t *testing.T) {
	ctx := t.Context()
	endpoints := []string{"http://127.0.0.1:9000", "https://s3.example.com", "http://s3.example.com:8080", "s3.example.com", "https://s3.example.com/base/"}
	buckets := []string{"bkt", "my.bucket", "bkt-9"}
	for _, endpointURL := range endpoints {
		for _, pathStyle := range []bool{true, false} {
			b, err := New(ctx, Config{Name: "t", Endpoint: endpointURL, AccessKey: "a", SecretKey: "s", PathStyle: pathStyle})
			if err != nil {
				t.Fatal(err)
			}
			for _, bucket := range buckets {
				ep := b.lean.endpoint(ctx, b.cfg.Region, bucket)
				if ep.sdk {
					t.Errorf("%s path-style %v bucket %s: lean path not used", endpointURL, pathStyle, bucket)
					continue
				}
				for _, key := range leanTestKeys {
					name := fmt.Sprintf("%s pathStyle=%v %s/%s", endpointURL, pathStyle, bucket, key)
					compareRequest(t, name, b, ep, opGetObject, bucket, key, "bytes=1-5", 0)
					compareRequest(t, name, b, ep, opHeadObject, bucket, key, "", 0)
					compareRequest(t, name, b, ep, opPutObject, bucket, key, "", 0)
					compareRequest(t, name, b, ep, opPutObject, bucket, key, "", 5)
					compareRequest(t, name, b, ep, opPutObject, bucket, key, "", 3<<20)
				}
			}
		}
	}
}

func compareRequest(t *testing.T, name string, b *Backend, ep *endpoint, op *leanOp, bucket, key, rng string, size int64) {
	t.Helper()
	ctx := t.Context()
	rec := &recorder{}
	opt := func(o *s3.Options) { o.HTTPClient = rec; o.Retryer = aws.NopRetryer{} }
	var err error
	switch op {
	case opGetObject:
		_, err = b.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key, Range: &rng}, opt)
	case opHeadObject:
		_, err = b.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: &key}, opt)
	case opPutObject:
		_, err = b.client.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: io.Reader(struct{ io.Reader }{bytes.NewReader(make([]byte, size))}), ContentLength: aws.Int64(size)}, opt, unsignedPayload)
	}
	if !errors.Is(err, errStop) || rec.req == nil {
		t.Fatalf("%s %s: SDK request not recorded: %v", name, op.name, err)
	}
	want := rec.req
	got, err := b.lean.newRequest(ctx, op, ep, key)
	if err != nil {
		t.Fatal(err)
	}
	if rng != "" {
		got.Header.Set("Range", rng)
	}
	got.Header.Set("Accept-Encoding", "identity")
	hash := emptySHA256
	if op == opPutObject {
		hash = unsignedPayloadHash
		got.Header.Set("Content-Type", "application/octet-stream")
		got.ContentLength = size
	}
	got.Header.Set("X-Amz-Content-Sha256", hash)
	if got.Method != want.Method || got.URL.String() != want.URL.String() || got.URL.EscapedPath() != want.URL.EscapedPath() || got.Host != want.Host && got.Host != want.URL.Host {
		t.Errorf("%s %s:\n lean %s %s (host %q)\n sdk  %s %s (host %q)", name, op.name, got.Method, got.URL, got.Host, want.Method, want.URL, want.Host)
	}
	for _, h := range []string{"Host", "Range", "Accept-Encoding", "X-Amz-Content-Sha256", "Expect", "Content-Type", "Content-Md5"} {
		if g, w := got.Header.Get(h), want.Header.Get(h); g != w {
			t.Errorf("%s %s: header %s: lean %q, sdk %q", name, op.name, h, g, w)
		}
	}
	if op == opPutObject && got.ContentLength != want.ContentLength {
		t.Errorf("%s: Content-Length: lean %d, sdk %d", name, got.ContentLength, want.ContentLength)
	}
}

// fakeS3 answers with canned responses and counts requests.
type fakeS3 struct {
	mu     sync.Mutex
	counts map[string]int // "METHOD path"
	handle func(w http.ResponseWriter, r *http.Request)
}

func (f *fakeS3) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	f.mu.Lock()
	f.counts[r.Method+" "+r.URL.Path]++
	f.mu.Unlock()
	f.handle(w, r)
}

func s3Error(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("X-Amz-Request-Id", "REQ123")
	w.Header().Set("X-Amz-Id-2", "HOST456")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message><RequestId>BODYREQ</RequestId></Error>`, code, msg)
}

// TestLeanErrorsMatchSDK runs the same calls through both paths against
// canned server responses: same result, same error text, same sentinels,
// same number of requests (retries).
func TestLeanErrorsMatchSDK(t *testing.T) {
	data := []byte("0123456789")
	scenarios := map[string]func(w http.ResponseWriter, r *http.Request){
		"ok": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Last-Modified", "Mon, 02 Jan 2006 15:04:05 GMT")
			w.Header().Set("Content-Length", strconv.Itoa(len(data)))
			if r.Method == http.MethodGet {
				w.Write(data) // ignores Range: the backend must trim
			}
		},
		"NoSuchKey": func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodHead {
				if strings.Count(r.URL.Path, "/") == 1 { // HeadBucket
					return
				}
				w.WriteHeader(404)
				return
			}
			s3Error(w, 404, "NoSuchKey", "The specified key does not exist.")
		},
		"nosuchkey lower case": func(w http.ResponseWriter, r *http.Request) { s3Error(w, 404, "nosuchkey", "gone") },
		"NoSuchBucket": func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodHead {
				w.WriteHeader(404)
				return
			}
			s3Error(w, 404, "NoSuchBucket", "The specified bucket does not exist")
		},
		"AccessDenied":  func(w http.ResponseWriter, r *http.Request) { s3Error(w, 403, "AccessDenied", "Access Denied") },
		"SlowDown":      func(w http.ResponseWriter, r *http.Request) { s3Error(w, 503, "SlowDown", "Reduce your request rate") },
		"InternalError": func(w http.ResponseWriter, r *http.Request) { s3Error(w, 500, "InternalError", "oops") },
		"html 502": func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(502)
			io.WriteString(w, "<html><body>bad gateway")
		},
		"empty 500": func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) },
		"400 no code": func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(400)
			io.WriteString(w, "<Error><Message>m</Message></Error>")
		},
		"bad Last-Modified": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Last-Modified", "yesterday")
			w.Header().Set("Content-Length", "1")
			if r.Method == http.MethodGet {
				io.WriteString(w, "x")
			}
		},
		"InvalidRange": func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodHead {
				w.Header().Set("Content-Length", "10")
				return
			}
			s3Error(w, 416, "InvalidRange", "The requested range is not satisfiable")
		},
	}
	type result struct {
		out    string
		err    string
		is     []bool
		counts map[string]int
	}
	sentinels := []error{backends.ErrNotFound, backends.ErrNoSuchBucket, backends.ErrInvalidRange, backends.ErrUnavailable, backends.ErrShortBody}
	calls := map[string]func(ctx context.Context, b *Backend) (string, error){
		"Get": func(ctx context.Context, b *Backend) (string, error) {
			rc, err := b.Get(ctx, "bkt", "dir/k y", 2, 5)
			if err != nil {
				return "", err
			}
			defer rc.Close()
			got, err := io.ReadAll(rc)
			return string(got), err
		},
		"Get offset 10": func(ctx context.Context, b *Backend) (string, error) {
			rc, err := b.Get(ctx, "bkt", "k", 10, -1)
			if err != nil {
				return "", err
			}
			defer rc.Close()
			got, err := io.ReadAll(rc)
			return string(got), err
		},
		"Stat": func(ctx context.Context, b *Backend) (string, error) {
			info, err := b.Stat(ctx, "bkt", "k")
			return fmt.Sprint(info.Size, info.ModTime), err
		},
		"Put": func(ctx context.Context, b *Backend) (string, error) {
			return "", b.Put(ctx, "bkt", "k", strings.NewReader("hello"), 5)
		},
	}
	for name, handle := range scenarios {
		for callName, call := range calls {
			var res [2]result
			for i, sdkOnly := range []bool{false, true} {
				f := &fakeS3{counts: map[string]int{}, handle: handle}
				srv := httptest.NewServer(f)
				b, err := New(t.Context(), Config{Name: "fake", Endpoint: srv.URL, AccessKey: "a", SecretKey: "s", PathStyle: true})
				if err != nil {
					t.Fatal(err)
				}
				b.lean.sdkOnly = sdkOnly
				out, err := call(t.Context(), b)
				srv.Close()
				r := result{out: out, counts: f.counts}
				if err != nil {
					r.err = err.Error()
				}
				for _, s := range sentinels {
					r.is = append(r.is, errors.Is(err, s))
				}
				res[i] = r
			}
			lean, sdk := res[0], res[1]
			if lean.out != sdk.out || lean.err != sdk.err || fmt.Sprint(lean.is) != fmt.Sprint(sdk.is) || fmt.Sprint(lean.counts) != fmt.Sprint(sdk.counts) {
				t.Errorf("%s, %s:\n lean %+v\n sdk  %+v", name, callName, lean, sdk)
			}
		}
	}
}

// TestLargePutSendsNoExpect: a large shard PUT goes out with its body at
// once, without "Expect: 100-continue" (waiting for the 100 would cost a
// round trip to the region first), on both paths; a region that refuses
// one without reading its body still ends the Put with its error.
func TestLargePutSendsNoExpect(t *testing.T) {
	const size = 3 << 20
	for _, sdkOnly := range []bool{false, true} {
		for _, refuse := range []bool{false, true} {
			var mu sync.Mutex
			var expect []string
			var got int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				expect = append(expect, r.Header.Get("Expect"))
				mu.Unlock()
				if refuse {
					s3Error(w, 403, "AccessDenied", "Access Denied")
					return
				}
				n, _ := io.Copy(io.Discard, r.Body)
				mu.Lock()
				got = n
				mu.Unlock()
			}))
			b, err := New(t.Context(), Config{Name: "fake", Endpoint: srv.URL, AccessKey: "a", SecretKey: "s", PathStyle: true})
			if err != nil {
				t.Fatal(err)
			}
			b.lean.sdkOnly = sdkOnly
			err = b.Put(t.Context(), "bkt", "k", io.LimitReader(zeroReader{}, size), size)
			srv.Close()
			name := fmt.Sprintf("sdkOnly=%v refuse=%v", sdkOnly, refuse)
			mu.Lock()
			if len(expect) != 1 || expect[0] != "" {
				t.Errorf("%s: Expect headers %q, want one request without", name, expect)
			}
			if refuse {
				if err == nil || !strings.Contains(err.Error(), "AccessDenied") {
					t.Errorf("%s: Put = %v, want AccessDenied", name, err)
				}
			} else if err != nil || got != size {
				t.Errorf("%s: Put = %v, server got %d bytes, want %d", name, err, got, size)
			}
			mu.Unlock()
		}
	}
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
