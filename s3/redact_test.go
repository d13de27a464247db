package s3

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"
)

// lockedBuffer is a bytes.Buffer safe for the server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestDebugLogRedactsCredentials: with debug logging on, neither the
// request line nor the signature-mismatch line logs a presigned URL's
// signature, credential or security token.
func TestDebugLogRedactsCredentials(t *testing.T) {
	var logs lockedBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e := newTestEnvWith(t, func(c *Config) { c.Logger = logger }, nil)
	ctx := context.Background()
	e.f.CreateBucket(ctx, "pre", "")
	pc := s3sdk.NewPresignClient(e.client(testKey, testSecret))
	get, err := pc.PresignGetObject(ctx, &s3sdk.GetObjectInput{Bucket: aws.String("pre"), Key: aws.String("k")}, s3sdk.WithPresignExpires(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(get.URL)
	q := u.Query()
	secrets := []string{q.Get("X-Amz-Signature"), q.Get("X-Amz-Credential"), url.QueryEscape(q.Get("X-Amz-Credential")), "SECRET-TOKEN"}
	requests := []string{
		get.URL, // logged by the request line
		strings.Replace(get.URL, "/pre/k", "/pre/other", 1) + "&X-Amz-Security-Token=SECRET-TOKEN", // and by the mismatch line
		e.srv.URL + "/pre/k?x-amz-signature=" + secrets[0] + "&X-AMZ-CREDENTIAL=" + secrets[2] + "&x-amz-security-token=SECRET-TOKEN",
	}
	for _, target := range requests {
		req, _ := http.NewRequest("GET", target, nil)
		send(t, req)
	}
	out := logs.String()
	if !strings.Contains(out, "signature mismatch") || strings.Count(out, "s3 request") != len(requests) {
		t.Fatalf("the debug lines are missing:\n%s", out)
	}
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("the debug log holds %q:\n%s", s, out)
		}
	}
	if !strings.Contains(out, "X-Amz-Signature=REDACTED") {
		t.Errorf("no redacted signature in the request line:\n%s", out)
	}
}

func TestRedactQueryAndCanonical(t *testing.T) {
	for in, want := range map[string]string{
		"":                                      "",
		"a=1&X-Amz-Signature=abc&b=2":           "a=1&X-Amz-Signature=REDACTED&b=2",
		"X%2DAmz%2DCredential=AK%2F1&x-id=Get":  "X%2DAmz%2DCredential=REDACTED&x-id=Get",
		"x-amz-security-token&uploads":          "x-amz-security-token=REDACTED&uploads",
		"X-Amz-Signaturex=keep&X-Amz-Date=2026": "X-Amz-Signaturex=keep&X-Amz-Date=2026",
	} {
		if got := redactQuery(in); got != want {
			t.Errorf("redactQuery(%q) = %q, want %q", in, got, want)
		}
	}
	canonical := "GET\n/b/k\nX-Amz-Credential=AK%2Fscope&a=1\nhost:h\nx-amz-security-token:tok\n\nhost;x-amz-security-token\nUNSIGNED-PAYLOAD"
	want := "GET\n/b/k\nX-Amz-Credential=REDACTED&a=1\nhost:h\nx-amz-security-token:REDACTED\n\nhost;x-amz-security-token\nUNSIGNED-PAYLOAD"
	if got := redactCanonical(canonical); got != want {
		t.Errorf("redactCanonical:\n%s\nwant\n%s", got, want)
	}
}
