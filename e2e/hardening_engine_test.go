package e2e

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// TestHardeningStalledUpload: an authenticated upload that sends a few
// bytes and stalls is ended with 400 RequestTimeout after
// s3_read_idle_timeout; nothing is stored, and no temporary file of it is
// left on the regions.
func TestHardeningStalledUpload(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := start(t, dir, `
data_dir = "data"
s3_read_idle_timeout = "2s"
`, []string{"PRISMD_ACCESS_KEY=" + rootKey, "PRISMD_SECRET_KEY=" + rootSecret})
	c := sdkClient(p, rootKey, rootSecret)
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("stall")}); err != nil {
		t.Fatal(err)
	}
	const size = 3 << 20 // erasure-coded: a shard writer on every region
	req, err := http.NewRequest(http.MethodPut, p.Endpoint+"/stall/slow", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = size
	req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	creds := aws.Credentials{AccessKeyID: rootKey, SecretAccessKey: rootSecret}
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, "UNSIGNED-PAYLOAD", "s3", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(p.Endpoint)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var head bytes.Buffer
	fmt.Fprintf(&head, "PUT /stall/slow HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n", u.Host, size)
	for k, vs := range req.Header {
		fmt.Fprintf(&head, "%s: %s\r\n", k, vs[0])
	}
	head.WriteString("\r\n")
	conn.Write(head.Bytes())
	conn.Write(bytes.Repeat([]byte("x"), 1<<20)) // a third of the body, then silence
	conn.SetReadDeadline(time.Now().Add(time.Minute))
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		t.Fatalf("no answer to a stalled upload: %v", err)
	}
	var body bytes.Buffer
	body.ReadFrom(resp.Body)
	if resp.StatusCode != 400 || !strings.Contains(body.String(), "<Code>RequestTimeout</Code>") {
		t.Fatalf("stalled upload: %d %s", resp.StatusCode, body.String())
	}
	if _, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("stall"), Key: aws.String("slow")}); err == nil {
		t.Fatal("the stalled upload was stored")
	}
	// The engine's shard writers end with the request: no temporary file
	// remains on any region (checked until they are gone).
	tmpFiles := func() []string {
		var found []string
		filepath.WalkDir(filepath.Join(dir, "data", "regions"), func(path string, d os.DirEntry, err error) error {
			if err == nil && strings.HasPrefix(d.Name(), ".prismd-tmp") {
				found = append(found, path)
			}
			return nil
		})
		return found
	}
	deadline := time.Now().Add(time.Minute)
	for len(tmpFiles()) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("temporary files left on the regions: %v", tmpFiles())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestHardeningMultipartConditions: CompleteMultipartUpload with
// If-None-Match: * does not overwrite an existing key (412), and a
// completion retried after it succeeded (an SDK's retry after a timeout)
// answers 200 with the same ETag.
func TestHardeningMultipartConditions(t *testing.T) {
	t.Parallel()
	_, c := rootClient(t)
	ctx := context.Background()
	b := newBucket(t, c, "harden-mpu")
	put(t, c, b, "taken", []byte("already here"))
	complete := func(key string, ifNoneMatch bool) (string, *s3.CompleteMultipartUploadInput, error) {
		up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &b, Key: &key})
		if err != nil {
			t.Fatal(err)
		}
		part, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: &b, Key: &key, UploadId: up.UploadId, PartNumber: aws.Int32(1),
			Body: bytes.NewReader([]byte("part one"))})
		if err != nil {
			t.Fatal(err)
		}
		in := &s3.CompleteMultipartUploadInput{Bucket: &b, Key: &key, UploadId: up.UploadId,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: part.ETag}}}}
		if ifNoneMatch {
			in.IfNoneMatch = aws.String("*")
		}
		out, err := c.CompleteMultipartUpload(ctx, in)
		if err != nil {
			return "", in, err
		}
		return aws.ToString(out.ETag), in, nil
	}
	_, _, err := complete("taken", true)
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "PreconditionFailed" {
		t.Fatalf("complete with If-None-Match * over an existing key: %v", err)
	}
	if got := getString(t, c, b, "taken"); got != "already here" {
		t.Fatalf("the existing object became %q", got)
	}
	etag, in, err := complete("fresh", false)
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.CompleteMultipartUpload(ctx, in)
	if err != nil || aws.ToString(again.ETag) != etag {
		t.Fatalf("retried completion: %v (ETag %v, want %s)", err, again, etag)
	}
}

