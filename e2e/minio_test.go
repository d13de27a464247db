package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// minioClient is a minio-go client as a Go program would make one. Over
// plain HTTP minio-go signs every chunk (STREAMING-AWS4-HMAC-SHA256-PAYLOAD);
// with trailing headers on it sends checksums as trailers.
func minioClient(t *testing.T, p *proc, trailers bool, seen *sync.Map) *minio.Client {
	t.Helper()
	c, err := minio.New(p.hostPort(), &minio.Options{
		Transport:       recordingTransport{seen, http.DefaultTransport},
		Creds:           credentials.NewStaticV4(rootKey, rootSecret, ""),
		Secure:          false,
		Region:          "us-east-1",
		BucketLookup:    minio.BucketLookupPath,
		TrailingHeaders: trailers,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// recordingTransport records every x-amz-content-sha256 mode it sends.
type recordingTransport struct {
	seen *sync.Map
	next http.RoundTripper
}

func (r recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if v := req.Header.Get("X-Amz-Content-Sha256"); strings.HasPrefix(v, "STREAMING-") {
		r.seen.Store(v, true)
	}
	return r.next.RoundTrip(req)
}

func TestMinio(t *testing.T) {
	t.Parallel()
	p := shared(t)
	ctx := context.Background()
	for _, trailers := range []bool{false, true} {
		t.Run(fmt.Sprintf("trailers=%v", trailers), func(t *testing.T) {
			var seen sync.Map
			c := minioClient(t, p, trailers, &seen)
			b := uniqueBucket("minio")
			if err := c.MakeBucket(ctx, b, minio.MakeBucketOptions{Region: "us-east-1"}); err != nil {
				t.Fatal(err)
			}
			if ok, err := c.BucketExists(ctx, b); err != nil || !ok {
				t.Fatalf("BucketExists = %v, %v", ok, err)
			}

			// Small objects, with metadata and a checksum.
			small := randomBytes(t, 200_000)
			opts := minio.PutObjectOptions{ContentType: "image/png", UserMetadata: map[string]string{"Shot-By": "minio"}}
			if trailers {
				opts.Checksum = minio.ChecksumCRC32C
			}
			if _, err := c.PutObject(ctx, b, "pics/small.png", bytes.NewReader(small), int64(len(small)), opts); err != nil {
				t.Fatalf("PutObject small: %v", err)
			}
			want := "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
			if trailers {
				want += "-TRAILER"
			}
			if _, ok := seen.Load(want); !ok {
				var modes []any
				seen.Range(func(k, _ any) bool { modes = append(modes, k); return true })
				t.Errorf("minio-go did not upload with %s (saw %v); the test no longer covers signed chunks", want, modes)
			}
			for i := range 3 {
				if _, err := c.PutObject(ctx, b, fmt.Sprintf("pics/n%d", i), strings.NewReader("x"), 1, minio.PutObjectOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			st, err := c.StatObject(ctx, b, "pics/small.png", minio.StatObjectOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if st.Size != int64(len(small)) || st.ContentType != "image/png" || st.UserMetadata["Shot-By"] != "minio" {
				t.Errorf("StatObject = size %d type %q meta %v", st.Size, st.ContentType, st.UserMetadata)
			}
			obj, err := c.GetObject(ctx, b, "pics/small.png", minio.GetObjectOptions{})
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(obj)
			obj.Close()
			if err != nil || !bytes.Equal(got, small) {
				t.Fatalf("GetObject small: %d bytes, %v", len(got), err)
			}
			ro := minio.GetObjectOptions{}
			ro.SetRange(1000, 1999)
			obj, err = c.GetObject(ctx, b, "pics/small.png", ro)
			if err != nil {
				t.Fatal(err)
			}
			got, _ = io.ReadAll(obj)
			obj.Close()
			if !bytes.Equal(got, small[1000:2000]) {
				t.Errorf("ranged GetObject: %d bytes", len(got))
			}

			// 50 MiB multipart (5 MiB parts), from a file.
			if _, err := c.FPutObject(ctx, b, "big/file.bin", bigFile, minio.PutObjectOptions{PartSize: 5 << 20, NumThreads: 4}); err != nil {
				t.Fatalf("FPutObject 50 MiB: %v", err)
			}
			st, err = c.StatObject(ctx, b, "big/file.bin", minio.StatObjectOptions{})
			if err != nil || st.Size != bigSize || !strings.HasSuffix(st.ETag, "-10") {
				t.Errorf("StatObject big = size %d etag %s, %v; want a 10-part ETag", st.Size, st.ETag, err)
			}
			out := filepath.Join(t.TempDir(), "big.out")
			if err := c.FGetObject(ctx, b, "big/file.bin", out, minio.GetObjectOptions{}); err != nil {
				t.Fatal(err)
			}
			if sha256File(t, out) != sha256File(t, bigFile) {
				t.Fatal("50 MiB object: bytes differ")
			}

			// Listing, recursive and not.
			var keys []string
			for o := range c.ListObjects(ctx, b, minio.ListObjectsOptions{Recursive: true}) {
				if o.Err != nil {
					t.Fatal(o.Err)
				}
				keys = append(keys, o.Key)
			}
			if want := "big/file.bin pics/n0 pics/n1 pics/n2 pics/small.png"; strings.Join(keys, " ") != want {
				t.Errorf("recursive list: %v, want %s", keys, want)
			}
			keys = nil
			for o := range c.ListObjects(ctx, b, minio.ListObjectsOptions{Prefix: "pics/", MaxKeys: 2}) {
				if o.Err != nil {
					t.Fatal(o.Err)
				}
				keys = append(keys, o.Key)
			}
			if len(keys) != 4 {
				t.Errorf("paged list of pics/: %v", keys)
			}

			// Presigned GET fetched with net/http.
			u, err := c.PresignedGetObject(ctx, b, "pics/small.png", 5*time.Minute, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.Get(u.String())
			if err != nil {
				t.Fatal(err)
			}
			got, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !bytes.Equal(got, small) {
				t.Errorf("presigned GET: %s, %d bytes", resp.Status, len(got))
			}

			// Remove one, then the rest in a batch, then the bucket.
			if err := c.RemoveObject(ctx, b, "pics/small.png", minio.RemoveObjectOptions{}); err != nil {
				t.Fatal(err)
			}
			if _, err := c.StatObject(ctx, b, "pics/small.png", minio.StatObjectOptions{}); minio.ToErrorResponse(err).Code != "NoSuchKey" {
				t.Errorf("StatObject after remove: %v", err)
			}
			ch := make(chan minio.ObjectInfo)
			go func() {
				defer close(ch)
				for o := range c.ListObjects(ctx, b, minio.ListObjectsOptions{Recursive: true}) {
					ch <- o
				}
			}()
			for e := range c.RemoveObjects(ctx, b, ch, minio.RemoveObjectsOptions{}) {
				t.Errorf("RemoveObjects %s: %v", e.ObjectName, e.Err)
			}
			if err := c.RemoveBucket(ctx, b); err != nil {
				t.Fatal(err)
			}
			if ok, _ := c.BucketExists(ctx, b); ok {
				t.Error("bucket still exists")
			}
		})
	}
}
