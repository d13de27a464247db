package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// versionRow is one entry of ListObjectVersions, comparable.
type versionRow struct {
	Key, VersionID, ETag string
	Size                 int64
	Latest, Marker       bool
}

// listVersions lists every version of b, max entries a page, following
// NextKeyMarker / NextVersionIdMarker.
func listVersions(t *testing.T, c *s3.Client, b string, max int32) []versionRow {
	t.Helper()
	var rows []versionRow
	in := &s3.ListObjectVersionsInput{Bucket: &b, MaxKeys: aws.Int32(max)}
	for range 10000 {
		out, err := c.ListObjectVersions(context.Background(), in)
		if err != nil {
			t.Fatalf("ListObjectVersions: %v", err)
		}
		if n := len(out.Versions) + len(out.DeleteMarkers); n > int(max) {
			t.Fatalf("page of %d, max %d", n, max)
		}
		// The SDK splits Version and DeleteMarker elements; within a key
		// their order is by version, newest first: rebuild it.
		var page []versionRow
		for _, v := range out.Versions {
			page = append(page, versionRow{Key: *v.Key, VersionID: *v.VersionId, ETag: *v.ETag, Size: *v.Size, Latest: *v.IsLatest})
		}
		for _, m := range out.DeleteMarkers {
			page = append(page, versionRow{Key: *m.Key, VersionID: *m.VersionId, Latest: *m.IsLatest, Marker: true})
		}
		sortVersionRows(page)
		rows = append(rows, page...)
		if !aws.ToBool(out.IsTruncated) {
			return rows
		}
		in.KeyMarker, in.VersionIdMarker = out.NextKeyMarker, out.NextVersionIdMarker
	}
	t.Fatal("listing never ends")
	return nil
}

// sortVersionRows orders by key, then version id descending, "null" last
// (where it is before suspension: compare listings of one page size only
// once a suspended bucket wrote a newer null version).
func sortVersionRows(rows []versionRow) {
	rank := func(id string) string {
		if id == "null" {
			return ""
		}
		return id
	}
	for i := 1; i < len(rows); i++ {
		for j := i; j > 0; j-- {
			a, b := rows[j-1], rows[j]
			if a.Key < b.Key || (a.Key == b.Key && rank(a.VersionID) > rank(b.VersionID)) {
				break
			}
			rows[j-1], rows[j] = b, a
		}
	}
}

func getVersion(t *testing.T, c *s3.Client, b, k, id string) []byte {
	t.Helper()
	in := &s3.GetObjectInput{Bucket: &b, Key: &k}
	if id != "" {
		in.VersionId = &id
	}
	body, out := getBytes(t, c, in)
	// A bucket that was never versioned reports no version id.
	if got := aws.ToString(out.VersionId); id != "" && got != id && (id != "null" || got != "") {
		t.Fatalf("GET of version %s answered version %s", id, aws.ToString(out.VersionId))
	}
	return body
}

func putVersion(t *testing.T, c *s3.Client, b, k string, body []byte) string {
	t.Helper()
	out, err := c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: &b, Key: &k, Body: bytes.NewReader(body)})
	if err != nil {
		t.Fatalf("PutObject %s: %v", k, err)
	}
	return aws.ToString(out.VersionId)
}

