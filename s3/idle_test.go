package s3

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prismd/prismd/engine"
)

// returns wraps the S3 handler so that the test learns when ServeHTTP
// returned (or panicked, as it does to abort a response).
func returns(done chan<- string) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() { done <- r.Method + " " + r.URL.Path }()
			h.ServeHTTP(w, r)
		})
	}
}

// awaitReturn waits for the handler of one request to return; a handler
// still blocked after a generous bound fails the test.
func awaitReturn(t *testing.T, done <-chan string, onTimeout func()) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		onTimeout()
		t.Fatal("the handler is still blocked")
	}
}

// TestStalledUploadTimesOut: a client that sends part of a body and stalls
// gets 400 RequestTimeout once BodyIdleTimeout passes without progress;
// nothing is committed and the handler returns.
func TestStalledUploadTimesOut(t *testing.T) {
	done := make(chan string, 4)
	e := newTestEnvWith(t, func(c *Config) { c.BodyIdleTimeout = 100 * time.Millisecond }, returns(done))
	e.f.CreateBucket(context.Background(), "bkt", "")
	up, _ := e.f.CreateUpload(context.Background(), "bkt", "mp", "", nil, nil)
	before := e.f.snapshot()
	for _, target := range []string{"/bkt/stalled", "/bkt/mp?partNumber=1&uploadId=" + up.UploadID} {
		t.Run(target, func(t *testing.T) {
			req := signedRequest(t, "PUT", e.srv.URL+target, nil, unsignedPayload, nil)
			conn := rawRequest(t, e, req, 1000, strings.Repeat("x", 10))
			resp, b := readRawResponse(t, conn)
			if resp.StatusCode != 400 || !strings.Contains(b, "<Code>RequestTimeout</Code>") {
				t.Fatalf("got %d %s", resp.StatusCode, b)
			}
			awaitReturn(t, done, func() { conn.Close() })
			e.f.requireUnchanged(t, before)
		})
	}
}

// TestUnreadResponseTimesOut: a client that stops reading its answer does
// not hold the handler (and the object reader) past ResponseIdleTimeout.
func TestUnreadResponseTimesOut(t *testing.T) {
	done := make(chan string, 4)
	e := newTestEnvWith(t, func(c *Config) { c.ResponseIdleTimeout = 100 * time.Millisecond }, returns(done))
	ctx := context.Background()
	e.f.CreateBucket(ctx, "bkt", "")
	// More than the socket buffers of both ends hold.
	big := bytes.Repeat([]byte("0123456789abcdef"), 2<<20)
	if _, err := e.f.PutObject(ctx, engine.PutInput{Bucket: "bkt", Key: "big", Size: int64(len(big)), Body: bytes.NewReader(big)}); err != nil {
		t.Fatal(err)
	}
	req := signedRequest(t, "GET", e.srv.URL+"/bkt/big", nil, emptySHA256, nil)
	conn := rawRequest(t, e, req, -1, "")
	conn.SetReadBuffer(4096)
	awaitReturn(t, done, func() { conn.Close() })
}
