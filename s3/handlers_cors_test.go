package s3

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/prismd/prismd/cors"
	"github.com/prismd/prismd/engine"
)

const corsSite = "https://app.example.com"

// corsRules: the site may GET, PUT and DELETE with any x-amz-* or
// Content-Type header; every origin may GET and HEAD.
var corsRules = []types.CORSRule{
	{ID: aws.String("site"), AllowedOrigins: []string{"https://*.example.com"}, AllowedMethods: []string{"GET", "PUT", "DELETE"},
		AllowedHeaders: []string{"Content-Type", "x-amz-*"}, ExposeHeaders: []string{"ETag", "x-amz-request-id"}, MaxAgeSeconds: aws.Int32(3000)},
	{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET", "HEAD"}},
}

// corsEnv is a test server whose bucket "bkt" (holding "obj") has corsRules.
func corsEnv(t *testing.T) *testEnv {
	t.Helper()
	e := newTestEnv(t)
	e.seed()
	c := e.client(testKey, testSecret)
	if _, err := c.PutBucketCors(context.Background(), &s3sdk.PutBucketCorsInput{Bucket: aws.String("bkt"),
		CORSConfiguration: &types.CORSConfiguration{CORSRules: corsRules}}); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestBucketCORSConfiguration(t *testing.T) {
	e := newTestEnv(t)
	e.seed()
	c := e.client(testKey, testSecret)
	ctx := context.Background()
	if _, err := c.GetBucketCors(ctx, &s3sdk.GetBucketCorsInput{Bucket: aws.String("bkt")}); apiCode(err) != "NoSuchCORSConfiguration" {
		t.Fatalf("get before put: %v", err)
	}
	if _, err := c.PutBucketCors(ctx, &s3sdk.PutBucketCorsInput{Bucket: aws.String("bkt"),
		CORSConfiguration: &types.CORSConfiguration{CORSRules: corsRules}}); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetBucketCors(ctx, &s3sdk.GetBucketCorsInput{Bucket: aws.String("bkt")})
	if err != nil || len(got.CORSRules) != 2 {
		t.Fatalf("get: %v %v", got, err)
	}
	r := got.CORSRules[0]
	if aws.ToString(r.ID) != "site" || strings.Join(r.AllowedMethods, ",") != "GET,PUT,DELETE" || r.AllowedOrigins[0] != "https://*.example.com" ||
		strings.Join(r.AllowedHeaders, ",") != "Content-Type,x-amz-*" || strings.Join(r.ExposeHeaders, ",") != "ETag,x-amz-request-id" ||
		aws.ToInt32(r.MaxAgeSeconds) != 3000 || got.CORSRules[1].MaxAgeSeconds != nil || got.CORSRules[1].ID != nil {
		t.Fatalf("rules read back: %+v", got.CORSRules)
	}
	// The stored document is the canonical one, in GetBucketCors's order.
	doc, _, _ := e.f.BucketConfig("bkt", engine.ConfigCORS)
	if !strings.Contains(string(doc), "<CORSRule><ID>site</ID><AllowedMethod>GET</AllowedMethod>") {
		t.Fatalf("stored %s", doc)
	}
	if _, err := c.DeleteBucketCors(ctx, &s3sdk.DeleteBucketCorsInput{Bucket: aws.String("bkt")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetBucketCors(ctx, &s3sdk.GetBucketCorsInput{Bucket: aws.String("bkt")}); apiCode(err) != "NoSuchCORSConfiguration" {
		t.Fatalf("get after delete: %v", err)
	}
	if _, err := c.DeleteBucketCors(ctx, &s3sdk.DeleteBucketCorsInput{Bucket: aws.String("bkt")}); err != nil {
		t.Fatalf("delete of none: %v", err)
	}
	for _, op := range []func() error{
		func() error {
			_, err := c.GetBucketCors(ctx, &s3sdk.GetBucketCorsInput{Bucket: aws.String("nope")})
			return err
		},
		func() error {
			_, err := c.PutBucketCors(ctx, &s3sdk.PutBucketCorsInput{Bucket: aws.String("nope"), CORSConfiguration: &types.CORSConfiguration{CORSRules: corsRules}})
			return err
		},
		func() error {
			_, err := c.DeleteBucketCors(ctx, &s3sdk.DeleteBucketCorsInput{Bucket: aws.String("nope")})
			return err
		},
	} {
		if err := op(); apiCode(err) != "NoSuchBucket" {
			t.Errorf("missing bucket: %v", err)
		}
	}
}

func md5Header(b []byte) map[string]string {
	sum := md5.Sum(b)
	return map[string]string{"Content-MD5": base64.StdEncoding.EncodeToString(sum[:])}
}

// TestPutBucketCORSRefused: every refusal has AWS's code and message and
// changes nothing.
func TestPutBucketCORSRefused(t *testing.T) {
	e := corsEnv(t)
	ok := []byte("<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>PUT</AllowedMethod></CORSRule></CORSConfiguration>")
	big := []byte("<CORSConfiguration><CORSRule><AllowedOrigin>" + strings.Repeat("a", cors.MaxSize) + "</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>")
	bad := func(b string) []byte { return []byte(b) }
	for _, tc := range []struct {
		name   string
		body   []byte
		hdr    map[string]string
		status int
		code   string
		msg    string
	}{
		{"no Content-MD5", ok, nil, 400, "InvalidRequest", "Missing required header for this request: Content-Md5."},
		{"wrong Content-MD5", ok, md5Header([]byte("other")), 400, "BadDigest", ""},
		{"wrong checksum", ok, map[string]string{"x-amz-checksum-crc32": "AAAAAA=="}, 400, "", ""},
		{"not XML", bad("cors please"), nil, 400, "MalformedXML", ""},
		{"no rule", bad("<CORSConfiguration/>"), nil, 400, "MalformedXML", ""},
		{"unknown element", bad("<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><Foo/></CORSRule></CORSConfiguration>"), nil, 400, "MalformedXML", ""},
		{"PATCH", bad("<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod></CORSRule></CORSConfiguration>"), nil,
			400, "InvalidRequest", "Found unsupported HTTP method in CORS config. Unsupported method is PATCH"},
		{"two wildcards", bad("<CORSConfiguration><CORSRule><AllowedOrigin>https://*.*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>"), nil,
			400, "InvalidRequest", `AllowedOrigin &#34;https://*.*&#34; can not have more than one wildcard.`},
		{"over 64 KiB", big, nil, 400, "EntityTooLarge", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hdr := tc.hdr
			if hdr == nil && tc.name != "no Content-MD5" {
				hdr = md5Header(tc.body)
			}
			before := e.f.snapshot()
			resp, body := e.do(t, "PUT", "/bkt?cors", tc.body, hdr)
			if resp.StatusCode != tc.status || !strings.Contains(body, "<Code>"+tc.code) || !strings.Contains(body, tc.msg) {
				t.Fatalf("%d %s", resp.StatusCode, body)
			}
			e.f.requireUnchanged(t, before)
		})
	}
	// Another key may neither read nor write the configuration.
	e.f.keys["AKOTHER"] = engine.AccessKey{AccessKey: "AKOTHER", Secret: "other-secret"}
	other := e.client("AKOTHER", "other-secret")
	before := e.f.snapshot()
	if _, err := other.PutBucketCors(context.Background(), &s3sdk.PutBucketCorsInput{Bucket: aws.String("bkt"),
		CORSConfiguration: &types.CORSConfiguration{CORSRules: corsRules[1:]}}); apiCode(err) != "AccessDenied" {
		t.Fatalf("other key's put: %v", err)
	}
	if _, err := other.DeleteBucketCors(context.Background(), &s3sdk.DeleteBucketCorsInput{Bucket: aws.String("bkt")}); apiCode(err) != "AccessDenied" {
		t.Fatalf("other key's delete: %v", err)
	}
	if _, err := other.GetBucketCors(context.Background(), &s3sdk.GetBucketCorsInput{Bucket: aws.String("bkt")}); apiCode(err) != "AccessDenied" {
		t.Fatalf("other key's get: %v", err)
	}
	e.f.requireUnchanged(t, before)
}

// options sends an unauthenticated OPTIONS request.
func options(t *testing.T, e *testEnv, target string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("OPTIONS", e.srv.URL+target, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	return send(t, req)
}

func TestPreflight(t *testing.T) {
	e := corsEnv(t)
	e.f.CreateBucket(context.Background(), "plain", "")
	pc := s3sdk.NewPresignClient(e.client(testKey, testSecret))
	pu, err := pc.PresignPutObject(context.Background(), &s3sdk.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("up/load")}, s3sdk.WithPresignExpires(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	presigned := strings.TrimPrefix(pu.URL, e.srv.URL)
	const forbidden = "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource&#39;s CORS spec."
	site := map[string]string{
		"Access-Control-Allow-Origin":      corsSite,
		"Access-Control-Allow-Methods":     "GET, PUT, DELETE",
		"Access-Control-Expose-Headers":    "ETag, x-amz-request-id",
		"Access-Control-Max-Age":           "3000",
		"Access-Control-Allow-Credentials": "true",
		"Vary":                             cors.Vary,
	}
	for _, tc := range []struct {
		name, target                  string
		origin, method, reqHeaders    string
		status                        int
		want                          map[string]string // headers; nil: none of them
		code, msg, method2, resource2 string
	}{
		{name: "object", target: "/bkt/obj", origin: corsSite, method: "PUT", status: 200, want: site},
		{name: "bucket", target: "/bkt", origin: corsSite, method: "DELETE", status: 200, want: site},
		{name: "presigned URL's path and query", target: presigned, origin: corsSite, method: "PUT", reqHeaders: "content-type", status: 200,
			want: map[string]string{"Access-Control-Allow-Headers": "content-type", "Access-Control-Allow-Origin": corsSite}},
		{name: "headers lowercased", target: "/bkt/obj", origin: corsSite, method: "PUT", reqHeaders: "Content-Type, X-Amz-Meta-Color", status: 200,
			want: map[string]string{"Access-Control-Allow-Headers": "content-type, x-amz-meta-color"}},
		{name: "second rule", target: "/bkt/obj", origin: "https://elsewhere.org", method: "GET", status: 200,
			want: map[string]string{"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "GET, HEAD", "Access-Control-Allow-Credentials": "", "Access-Control-Max-Age": "", "Vary": cors.Vary}},
		{name: "origin not allowed to PUT", target: "/bkt/obj", origin: "https://elsewhere.org", method: "PUT", status: 403,
			code: "AccessForbidden", msg: forbidden, method2: "PUT", resource2: "OBJECT"},
		{name: "header not allowed", target: "/bkt/obj", origin: corsSite, method: "PUT", reqHeaders: "content-type, authorization", status: 403,
			code: "AccessForbidden", msg: forbidden, method2: "PUT", resource2: "OBJECT"},
		{name: "method not allowed", target: "/bkt", origin: corsSite, method: "POST", status: 403,
			code: "AccessForbidden", msg: forbidden, method2: "POST", resource2: "BUCKET"},
		{name: "no configuration", target: "/plain/x", origin: corsSite, method: "GET", status: 403,
			code: "AccessForbidden", msg: "CORSResponse: CORS is not enabled for this bucket.", method2: "GET", resource2: "OBJECT"},
		{name: "no bucket", target: "/nope/x", origin: corsSite, method: "GET", status: 403,
			code: "AccessForbidden", msg: "CORSResponse: Bucket not found", method2: "GET", resource2: "OBJECT"},
		{name: "no origin", target: "/bkt/obj", method: "GET", status: 400, code: "BadRequest", msg: "Insufficient information. Origin request header needed."},
		{name: "no method", target: "/bkt/obj", origin: corsSite, status: 400, code: "BadRequest", msg: "Invalid Access-Control-Request-Method: null"},
		{name: "lowercase method", target: "/bkt/obj", origin: corsSite, method: "get", status: 400, code: "BadRequest", msg: "Invalid Access-Control-Request-Method: get"},
		{name: "OPTIONS method", target: "/bkt/obj", origin: corsSite, method: "OPTIONS", status: 400, code: "BadRequest", msg: "Invalid Access-Control-Request-Method: OPTIONS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hdr := map[string]string{}
			if tc.origin != "" {
				hdr["Origin"] = tc.origin
			}
			if tc.method != "" {
				hdr["Access-Control-Request-Method"] = tc.method
			}
			if tc.reqHeaders != "" {
				hdr["Access-Control-Request-Headers"] = tc.reqHeaders
			}
			resp, body := options(t, e, tc.target, hdr)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d %s", resp.StatusCode, body)
			}
			for k, v := range tc.want {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("%s: %q, want %q", k, got, v)
				}
			}
			if tc.want == nil && resp.Header.Get("Access-Control-Allow-Origin") != "" {
				t.Errorf("CORS headers on a refusal: %v", resp.Header)
			}
			if tc.code != "" && (!strings.Contains(body, "<Code>"+tc.code+"</Code>") || !strings.Contains(body, "<Message>"+tc.msg+"</Message>")) {
				t.Errorf("body %s", body)
			}
			if tc.method2 != "" && !strings.Contains(body, "<Method>"+tc.method2+"</Method><ResourceType>"+tc.resource2+"</ResourceType>") {
				t.Errorf("body without Method and ResourceType: %s", body)
			}
		})
	}
}

// TestCORSHeadersOnRequests: signed, presigned and anonymous requests that
// carry an Origin get the first matching rule's headers, on errors too;
// requests without one, or from an origin no rule allows, get none.
func TestCORSHeadersOnRequests(t *testing.T) {
	e := corsEnv(t)
	pc := s3sdk.NewPresignClient(e.client(testKey, testSecret))
	origin := map[string]string{"Origin": corsSite}
	check := func(name string, resp *http.Response, body string, status int, allowOrigin string) {
		t.Helper()
		if resp.StatusCode != status {
			t.Errorf("%s: status %d %s", name, resp.StatusCode, body)
		}
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != allowOrigin {
			t.Errorf("%s: Access-Control-Allow-Origin %q, want %q", name, got, allowOrigin)
		}
		if allowOrigin == "" {
			if len(resp.Header.Values("Vary")) != 0 || resp.Header.Get("Access-Control-Allow-Methods") != "" {
				t.Errorf("%s: CORS headers %v", name, resp.Header)
			}
			return
		}
		if resp.Header.Get("Vary") != cors.Vary || resp.Header.Get("Access-Control-Allow-Methods") == "" {
			t.Errorf("%s: headers %v", name, resp.Header)
		}
	}
	resp, body := e.do(t, "GET", "/bkt/obj", nil, origin)
	check("signed GET", resp, body, 200, corsSite)
	if resp.Header.Get("Access-Control-Expose-Headers") != "ETag, x-amz-request-id" || resp.Header.Get("Access-Control-Allow-Credentials") != "true" ||
		resp.Header.Get("Access-Control-Max-Age") != "3000" || body != "old" {
		t.Errorf("signed GET headers %v %q", resp.Header, body)
	}
	resp, body = e.do(t, "GET", "/bkt/obj", nil, nil)
	check("no Origin", resp, body, 200, "")
	resp, body = e.do(t, "PUT", "/bkt/new", []byte("x"), map[string]string{"Origin": "https://elsewhere.org"})
	check("origin not allowed to PUT", resp, body, 200, "")
	resp, body = e.do(t, "HEAD", "/bkt/obj", nil, map[string]string{"Origin": "https://elsewhere.org"})
	check("HEAD from any origin", resp, body, 200, "*")
	resp, body = e.do(t, "GET", "/bkt/missing", nil, origin)
	check("NoSuchKey", resp, body, 404, corsSite)
	resp, body = e.do(t, "GET", "/nope/obj", nil, origin)
	check("no bucket", resp, body, 404, "")
	resp, body = e.do(t, "POST", "/bkt/obj?uploads", nil, origin)
	check("method no rule allows", resp, body, 200, "")

	anon, _ := http.NewRequest("GET", e.srv.URL+"/bkt/obj", nil)
	anon.Header.Set("Origin", corsSite)
	resp, body = send(t, anon)
	check("anonymous, refused", resp, body, 403, corsSite)

	get, err := pc.PresignGetObject(context.Background(), &s3sdk.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("obj")})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", get.URL, nil)
	req.Header.Set("Origin", "https://other.example.com")
	resp, body = send(t, req)
	check("presigned GET", resp, body, 200, "https://other.example.com")
	put := presignedPut(t, e, "bkt", "up", []byte("browser"))
	put.Header.Set("Origin", corsSite)
	resp, body = send(t, put)
	check("presigned PUT", resp, body, 200, corsSite)

	// A new configuration applies at once: the cache is keyed by document.
	c := e.client(testKey, testSecret)
	if _, err := c.PutBucketCors(context.Background(), &s3sdk.PutBucketCorsInput{Bucket: aws.String("bkt"),
		CORSConfiguration: &types.CORSConfiguration{CORSRules: corsRules[1:]}}); err != nil {
		t.Fatal(err)
	}
	resp, body = e.do(t, "GET", "/bkt/obj", nil, origin)
	check("after a new configuration", resp, body, 200, "*")
	if _, err := c.DeleteBucketCors(context.Background(), &s3sdk.DeleteBucketCorsInput{Bucket: aws.String("bkt")}); err != nil {
		t.Fatal(err)
	}
	resp, body = e.do(t, "GET", "/bkt/obj", nil, origin)
	check("after delete", resp, body, 200, "")
}

// TestCORSConfigCached: the parsed configuration is shared between
// requests until the document changes.
func TestCORSConfigCached(t *testing.T) {
	e := corsEnv(t)
	a, found, err := e.s.corsConfig("bkt")
	if err != nil || !found {
		t.Fatal(found, err)
	}
	b, _, _ := e.s.corsConfig("bkt")
	if a != b {
		t.Fatal("the configuration was parsed again")
	}
	if allocs := testing.AllocsPerRun(100, func() { e.s.corsConfig("bkt") }); allocs != 0 {
		t.Fatalf("%v allocations per cached lookup", allocs)
	}
}

// countingEngine counts the configuration lookups of the request path.
type countingEngine struct {
	*fakeEngine
	lookups atomic.Int64
}

func (c *countingEngine) BucketConfig(bucket, name string) ([]byte, bool, error) {
	c.lookups.Add(1)
	return c.fakeEngine.BucketConfig(bucket, name)
}

// TestCORSNoOriginNoCost: a request without Origin never looks at the
// bucket's CORS configuration; one with an Origin looks once.
func TestCORSNoOriginNoCost(t *testing.T) {
	var ce *countingEngine
	e := newTestEnvWith(t, func(cfg *Config) {
		ce = &countingEngine{fakeEngine: cfg.Engine.(*fakeEngine)}
		cfg.Engine = ce
	}, nil)
	e.seed()
	for range 3 {
		if resp, body := e.do(t, "GET", "/bkt/obj", nil, nil); resp.StatusCode != 200 {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
	}
	if n := ce.lookups.Load(); n != 0 {
		t.Fatalf("%d CORS lookups without Origin", n)
	}
	e.do(t, "GET", "/bkt/obj", nil, map[string]string{"Origin": corsSite})
	if n := ce.lookups.Load(); n != 1 {
		t.Fatalf("%d CORS lookups for one request with Origin", n)
	}
}

// TestPreflightVirtualHost: a preflight to bucket.domain finds the bucket.
func TestPreflightVirtualHost(t *testing.T) {
	e := corsEnv(t)
	for _, path := range []string{"/obj", "/"} {
		req, _ := http.NewRequest("OPTIONS", e.srv.URL+path, nil)
		req.Host = "bkt.s3.test"
		req.Header.Set("Origin", corsSite)
		req.Header.Set("Access-Control-Request-Method", "GET")
		resp, body := send(t, req)
		if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != corsSite {
			t.Fatalf("%s: %d %v %s", path, resp.StatusCode, resp.Header, body)
		}
	}
}

// BenchmarkCORSGet: a signed 4 KiB GET through the whole server (the fake
// engine) to a bucket with a CORS configuration, without an Origin and
// with an allowed one: what the CORS headers cost.
func BenchmarkCORSGet(b *testing.B) {
	f := newFakeEngine()
	f.keys[testKey] = engine.AccessKey{AccessKey: testKey, Secret: testSecret, Root: true}
	ctx := context.Background()
	f.CreateBucket(ctx, "bkt", "")
	f.PutObject(ctx, engine.PutInput{Bucket: "bkt", Key: "obj", Size: 4096, Body: strings.NewReader(strings.Repeat("x", 4096))})
	cfg, err := cors.Parse([]byte(`<CORSConfiguration><CORSRule><AllowedOrigin>https://*.example.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod>` +
		`<ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>600</MaxAgeSeconds></CORSRule></CORSConfiguration>`))
	if err != nil {
		b.Fatal(err)
	}
	f.SetBucketConfig(ctx, "bkt", engine.ConfigCORS, cfg.Marshal())
	s := New(Config{Engine: f, Region: testRegion})
	for _, origin := range []string{"", corsSite} {
		name := "no-origin"
		if origin != "" {
			name = "allowed-origin"
		}
		b.Run(name, func(b *testing.B) {
			tmpl := signedRequest(&testing.T{}, "GET", "http://127.0.0.1/bkt/obj", nil, unsignedPayload, nil)
			if origin != "" {
				tmpl.Header.Set("Origin", origin)
			}
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				s.ServeHTTP(w, tmpl.Clone(context.Background()))
				if w.Code != http.StatusOK || (origin != "") != (w.Header().Get("Access-Control-Allow-Origin") != "") {
					b.Fatalf("%d %v", w.Code, w.Header())
				}
			}
		})
	}
}