// TestVersionsSDK takes a versioned bucket through overwrites, deletes,
// delete markers, copies of old versions and suspension with
// aws-sdk-go-v2, restarts prismd and checks ListObjectVersions is the same.
func TestVersionsSDK(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(workDir, "versions")
	env := []string{"PRISMD_ACCESS_KEY=" + rootKey, "PRISMD_SECRET_KEY=" + rootSecret}
	cfg := `data_dir = "data"`
	p := start(t, dir, cfg, env)
	c := sdkClient(p, rootKey, rootSecret)
	ctx := context.Background()
	b := "versions"
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &b}); err != nil {
		t.Fatal(err)
	}

	// Unversioned: no status, objects listed as null versions.
	vc, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: &b})
	if err != nil || vc.Status != "" {
		t.Fatalf("GetBucketVersioning of a new bucket: %+v %v", vc, err)
	}
	body0 := []byte("written before versioning")
	if id := putVersion(t, c, b, "k", body0); id != "" {
		t.Fatalf("PUT to an unversioned bucket answered version %q", id)
	}
	if rows := listVersions(t, c, b, 1000); len(rows) != 1 || rows[0].VersionID != "null" || !rows[0].Latest {
		t.Fatalf("versions of an unversioned bucket: %+v", rows)
	}
	if got := getVersion(t, c, b, "k", "null"); !bytes.Equal(got, body0) {
		t.Fatal("GET ?versionId=null")
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("k"), VersionId: aws.String("00000000000000ff")})
	wantCode(t, err, "NoSuchVersion")
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("k"), VersionId: aws.String("not-a-version")})
	wantCode(t, err, "InvalidArgument")

	// Enabled: every PUT is a new version.
	if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: &b,
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	if vc, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: &b}); err != nil || vc.Status != types.BucketVersioningStatusEnabled {
		t.Fatalf("GetBucketVersioning: %+v %v", vc, err)
	}
	bodies := map[string][]byte{"null": body0}
	var ids []string
	for i := range 3 {
		body := []byte(fmt.Sprintf("version %d of k", i+1))
		id := putVersion(t, c, b, "k", body)
		if id == "" || bodies[id] != nil {
			t.Fatalf("PUT %d answered version %q", i, id)
		}
		bodies[id] = body
		ids = append(ids, id)
	}
	for id, body := range bodies {
		if got := getVersion(t, c, b, "k", id); !bytes.Equal(got, body) {
			t.Fatalf("version %s: %q, want %q", id, got, body)
		}
	}
	if got := getVersion(t, c, b, "k", ""); !bytes.Equal(got, bodies[ids[2]]) {
		t.Fatal("GET without a version is not the newest")
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b, Key: aws.String("k"), VersionId: &ids[0]})
	if err != nil || aws.ToString(head.VersionId) != ids[0] || *head.ContentLength != int64(len(bodies[ids[0]])) {
		t.Fatalf("HEAD of an old version: %+v %v", head, err)
	}

	// A DELETE writes a marker: the key is gone but its versions are not.
	del, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &b, Key: aws.String("k")})
	if err != nil || !aws.ToBool(del.DeleteMarker) || aws.ToString(del.VersionId) == "" {
		t.Fatalf("DELETE: %+v %v", del, err)
	}
	marker := *del.VersionId
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("k")})
	wantCode(t, err, "NoSuchKey")
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.Response.Header.Get("x-amz-delete-marker") != "true" || re.Response.Header.Get("x-amz-version-id") != marker {
		t.Fatalf("GET of a deleted key: headers %v", re.Response.Header)
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("k"), VersionId: &marker})
	wantCode(t, err, "MethodNotAllowed")
	wantStatus(t, err, 405)
	if lo, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &b}); err != nil || len(lo.Contents) != 0 {
		t.Fatalf("ListObjectsV2 shows a deleted key: %+v %v", lo, err)
	}
	if got := getVersion(t, c, b, "k", ids[1]); !bytes.Equal(got, bodies[ids[1]]) {
		t.Fatal("old version unreadable behind a delete marker")
	}

	// Copy an old version, from CopyObject and UploadPartCopy.
	cp, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &b, Key: aws.String("copy"), CopySource: aws.String(b + "/k?versionId=" + ids[0])})
	if err != nil || aws.ToString(cp.CopySourceVersionId) != ids[0] || aws.ToString(cp.VersionId) == "" {
		t.Fatalf("CopyObject of an old version: %+v %v", cp, err)
	}
	if got := getVersion(t, c, b, "copy", ""); !bytes.Equal(got, bodies[ids[0]]) {
		t.Fatalf("copy of version 1: %q", got)
	}
	// A copy of the latest version names the version it copied too, as AWS does.
	cl, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &b, Key: aws.String("copy-latest"), CopySource: aws.String(b + "/copy")})
	if err != nil || aws.ToString(cl.CopySourceVersionId) != aws.ToString(cp.VersionId) {
		t.Fatalf("CopyObject of the latest version: source version %q, want %q (%v)", aws.ToString(cl.CopySourceVersionId), aws.ToString(cp.VersionId), err)
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &b, Key: aws.String("copy-latest"), VersionId: cl.VersionId}); err != nil {
		t.Fatal(err)
	}
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &b, Key: aws.String("copy2"), CopySource: aws.String(b + "/k?versionId=" + marker)})
	wantCode(t, err, "InvalidRequest")
	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &b, Key: aws.String("mp")})
	if err != nil {
		t.Fatal(err)
	}
	pc, err := c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: &b, Key: aws.String("mp"), UploadId: up.UploadId, PartNumber: aws.Int32(1),
		CopySource: aws.String(b + "/k?versionId=" + ids[1])})
	if err != nil || aws.ToString(pc.CopySourceVersionId) != ids[1] {
		t.Fatalf("UploadPartCopy of an old version: %+v %v", pc, err)
	}
	done, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &b, Key: aws.String("mp"), UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: pc.CopyPartResult.ETag}}}})
	if err != nil || aws.ToString(done.VersionId) == "" {
		t.Fatalf("CompleteMultipartUpload: %+v %v", done, err)
	}
	if got := getVersion(t, c, b, "mp", *done.VersionId); !bytes.Equal(got, bodies[ids[1]]) {
		t.Fatalf("multipart copy of version 2: %q", got)
	}

	// DeleteObjects with and without version ids.
	dm, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: &b, Delete: &types.Delete{Objects: []types.ObjectIdentifier{
		{Key: aws.String("k"), VersionId: &ids[1]}, {Key: aws.String("mp")}, {Key: aws.String("mp"), VersionId: aws.String("0000000000000fff")}}}})
	if err != nil || len(dm.Deleted) != 3 || len(dm.Errors) != 0 {
		t.Fatalf("DeleteObjects: %+v %v", dm, err)
	}
	for _, d := range dm.Deleted {
		switch {
		case *d.Key == "k" && (aws.ToString(d.VersionId) != ids[1] || aws.ToBool(d.DeleteMarker)):
			t.Fatalf("deleted version: %+v", d)
		case *d.Key == "mp" && d.VersionId == nil && (!aws.ToBool(d.DeleteMarker) || aws.ToString(d.DeleteMarkerVersionId) == ""):
			t.Fatalf("deleted key: %+v", d)
		}
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("k"), VersionId: &ids[1]})
	wantCode(t, err, "NoSuchVersion")

	// Pages of 1 and 2 give the same listing as one page.
	all := listVersions(t, c, b, 1000)
	for _, max := range []int32{1, 2} {
		if got := listVersions(t, c, b, max); !reflect.DeepEqual(got, all) {
			t.Fatalf("pages of %d:\n%+v\nwant\n%+v", max, got, all)
		}
	}
	latest := 0
	for _, r := range all {
		if r.Latest {
			latest++
		}
	}
	if len(all) != 7 || latest != 3 || !all[1].Marker || all[1].Key != "k" || !all[1].Latest {
		t.Fatalf("versions: %+v", all)
	}

	// Suspended: PUTs overwrite the null version.
	if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: &b,
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusSuspended}}); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if id := putVersion(t, c, b, "k", []byte(fmt.Sprintf("suspended %d", i))); id != "null" {
			t.Fatalf("PUT to a suspended bucket answered version %q", id)
		}
	}
	nulls := 0
	for _, r := range listVersions(t, c, b, 1000) {
		if r.Key == "k" && r.VersionID == "null" {
			nulls++
		}
	}
	if nulls != 1 || string(getVersion(t, c, b, "k", "null")) != "suspended 1" {
		t.Fatalf("%d null versions after two suspended PUTs", nulls)
	}

	// A restart replays the log into the same versions.
	before := listVersions(t, c, b, 1000)
	if err := p.stop(); err != nil {
		t.Fatal(err)
	}
	p = start(t, dir, cfg, env)
	c = sdkClient(p, rootKey, rootSecret)
	if after := listVersions(t, c, b, 1000); !reflect.DeepEqual(after, before) {
		t.Fatalf("after a restart:\n%+v\nwant\n%+v", after, before)
	}
	if vc, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: &b}); err != nil || vc.Status != types.BucketVersioningStatusSuspended {
		t.Fatalf("GetBucketVersioning after a restart: %+v %v", vc, err)
	}

	// A bucket holding only versions and markers is not empty.
	for _, r := range before {
		if r.Latest && !r.Marker {
			if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &b, Key: &r.Key}); err != nil {
				t.Fatal(err)
			}
		}
	}
	_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: &b})
	wantCode(t, err, "BucketNotEmpty")
	for _, r := range listVersions(t, c, b, 1000) {
		if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &b, Key: &r.Key, VersionId: &r.VersionID}); err != nil {
			t.Fatalf("delete %s@%s: %v", r.Key, r.VersionID, err)
		}
	}
	if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: &b}); err != nil {
		t.Fatalf("DeleteBucket of the emptied bucket: %v", err)
	}
}

