package bench_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"strings"
	"testing"
	"time"

	"github.com/prismd/prismd/backends/s3/s3test"
	"github.com/prismd/prismd/bench"
)

// seen is what the server behind the relay received.
type seen struct {
	host, method, escapedPath, rawQuery string
	contentLength                       int64
	body                                [sha256.Size]byte
	bodyLen                             int64
}

// startRelay starts a relay on an httptest server in front of upstream.
func startRelay(t *testing.T, upstream string) *httptest.Server {
	t.Helper()
	h, err := bench.NewRelay(upstream)
	if err != nil {
		t.Fatal(err)
	}
	relay := httptest.NewServer(h)
	t.Cleanup(relay.Close)
	return relay
}

func TestRelay(t *testing.T) {
	object := bytes.Repeat([]byte("0123456789abcdef"), 4096) // 64 KiB
	modified := time.Unix(1700000000, 0)
	last := make(chan seen, 1)
	firstMiB := make(chan struct{}) // closed by /stream once it has read 1 MiB
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := seen{host: r.Host, method: r.Method, escapedPath: r.URL.EscapedPath(), rawQuery: r.URL.RawQuery, contentLength: r.ContentLength}
		record := func() { // before the response, so that the client finds it
			select {
			case <-last:
			default:
			}
			last <- s
		}
		switch r.URL.Path {
		case "/missing":
			record()
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, "<Error><Code>NoSuchKey</Code></Error>")
		case "/forbidden":
			record()
			w.WriteHeader(http.StatusForbidden) // without reading the body
		case "/stream":
			if _, err := io.CopyN(io.Discard, r.Body, 1<<20); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			close(firstMiB)
			fallthrough
		default:
			if r.Method == http.MethodPut {
				h := sha256.New()
				s.bodyLen, _ = io.Copy(h, r.Body)
				copy(s.body[:], h.Sum(nil))
				record()
				return
			}
			record()
			http.ServeContent(w, r, "object", modified, bytes.NewReader(object))
		}
	}))
	defer upstream.Close()
	relay := startRelay(t, upstream.URL)
	relayHost := strings.TrimPrefix(relay.URL, "http://")

	do := func(t *testing.T, req *http.Request) (*http.Response, []byte, seen) {
		t.Helper()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		select {
		case s := <-last:
			return resp, body, s
		default:
			t.Fatalf("%s %s: %s without reaching the upstream", req.Method, req.URL, resp.Status)
			return nil, nil, seen{}
		}
	}
	newReq := func(method, path string, body io.Reader) *http.Request {
		req, err := http.NewRequest(method, relay.URL+path, body)
		if err != nil {
			t.Fatal(err)
		}
		return req
	}

	t.Run("get range, host, path and query untouched", func(t *testing.T) {
		req := newReq(http.MethodGet, "/bucket/a%20b/c%2Fd?list-type=2&prefix=x%2Fy&versionId", nil)
		req.Header.Set("Range", "bytes=100-1123")
		resp, body, s := do(t, req)
		if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, object[100:1124]) {
			t.Fatalf("%s, %d bytes, want 206 and bytes 100-1123", resp.Status, len(body))
		}
		if got := resp.Header.Get("Content-Range"); got != fmt.Sprintf("bytes 100-1123/%d", len(object)) {
			t.Errorf("Content-Range %q", got)
		}
		if s.host != relayHost {
			t.Errorf("upstream saw Host %q, want the relay's %q", s.host, relayHost)
		}
		if s.escapedPath != "/bucket/a%20b/c%2Fd" || s.rawQuery != "list-type=2&prefix=x%2Fy&versionId" {
			t.Errorf("upstream saw path %q query %q", s.escapedPath, s.rawQuery)
		}
	})

	t.Run("get whole, explicit host", func(t *testing.T) {
		req := newReq(http.MethodGet, "/bucket/key", nil)
		req.Host = "bucket.s3.example.test:9000"
		resp, body, s := do(t, req)
		if resp.StatusCode != http.StatusOK || !bytes.Equal(body, object) || resp.ContentLength != int64(len(object)) {
			t.Fatalf("%s, %d bytes, Content-Length %d, want 200 and the object", resp.Status, len(body), resp.ContentLength)
		}
		if s.host != req.Host {
			t.Errorf("upstream saw Host %q, want %q", s.host, req.Host)
		}
	})

	t.Run("head", func(t *testing.T) {
		resp, body, s := do(t, newReq(http.MethodHead, "/bucket/key", nil))
		if resp.StatusCode != http.StatusOK || len(body) != 0 || s.method != http.MethodHead {
			t.Fatalf("%s with %d bytes, upstream saw %s", resp.Status, len(body), s.method)
		}
		if resp.ContentLength != int64(len(object)) || resp.Header.Get("Last-Modified") != modified.UTC().Format(http.TimeFormat) {
			t.Errorf("Content-Length %d Last-Modified %q", resp.ContentLength, resp.Header.Get("Last-Modified"))
		}
	})

	t.Run("error status and body", func(t *testing.T) {
		resp, body, _ := do(t, newReq(http.MethodGet, "/missing", nil))
		if resp.StatusCode != http.StatusNotFound || string(body) != "<Error><Code>NoSuchKey</Code></Error>" || resp.Header.Get("Content-Type") != "application/xml" {
			t.Fatalf("%s %q %q", resp.Status, resp.Header.Get("Content-Type"), body)
		}
	})

	t.Run("put streams its body", func(t *testing.T) {
		data := bytes.Repeat([]byte("prismd relay "), (4<<20)/13)
		pr, pw := io.Pipe()
		go func() {
			// The second half waits until the upstream has read 1 MiB:
			// a relay that buffered the body before sending it would
			// never get there.
			if _, err := pw.Write(data[:2<<20]); err != nil {
				return
			}
			select {
			case <-firstMiB:
				_, err := pw.Write(data[2<<20:])
				pw.CloseWithError(err)
			case <-time.After(30 * time.Second):
				pw.CloseWithError(errors.New("the upstream did not see the first MiB before the body ended: the relay does not stream"))
			}
		}()
		req := newReq(http.MethodPut, "/stream", pr)
		req.ContentLength = int64(len(data))
		resp, _, s := do(t, req)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s", resp.Status)
		}
		if s.contentLength != int64(len(data)) {
			t.Errorf("upstream saw Content-Length %d, want %d", s.contentLength, len(data))
		}
		if s.bodyLen+1<<20 != int64(len(data)) || s.body != sha256.Sum256(data[1<<20:]) {
			t.Errorf("upstream got %d bytes after the first MiB, not the ones sent (%d)", s.bodyLen, len(data)-1<<20)
		}
	})

	t.Run("expect 100-continue", func(t *testing.T) {
		client := &http.Client{Transport: &http.Transport{ExpectContinueTimeout: time.Minute}}
		defer client.CloseIdleConnections()
		for _, c := range []struct {
			path      string
			want      int
			continued bool
		}{{"/bucket/key", http.StatusOK, true}, {"/forbidden", http.StatusForbidden, false}} {
			data := bytes.Repeat([]byte{7}, 3<<20)
			continued := false
			trace := &httptrace.ClientTrace{Got100Continue: func() { continued = true }}
			req := newReq(http.MethodPut, c.path, bytes.NewReader(data))
			req = req.WithContext(httptrace.WithClientTrace(context.Background(), trace))
			req.Header.Set("Expect", "100-continue")
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			s := <-last
			if resp.StatusCode != c.want || continued != c.continued {
				t.Errorf("%s: %s, 100 Continue %v; want %d, %v", c.path, resp.Status, continued, c.want, c.continued)
			}
			if c.continued && (s.bodyLen != int64(len(data)) || s.body != sha256.Sum256(data)) {
				t.Errorf("%s: upstream got %d bytes, not the ones sent", c.path, s.bodyLen)
			}
		}
	})
}