func getString(t *testing.T, c *s3.Client, bucket, key string) string {
	t.Helper()
	got, _ := getBytes(t, c, &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	return string(got)
}

// TestHardeningWipedRegion: `rm -rf` of one fs region's directory under a
// running prismd. The next writes meet the missing bucket, /health shows
// the region being checked, and prismd creates the bucket again and
// rewrites every shard the region lost: afterwards each object reads back
// with another region's directory gone too.
func TestHardeningWipedRegion(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := start(t, dir, `data_dir = "data"`, []string{"PRISMD_ACCESS_KEY=" + rootKey, "PRISMD_SECRET_KEY=" + rootSecret})
	c := sdkClient(p, rootKey, rootSecret)
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("wipe")}); err != nil {
		t.Fatal(err)
	}
	bodies := map[string][]byte{}
	for i := range 6 {
		key := fmt.Sprintf("obj-%d", i)
		bodies[key] = randomBytes(t, 2<<20) // erasure 2+1: a shard on every region
		put(t, c, "wipe", key, bodies[key])
	}
	regions := filepath.Join(dir, "data", "regions")
	countShards := func(region string) int {
		n := 0
		filepath.WalkDir(filepath.Join(regions, region), func(path string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() && d.Name() == "prismd-system" {
				return filepath.SkipDir
			}
			if err == nil && !d.IsDir() && !strings.HasPrefix(d.Name(), ".") {
				n++
			}
			return nil
		})
		return n
	}
	// Wait until every shard landed (the third lands after the answer).
	waitUntil(t, "every shard written", func() bool { return countShards("c") == 6 })
	wipeDir(t, filepath.Join(regions, "c"))
	// New writes meet the missing bucket on c.
	for i := range 6 {
		key := fmt.Sprintf("after-%d", i)
		bodies[key] = randomBytes(t, 2<<20)
		put(t, c, "wipe", key, bodies[key])
	}
	waitUntil(t, "region c refilled", func() bool { return countShards("c") == len(bodies) })
	wipeDir(t, filepath.Join(regions, "a"))
	for key, want := range bodies {
		got, _ := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String("wipe"), Key: aws.String(key)})
		if !bytes.Equal(got, want) {
			t.Fatalf("%s with region a gone: %d bytes, want %d", key, len(got), len(want))
		}
	}
}

// wipeDir removes dir as a careless operator would, while prismd keeps
// writing into it (shipping, completion): RemoveAll fails with "directory
// not empty" when a file appears meanwhile, so it is tried until it
// succeeds.
func wipeDir(t *testing.T, dir string) {
	t.Helper()
	waitUntil(t, "region directory removed", func() bool { return os.RemoveAll(dir) == nil })
}

// waitUntil polls cond until it holds, failing the test after two minutes.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not reached in two minutes", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestHardeningAdminListenerTimeouts: a client that opens a connection to
// the management listener and never finishes its request headers does not
// hold the connection: the server closes it (ReadHeaderTimeout).
func TestHardeningAdminListenerTimeouts(t *testing.T) {
	t.Parallel()
	p := start(t, t.TempDir(), `data_dir = "data"`, nil)
	u, err := url.Parse(p.Admin)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /health HTTP/1.1\r\nHost: %s\r\nX-Slow: ", u.Host) // and then silence
	conn.SetReadDeadline(time.Now().Add(2 * time.Minute))
	_, err = io.Copy(io.Discard, conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("the management listener kept a stalled connection open for 2 minutes")
	}
}