// TestVersionsRace has two clients race PUTs and DELETEs on one key of a
// versioned bucket: every acknowledged version is listed, exactly one is
// the latest.
func TestVersionsRace(t *testing.T) {
	t.Parallel()
	p, c := rootClient(t)
	c2 := sdkClient(p, rootKey, rootSecret)
	ctx := context.Background()
	b := newBucket(t, c, "vrace")
	t.Cleanup(func() { deleteAllVersions(t, c, b) })
	if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: &b,
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	acked := map[string]bool{}
	var wg sync.WaitGroup
	for w, cl := range []*s3.Client{c, c2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 15 {
				var id string
				marker := (w+i)%3 == 0
				if marker {
					out, err := cl.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &b, Key: aws.String("k")})
					if err != nil {
						t.Error(err)
						return
					}
					id = aws.ToString(out.VersionId)
				} else {
					out, err := cl.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("k"), Body: strings.NewReader(fmt.Sprint(w, i))})
					if err != nil {
						t.Error(err)
						return
					}
					id = aws.ToString(out.VersionId)
				}
				mu.Lock()
				acked[id] = marker
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	rows := listVersions(t, c, b, 7)
	latest := 0
	for _, r := range rows {
		if m, ok := acked[r.VersionID]; !ok || m != r.Marker {
			t.Fatalf("listed %+v was not acknowledged so", r)
		}
		if r.Latest {
			latest++
		}
	}
	if len(rows) != 30 || len(acked) != 30 || latest != 1 || !rows[0].Latest {
		t.Fatalf("%d listed, %d acknowledged, %d latest: %+v", len(rows), len(acked), latest, rows)
	}
}