func TestRelayErrors(t *testing.T) {
	for _, target := range []string{"", "127.0.0.1:9000", "ftp://127.0.0.1:21", "http://", "http://[::1"} {
		if _, err := bench.NewRelay(target); !errors.Is(err, bench.ErrInvalidConfig) {
			t.Errorf("NewRelay(%q): %v, want ErrInvalidConfig", target, err)
		}
	}
	relay := startRelay(t, "http://127.0.0.1:1") // nothing listens there
	resp, err := http.Get(relay.URL + "/bucket/key")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadGateway {
		t.Errorf("unreachable upstream: %s, want 502", resp.Status)
	}
}

// TestRelaySignedS3 sends signed S3 requests through a relay to versitygw,
// which checks every signature against the Host header it receives.
func TestRelaySignedS3(t *testing.T) {
	srv := s3test.StartVersity(t, t.TempDir())
	relay := startRelay(t, srv.Endpoint())
	ctx := context.Background()
	e := bench.Endpoint{Name: "relay", URL: relay.URL, AccessKey: srv.AccessKey(), SecretKey: srv.SecretKey(), Bucket: "relayed"}
	for _, w := range []bench.Workload{
		{Op: bench.OpPut, Size: 3 << 20, Concurrency: 2, Ops: 6},
		{Op: bench.OpGet, Size: 3 << 20, Concurrency: 2, Ops: 6, Objects: 2},
		{Op: bench.OpList, Size: 1, Concurrency: 2, Ops: 4, Objects: 10, ListMaxKeys: 3},
	} {
		r, err := bench.Run(ctx, bench.Config{Target: e, Workload: w})
		if err != nil {
			t.Fatalf("%s: %v", w.Op, err)
		}
		checkResult(t, r)
		if w.Op != bench.OpList && r.Total.Bytes != r.Total.Count*w.Size {
			t.Errorf("%s: %d bytes, want %d ops × %d", w.Op, r.Total.Bytes, r.Total.Count, w.Size)
		}
	}
	// The relay adds no authentication of its own and bypasses none.
	bad := e
	bad.SecretKey = "wrong-secret"
	r, err := bench.Run(ctx, bench.Config{Target: bad, Workload: bench.Workload{Op: bench.OpPut, Size: 1 << 10, Ops: 3}})
	if err != nil || r.Valid || r.Total.Errors != 3 {
		t.Fatalf("wrong secret through the relay: err=%v, %+v", err, r)
	}
}
