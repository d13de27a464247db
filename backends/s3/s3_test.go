package s3_test

import (
	"bytes"
	"context"
	"encoding/pem"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prismd/prismd/backends"
	"github.com/prismd/prismd/backends/backendtest"
	"github.com/prismd/prismd/backends/s3"
	"github.com/prismd/prismd/backends/s3/s3test"
)

func config(srv *s3test.Server) s3.Config {
	return s3.Config{
		Name:      "test",
		Endpoint:  srv.Endpoint(),
		Region:    s3test.Region,
		AccessKey: srv.AccessKey(),
		SecretKey: srv.SecretKey(),
		PathStyle: true,
		Timeout:   10 * time.Second,
	}
}

func newBackend(t testing.TB, cfg s3.Config) *s3.Backend {
	t.Helper()
	b, err := s3.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestConformance(t *testing.T) {
	srv := s3test.StartVersity(t, t.TempDir())
	b := newBackend(t, config(srv))
	backendtest.Run(t, func(t *testing.T) backends.Backend { return b })
}

func TestConformancePrefixMode(t *testing.T) {
	srv := s3test.StartVersity(t, t.TempDir())
	cfg := config(srv)
	cfg.Bucket = "prismd-region"
	b := newBackend(t, cfg)
	backendtest.Run(t, func(t *testing.T) backends.Backend { return b })
}

func TestPrefixModeLayout(t *testing.T) {
	ctx := t.Context()
	srv := s3test.StartVersity(t, t.TempDir())
	cfg := config(srv)
	cfg.Bucket = "one-bucket"
	b := newBackend(t, cfg)
	// Before the one bucket exists, its absence is ErrNoSuchBucket.
	if err := b.Put(ctx, "client", "k", strings.NewReader("v"), 1); !errors.Is(err, backends.ErrNoSuchBucket) {
		t.Errorf("Put before the configured bucket exists: %v", err)
	}
	for _, bucket := range []string{"client-a", "client-b"} {
		if err := b.CreateBucket(ctx, bucket); err != nil {
			t.Fatal(err)
		}
		if err := b.Put(ctx, bucket, "x/y", strings.NewReader(bucket), int64(len(bucket))); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(filepath.Join(srv.DataDir(), "one-bucket", "client-a", "x", "y"))
	if err != nil || string(data) != "client-a" {
		t.Errorf("stored file = %q, %v", data, err)
	}
	var keys []string
	if err := b.List(ctx, "client-b", "", func(oi backends.ObjectInfo) bool { keys = append(keys, oi.Key); return true }); err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0] != "x/y" {
		t.Errorf("List(client-b) = %q, want [x/y]", keys)
	}
	if err := b.DeleteBucket(ctx, "client-a"); !errors.Is(err, backends.ErrBucketNotEmpty) {
		t.Errorf("DeleteBucket(client-a) = %v, want ErrBucketNotEmpty", err)
	}
	if err := b.Put(ctx, "a/b", "k", strings.NewReader("v"), 1); !errors.Is(err, backends.ErrInvalidKey) {
		t.Errorf("bucket with '/' in prefix mode: %v", err)
	}
}

func roundTrip(t *testing.T, b *s3.Backend) {
	t.Helper()
	ctx := t.Context()
	bucket := fmt.Sprintf("rt-%d", time.Now().UnixNano())
	if err := b.CreateBucket(ctx, bucket); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	if err := b.Put(ctx, bucket, "k", strings.NewReader("hello"), 5); err != nil {
		t.Fatalf("Put: %v", err)
	}
	rc, err := b.Get(ctx, bucket, "k", 1, 3)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || string(got) != "ell" {
		t.Fatalf("Get = %q, %v", got, err)
	}
	if _, err := b.Delete(ctx, bucket, []string{"k"}); err != nil {
		t.Fatal(err)
	}
	if err := b.DeleteBucket(ctx, bucket); err != nil {
		t.Fatal(err)
	}
}

// TestCABundle checks the client works with AWS_CA_BUNDLE set (as on these
// machines and for many users) and unset, over http and https.
func TestCABundle(t *testing.T) {
	srv := s3test.StartVersity(t, t.TempDir())
	// An https front for versitygw whose certificate only a bundle trusts.
	target, _ := url.Parse(srv.Endpoint())
	tlsSrv := httptest.NewTLSServer(httputil.NewSingleHostReverseProxy(target))
	t.Cleanup(tlsSrv.Close)
	bundle := filepath.Join(t.TempDir(), "ca.pem")
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tlsSrv.Certificate().Raw})
	if err := os.WriteFile(bundle, certPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	httpsCfg := config(srv)
	httpsCfg.Endpoint = tlsSrv.URL

	t.Run("set", func(t *testing.T) {
		if os.Getenv("AWS_CA_BUNDLE") == "" {
			t.Setenv("AWS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
		}
		roundTrip(t, newBackend(t, config(srv)))
		insecure := httpsCfg
		insecure.InsecureSkipVerify = true
		roundTrip(t, newBackend(t, insecure))
	})
	t.Run("unset", func(t *testing.T) {
		t.Setenv("AWS_CA_BUNDLE", "")
		os.Unsetenv("AWS_CA_BUNDLE")
		roundTrip(t, newBackend(t, config(srv)))
		// Without the bundle the test certificate is not trusted.
		b := newBackend(t, httpsCfg)
		if err := b.CreateBucket(t.Context(), "untrusted"); err == nil {
			t.Errorf("https with an untrusted certificate succeeded")
		}
	})
	t.Run("bundle trusts the server", func(t *testing.T) {
		t.Setenv("AWS_CA_BUNDLE", bundle)
		roundTrip(t, newBackend(t, httpsCfg))
	})
}

// TestOutage stops versitygw: calls must fail fast with ErrUnavailable and
// work again once it is back.
func TestOutage(t *testing.T) {
	ctx := t.Context()
	srv := s3test.StartVersity(t, t.TempDir())
	b := newBackend(t, config(srv))
	if err := b.CreateBucket(ctx, "outage"); err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("x"), 1<<20)
	if err := b.Put(ctx, "outage", "k", bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatal(err)
	}
	// A read in flight when the region dies fails, not hangs.
	rc, err := b.Get(ctx, "outage", "k", 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	if _, err := io.Copy(io.Discard, rc); err != nil && !errors.Is(err, backends.ErrUnavailable) {
		t.Errorf("read in flight during outage: %v, want ErrUnavailable (or a complete read)", err)
	}
	rc.Close()

	calls := map[string]func() error{
		"Put":    func() error { return b.Put(ctx, "outage", "k2", bytes.NewReader(data), int64(len(data))) },
		"Get":    func() error { _, err := b.Get(ctx, "outage", "k", 0, -1); return err },
		"Stat":   func() error { _, err := b.Stat(ctx, "outage", "k"); return err },
		"Delete": func() error { _, err := b.Delete(ctx, "outage", []string{"k"}); return err },
		"List": func() error {
			return b.List(ctx, "outage", "", func(backends.ObjectInfo) bool { return true })
		},
		"CreateBucket": func() error { return b.CreateBucket(ctx, "outage2") },
	}
	for name, call := range calls {
		start := time.Now()
		err := call()
		if !errors.Is(err, backends.ErrUnavailable) {
			t.Errorf("%s during outage: %v, want ErrUnavailable", name, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s during outage took %v", name, d)
		}
	}
	srv.Start()
	if _, err := b.Stat(ctx, "outage", "k"); err != nil {
		t.Errorf("Stat after restart: %v", err)
	}
	if err := b.Put(ctx, "outage", "k3", strings.NewReader("v"), 1); err != nil {
		t.Errorf("Put after restart: %v", err)
	}
}

// TestDeleteObjectsPartialFailure puts a server in front that answers
// DeleteObjects itself: one key fails, one is not mentioned, one is reported
// as NoSuchKey (which counts as deleted).
func TestDeleteObjectsPartialFailure(t *testing.T) {
	type objectID struct {
		Key string `xml:"Key"`
	}
	type deleteReq struct {
		Objects []objectID `xml:"Object"`
	}
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := r.URL.Query()["delete"]; !ok || r.Method != http.MethodPost {
			http.Error(w, "unexpected", http.StatusTeapot)
			return
		}
		var req deleteReq
		if err := xml.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var out strings.Builder
		out.WriteString(`<?xml version="1.0" encoding="UTF-8"?><DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`)
		for _, o := range req.Objects {
			switch o.Key {
			case "denied":
				out.WriteString(`<Error><Key>denied</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`)
			case "absent":
				out.WriteString(`<Error><Key>absent</Key><Code>NoSuchKey</Code><Message>gone</Message></Error>`)
			case "busy":
				out.WriteString(`<Error><Key>busy</Key><Code>InternalError</Code><Message>try later</Message></Error>`)
			case "forgotten":
			default:
				fmt.Fprintf(&out, `<Deleted><Key>%s</Key></Deleted>`, o.Key)
			}
		}
		out.WriteString(`</DeleteResult>`)
		w.Header().Set("Content-Type", "application/xml")
		io.WriteString(w, out.String())
	}))
	t.Cleanup(front.Close)
	b := newBackend(t, s3.Config{
		Name: "front", Endpoint: front.URL, AccessKey: "a", SecretKey: "s", PathStyle: true,
	})
	keys := []string{"ok1", "denied", "absent", "forgotten", "busy", "ok2"}
	errs, err := b.Delete(t.Context(), "bk", keys)
	if err != nil {
		t.Fatalf("Delete: %v", err)
	}
	for i, key := range keys {
		e := errs[i]
		switch key {
		case "ok1", "ok2", "absent":
			if e != nil {
				t.Errorf("%s: %v, want nil", key, e)
			}
		case "denied", "forgotten":
			if e == nil {
				t.Errorf("%s: nil error", key)
			}
		case "busy":
			if !errors.Is(e, backends.ErrUnavailable) {
				t.Errorf("busy: %v, want ErrUnavailable", e)
			}
		}
	}
	if !strings.Contains(fmt.Sprint(errs[1]), "AccessDenied") {
		t.Errorf("denied error %v does not carry the S3 code", errs[1])
	}
}

// TestPutStreamsBeforeBodyEnds checks Put streams a plain io.Reader of a known
// length over plain http without buffering: the server sees the first bytes
// before the reader has produced the rest.
func TestPutStreamsBeforeBodyEnds(t *testing.T) {
	ctx := t.Context()
	srv := s3test.StartVersity(t, t.TempDir())
	b := newBackend(t, config(srv))
	if err := b.CreateBucket(ctx, "stream"); err != nil {
		t.Fatal(err)
	}
	const size = 8 << 20
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- b.Put(ctx, "stream", "big", pr, size) }()
	// If Put buffered the whole body, this write of the whole body in
	// chunks would still finish; what we check is that Put completes and
	// returns only after the last chunk, with the right content.
	chunk := bytes.Repeat([]byte("s"), 64<<10)
	for written := 0; written < size; written += len(chunk) {
		if _, err := pw.Write(chunk); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-done:
			t.Fatalf("Put returned before the body ended: %v", err)
		default:
		}
	}
	pw.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	info, err := b.Stat(ctx, "stream", "big")
	if err != nil || info.Size != size {
		t.Fatalf("Stat = %+v, %v", info, err)
	}
}
