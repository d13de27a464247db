package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// pageServer serves an empty HTML page on its own 127.0.0.1 port: a
// browser origin other than prismd's.
func pageServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<!doctype html><title>page</title><p>a page on another origin</p>")
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

// browserFetch is the script a page runs: a GET and a PUT (with a custom
// header, so the browser sends a preflight) of presigned URLs; it reports
// the status and body or the ETag the page may read, or "blocked" when the
// browser refused the answer.
const browserFetch = `(async () => {
  const out = {};
  try {
    const r = await fetch(%q);
    out.get = r.status + ":" + await r.text();
  } catch (e) { out.get = "blocked: " + e.message; }
  try {
    const r = await fetch(%q, {method: "PUT", body: "from the browser", headers: {"X-Requested-With": "prismd-cors-test"}});
    out.put = r.status + ":" + (r.headers.get("ETag") || "no ETag");
  } catch (e) { out.put = "blocked: " + e.message; }
  return JSON.stringify(out);
})()`

// TestCORSBrowser: a CORS configuration put with aws-sdk-go-v2 on a real
// prismd answers curl's preflight on a presigned URL, lets a headless
// Chromium page on an allowed origin GET and PUT through presigned URLs
// (reading the exposed ETag), and gets a page on another origin blocked
// by the browser, its PUT never sent.
func TestCORSBrowser(t *testing.T) {
	p, c := rootClient(t)
	ctx := context.Background()
	allowed, other := pageServer(t), pageServer(t)
	b := newBucket(t, c, "cors")
	put(t, c, b, "hello.txt", []byte("hello, browser"))
	if _, err := c.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: &b, CORSConfiguration: &types.CORSConfiguration{CORSRules: []types.CORSRule{{
		AllowedOrigins: []string{allowed}, AllowedMethods: []string{"GET", "PUT"},
		AllowedHeaders: []string{"x-requested-with", "content-type"}, ExposeHeaders: []string{"ETag"}, MaxAgeSeconds: aws.Int32(60),
	}}}}); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: &b})
	if err != nil || len(got.CORSRules) != 1 || got.CORSRules[0].AllowedOrigins[0] != allowed {
		t.Fatalf("GetBucketCors: %+v %v", got, err)
	}
	pc := s3.NewPresignClient(c)
	presign := func(key string) (string, string) {
		g, err := pc.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("hello.txt")}, s3.WithPresignExpires(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		u, err := pc.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String(key)}, s3.WithPresignExpires(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		return g.URL, u.URL
	}

	// (1) curl's preflight on the presigned PUT URL: allowed, then refused
	// for another origin.
	getURL, putURL := presign("from-browser.txt")
	curlHeaders := func(origin string) string {
		return runCmd(t, cleanEnv(), needBinary(t, "curl"), "-sS", "-i", "-X", "OPTIONS", "-H", "Origin: "+origin,
			"-H", "Access-Control-Request-Method: PUT", "-H", "Access-Control-Request-Headers: X-Requested-With", putURL)
	}
	out := curlHeaders(allowed)
	for _, want := range []string{"HTTP/1.1 200", "Access-Control-Allow-Origin: " + allowed, "Access-Control-Allow-Methods: GET, PUT",
		"Access-Control-Allow-Headers: x-requested-with", "Access-Control-Expose-Headers: ETag", "Access-Control-Max-Age: 60",
		"Access-Control-Allow-Credentials: true", "Vary: Origin, Access-Control-Request-Headers, Access-Control-Request-Method"} {
		if !strings.Contains(out, want) {
			t.Fatalf("curl preflight from the allowed origin lacks %q:\n%s", want, out)
		}
	}
	if out := curlHeaders(other); !strings.Contains(out, "HTTP/1.1 403") || !strings.Contains(out, "<Code>AccessForbidden</Code>") ||
		strings.Contains(out, "Access-Control-Allow-Origin") {
		t.Fatalf("curl preflight from another origin:\n%s", out)
	}

	// (2) a real browser.
	br := newBrowser(t, p)
	var res string
	await := func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }
	br.run("allowed page", chromedp.Navigate(allowed+"/"), chromedp.Evaluate(fmt.Sprintf(browserFetch, getURL, putURL), &res, await))
	var r struct{ Get, Put string }
	if err := json.Unmarshal([]byte(res), &r); err != nil {
		t.Fatalf("%v: %s", err, res)
	}
	t.Logf("allowed origin: %+v", r)
	if r.Get != "200:hello, browser" || !strings.HasPrefix(r.Put, `200:"`) {
		t.Fatalf("the browser on the allowed origin: %+v", r)
	}
	if data, _ := getBytes(t, c, &s3.GetObjectInput{Bucket: &b, Key: aws.String("from-browser.txt")}); string(data) != "from the browser" {
		t.Fatalf("the browser's PUT stored %q", data)
	}
	getURL, putURL = presign("blocked.txt")
	br.run("other page", chromedp.Navigate(other+"/"), chromedp.Evaluate(fmt.Sprintf(browserFetch, getURL, putURL), &res, await))
	if err := json.Unmarshal([]byte(res), &r); err != nil {
		t.Fatalf("%v: %s", err, res)
	}
	t.Logf("other origin: %+v", r)
	if !strings.HasPrefix(r.Get, "blocked") || !strings.HasPrefix(r.Put, "blocked") {
		t.Fatalf("the browser on another origin was not blocked: %+v", r)
	}
	if _, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b, Key: aws.String("blocked.txt")}); err == nil {
		t.Fatal("the PUT of a refused preflight was sent")
	}
}
