package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestLifecycle runs `prismd serve` with lifecycle_day = "500ms": the
// rules put with aws-sdk-go-v2 (and read back with the aws cli) expire
// current objects of an unversioned bucket, take a versioned key through
// a delete marker, the removal of its noncurrent versions and of the
// expired marker, keep what no rule selects, and abort an old upload —
// across a restart of prismd.
func TestLifecycle(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(workDir, "lifecycle")
	env := []string{"PRISMD_ACCESS_KEY=" + rootKey, "PRISMD_SECRET_KEY=" + rootSecret}
	cfg := "data_dir = \"data\"\nlifecycle_day = \"500ms\"\n"
	p := start(t, dir, cfg, env)
	c := sdkClient(p, rootKey, rootSecret)
	ctx := context.Background()
	unv, ver := "lc-plain", "lc-versioned"
	for _, b := range []string{unv, ver} {
		if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(ver),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	put := func(b, k, body string) {
		t.Helper()
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String(k), Body: strings.NewReader(body)}); err != nil {
			t.Fatal(err)
		}
	}
	put(unv, "logs/a", "old log")
	put(unv, "keep/b", "kept")
	put(ver, "tmp/k", "v1")
	put(ver, "tmp/k", "v2")
	put(ver, "data/k", "d1")
	put(ver, "data/k", "d2")
	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(ver), Key: aws.String("tmp/upload")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{Bucket: aws.String(unv),
		LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: []types.LifecycleRule{{
			ID: aws.String("logs"), Status: types.ExpirationStatusEnabled,
			Filter:     &types.LifecycleRuleFilter{Prefix: aws.String("logs/")},
			Expiration: &types.LifecycleExpiration{Days: aws.Int32(1)}}}}}); err != nil {
		t.Fatalf("put lifecycle: %v", err)
	}
	if _, err := c.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{Bucket: aws.String(ver),
		LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: []types.LifecycleRule{
			{ID: aws.String("tmp"), Status: types.ExpirationStatusEnabled,
				Filter:                         &types.LifecycleRuleFilter{Prefix: aws.String("tmp/")},
				Expiration:                     &types.LifecycleExpiration{Days: aws.Int32(1)},
				AbortIncompleteMultipartUpload: &types.AbortIncompleteMultipartUpload{DaysAfterInitiation: aws.Int32(1)}},
			{ID: aws.String("markers"), Status: types.ExpirationStatusEnabled,
				Filter:     &types.LifecycleRuleFilter{Prefix: aws.String("tmp/")},
				Expiration: &types.LifecycleExpiration{ExpiredObjectDeleteMarker: aws.Bool(true)}},
			{ID: aws.String("noncurrent"), Status: types.ExpirationStatusEnabled,
				Filter:                      &types.LifecycleRuleFilter{},
				NoncurrentVersionExpiration: &types.NoncurrentVersionExpiration{NoncurrentDays: aws.Int32(2)}},
		}}}); err != nil {
		t.Fatalf("put lifecycle: %v", err)
	}

	// The aws cli reads the configuration back.
	if _, err := os.Stat("/usr/bin/aws"); err != nil {
		t.Fatalf("/usr/bin/aws (Debian package awscli) is not installed; `make test` installs it: %v", err)
	}
	cli := awsCLI{bin: "/usr/bin/aws", endpoint: p.Endpoint, env: clientEnv(t)}
	var got struct {
		Rules []struct {
			ID         string
			Status     string
			Expiration struct {
				Days                      int
				ExpiredObjectDeleteMarker bool
			}
		}
	}
	if err := json.Unmarshal([]byte(cli.run(t, "s3api", "get-bucket-lifecycle-configuration", "--bucket", ver)), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Rules) != 3 || got.Rules[0].ID != "tmp" || got.Rules[0].Expiration.Days != 1 || !got.Rules[1].Expiration.ExpiredObjectDeleteMarker {
		t.Fatalf("get-bucket-lifecycle-configuration: %+v", got)
	}

	// A restart: the worker runs again at start.
	if err := p.stop(); err != nil {
		t.Fatal(err)
	}
	p = start(t, dir, cfg, env)
	c = sdkClient(p, rootKey, rootSecret)
	cli.endpoint = p.Endpoint

	gone := func(b, k string) bool {
		_, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String(k)})
		return err != nil && strings.Contains(err.Error(), "404")
	}
	waitUntil(t, "logs/a expired", func() bool { return gone(unv, "logs/a") })
	if gone(unv, "keep/b") {
		t.Fatal("keep/b, which no rule selects, is gone")
	}
	// tmp/k: a marker, then its versions noncurrent for 2 days are
	// removed, then the marker left alone.
	waitUntil(t, "every version of tmp/k removed", func() bool {
		for _, r := range listVersions(t, c, ver, 1000) {
			if r.Key == "tmp/k" {
				return false
			}
		}
		return true
	})
	waitUntil(t, "data/k's noncurrent version removed", func() bool {
		n := 0
		for _, r := range listVersions(t, c, ver, 1000) {
			if r.Key == "data/k" {
				n++
			}
		}
		return n == 1
	})
	if out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(ver), Key: aws.String("data/k")}); err != nil {
		t.Fatalf("the current version of data/k: %v", err)
	} else {
		out.Body.Close()
	}
	waitUntil(t, "the old upload aborted", func() bool {
		out, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(ver)})
		return err == nil && len(out.Uploads) == 0
	})
	if _, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(ver), Key: aws.String("tmp/upload"), UploadId: up.UploadId}); err == nil ||
		!strings.Contains(err.Error(), "NoSuchUpload") {
		t.Fatalf("ListParts of the aborted upload: %v", err)
	}
	cli.run(t, "s3api", "delete-bucket-lifecycle", "--bucket", unv)
	if _, err := c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String(unv)}); err == nil ||
		!strings.Contains(err.Error(), "NoSuchLifecycleConfiguration") {
		t.Fatalf("get after delete: %v", err)
	}
}