// deleteAllVersions removes every version and marker, so that newBucket's
// cleanup can delete the bucket.
func deleteAllVersions(t *testing.T, c *s3.Client, b string) {
	for _, r := range listVersions(t, c, b, 1000) {
		c.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: &b, Key: &r.Key, VersionId: &r.VersionID})
	}
}

// TestVersionsAWSCLI drives versioning with `aws s3api` as a user would.
func TestVersionsAWSCLI(t *testing.T) {
	t.Parallel()
	p, c := rootClient(t)
	if _, err := os.Stat("/usr/bin/aws"); err != nil {
		t.Fatalf("/usr/bin/aws (Debian package awscli) is not installed; `make test` installs it: %v", err)
	}
	cli := awsCLI{bin: "/usr/bin/aws", endpoint: p.Endpoint, env: clientEnv(t)}
	b := uniqueBucket("vcli")
	cli.mb(t, b)
	t.Cleanup(func() {
		deleteAllVersions(t, c, b)
		c.DeleteBucket(context.Background(), &s3.DeleteBucketInput{Bucket: &b})
	})
	cli.run(t, "s3api", "put-bucket-versioning", "--bucket", b, "--versioning-configuration", "Status=Enabled")
	var vc struct{ Status string }
	if err := json.Unmarshal([]byte(cli.run(t, "s3api", "get-bucket-versioning", "--bucket", b)), &vc); err != nil || vc.Status != "Enabled" {
		t.Fatalf("get-bucket-versioning: %+v %v", vc, err)
	}
	src := filepath.Join(t.TempDir(), "body")
	var ids []string
	for i := range 3 {
		os.WriteFile(src, []byte(fmt.Sprintf("cli version %d", i)), 0o644)
		var out struct{ VersionId string }
		if err := json.Unmarshal([]byte(cli.run(t, "s3api", "put-object", "--bucket", b, "--key", "doc", "--body", src)), &out); err != nil || out.VersionId == "" {
			t.Fatalf("put-object: %+v %v", out, err)
		}
		ids = append(ids, out.VersionId)
	}
	cli.run(t, "s3api", "delete-object", "--bucket", b, "--key", "doc")
	dst := filepath.Join(t.TempDir(), "got")
	cli.run(t, "s3api", "get-object", "--bucket", b, "--key", "doc", "--version-id", ids[0], dst)
	if got, _ := os.ReadFile(dst); string(got) != "cli version 0" {
		t.Fatalf("get-object --version-id: %q", got)
	}
	// The CLI follows the markers itself, one entry a page.
	var lv struct {
		Versions      []struct{ VersionId string }
		DeleteMarkers []struct{ VersionId string }
	}
	out := cli.run(t, "s3api", "list-object-versions", "--bucket", b, "--page-size", "1")
	if err := json.Unmarshal([]byte(out), &lv); err != nil || len(lv.Versions) != 3 || len(lv.DeleteMarkers) != 1 {
		t.Fatalf("list-object-versions: %v\n%s", err, out)
	}
	if ls := cli.ls(t, b); strings.Contains(ls, "doc") {
		t.Fatalf("aws s3 ls shows a deleted key:\n%s", ls)
	}
}
