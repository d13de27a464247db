package e2e

import (
	"context"
	"maps"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// objectTags reads an object's tags with aws-sdk-go-v2.
func objectTags(t *testing.T, c *s3.Client, bucket, key, version string) map[string]string {
	t.Helper()
	in := &s3.GetObjectTaggingInput{Bucket: &bucket, Key: &key}
	if version != "" {
		in.VersionId = &version
	}
	out, err := c.GetObjectTagging(context.Background(), in)
	if err != nil {
		t.Fatalf("GetObjectTagging %s/%s %s: %v", bucket, key, version, err)
	}
	m := map[string]string{}
	for _, tg := range out.TagSet {
		m[*tg.Key] = *tg.Value
	}
	return m
}

// TestTagging: a real prismd with the root key and bob. Object tags go
// through PUT, copy (COPY and REPLACE), multipart and versions with
// aws-sdk-go-v2 and boto3; HEAD answers the count; bucket tags; InvalidTag;
// a bucket policy lets bob read only the objects tagged public=yes
// (s3:ExistingObjectTag), and everything survives a restart.
func TestTagging(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := filepath.Join(workDir, "tagging")
	cfg := "data_dir = \"data\"\n[[access_key]]\naccess_key = \"" + bobKey + "\"\nsecret_key = \"" + bobSecret + "\"\n"
	env := []string{"PRISMD_ACCESS_KEY=" + rootKey, "PRISMD_SECRET_KEY=" + rootSecret}
	p := start(t, dir, cfg, env)
	root, bob := sdkClient(p, rootKey, rootSecret), sdkClient(p, bobKey, bobSecret)
	b := uniqueBucket("tags")
	if _, err := root.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &b}); err != nil {
		t.Fatal(err)
	}

	// aws-sdk-go-v2: PUT, HEAD's count, copy both ways, multipart.
	if _, err := root.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("open.txt"), Body: strings.NewReader("open"),
		Tagging: aws.String("public=yes&team=blue")}); err != nil {
		t.Fatal(err)
	}
	put(t, root, b, "closed.txt", []byte("closed"))
	head, err := root.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b, Key: aws.String("open.txt")})
	if err != nil || aws.ToInt32(head.TagCount) != 2 {
		t.Fatalf("HEAD tag count: %v %v", head.TagCount, err)
	}
	if _, err := root.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &b, Key: aws.String("copy.txt"), CopySource: aws.String(b + "/open.txt")}); err != nil {
		t.Fatal(err)
	}
	if got := objectTags(t, root, b, "copy.txt", ""); !maps.Equal(got, map[string]string{"public": "yes", "team": "blue"}) {
		t.Fatalf("COPY directive: %v", got)
	}
	if _, err := root.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &b, Key: aws.String("replaced.txt"), CopySource: aws.String(b + "/open.txt"),
		TaggingDirective: types.TaggingDirectiveReplace, Tagging: aws.String("team=red")}); err != nil {
		t.Fatal(err)
	}
	if got := objectTags(t, root, b, "replaced.txt", ""); !maps.Equal(got, map[string]string{"team": "red"}) {
		t.Fatalf("REPLACE directive: %v", got)
	}
	up, err := root.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &b, Key: aws.String("mp.bin"), Tagging: aws.String("kind=multipart")})
	if err != nil {
		t.Fatal(err)
	}
	part, err := root.UploadPart(ctx, &s3.UploadPartInput{Bucket: &b, Key: aws.String("mp.bin"), UploadId: up.UploadId, PartNumber: aws.Int32(1), Body: strings.NewReader("part one")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := root.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &b, Key: aws.String("mp.bin"), UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: part.ETag}}}}); err != nil {
		t.Fatal(err)
	}
	if got := objectTags(t, root, b, "mp.bin", ""); !maps.Equal(got, map[string]string{"kind": "multipart"}) {
		t.Fatalf("multipart: %v", got)
	}
	_, err = root.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: &b, Key: aws.String("closed.txt"),
		Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String(strings.Repeat("k", 129)), Value: aws.String("v")}}}})
	wantCode(t, err, "InvalidTag")
	_, err = root.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("closed.txt"), Body: strings.NewReader("x"),
		Tagging: aws.String("a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&i=9&j=10&k=11")})
	wantCode(t, err, "BadRequest")

	// Bucket tags.
	_, err = root.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: &b})
	wantCode(t, err, "NoSuchTagSet")
	if _, err := root.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: &b, Tagging: &types.Tagging{TagSet: []types.Tag{
		{Key: aws.String("cost-center"), Value: aws.String("42")}}}}); err != nil {
		t.Fatal(err)
	}
	_, err = root.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: &b, Tagging: &types.Tagging{TagSet: []types.Tag{
		{Key: aws.String("aws:cloudformation:stack"), Value: aws.String("x")}}}})
	wantCode(t, err, "InvalidTag")

	// A policy: bob may read the objects tagged public=yes, nothing else.
	policy := `{"Version":"2012-10-17","Statement":[{"Sid":"PublicTagged","Effect":"Allow","Principal":{"AWS":"` + bobKey + `"},
	 "Action":"s3:GetObject","Resource":"arn:aws:s3:::` + b + `/*","Condition":{"StringEquals":{"s3:ExistingObjectTag/public":"yes"}}}]}`
	if _, err := root.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: &b, Policy: &policy}); err != nil {
		t.Fatal(err)
	}
	if got, _ := getBytes(t, bob, &s3.GetObjectInput{Bucket: &b, Key: aws.String("open.txt")}); string(got) != "open" {
		t.Fatalf("bob reads the tagged object: %q", got)
	}
	_, err = bob.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("closed.txt")})
	wantCode(t, err, "AccessDenied")
	_, err = bob.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: &b, Key: aws.String("closed.txt"),
		Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("public"), Value: aws.String("yes")}}}})
	wantCode(t, err, "AccessDenied")
	if _, err := root.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: &b, Key: aws.String("closed.txt"),
		Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("public"), Value: aws.String("yes")}}}}); err != nil {
		t.Fatal(err)
	}
	if got, _ := getBytes(t, bob, &s3.GetObjectInput{Bucket: &b, Key: aws.String("closed.txt")}); string(got) != "closed" {
		t.Fatalf("bob reads the object once tagged: %q", got)
	}
	if _, err := root.DeleteObjectTagging(ctx, &s3.DeleteObjectTaggingInput{Bucket: &b, Key: aws.String("closed.txt")}); err != nil {
		t.Fatal(err)
	}
	_, err = bob.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("closed.txt")})
	wantCode(t, err, "AccessDenied")

	// Versions: each keeps its own tags.
	if _, err := root.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: &b,
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	v1, err := root.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("doc"), Body: strings.NewReader("v1"), Tagging: aws.String("gen=1")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := root.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("doc"), Body: strings.NewReader("v2"), Tagging: aws.String("gen=2")}); err != nil {
		t.Fatal(err)
	}
	pt, err := root.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: &b, Key: aws.String("doc"), VersionId: v1.VersionId,
		Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("gen"), Value: aws.String("first")}}}})
	if err != nil || aws.ToString(pt.VersionId) != aws.ToString(v1.VersionId) {
		t.Fatalf("PutObjectTagging of v1: %v %v", pt, err)
	}

	// boto3, as the root and as bob.
	out := boto3Access(t, p, rootKey, rootSecret, `
B = '`+b+`'
s3.put_object(Bucket=B, Key='boto.txt', Body=b'boto', Tagging='src=boto3&public=yes')
tags = lambda k, **kw: sorted((t['Key'], t['Value']) for t in s3.get_object_tagging(Bucket=B, Key=k, **kw)['TagSet'])
print(tags('boto.txt'))
print(s3.head_object(Bucket=B, Key='boto.txt')['ResponseMetadata']['HTTPHeaders'].get('x-amz-tagging-count'))
s3.copy_object(Bucket=B, Key='boto-copy.txt', CopySource={'Bucket': B, 'Key': 'boto.txt'})
print(tags('boto-copy.txt'))
s3.copy_object(Bucket=B, Key='boto-repl.txt', CopySource={'Bucket': B, 'Key': 'boto.txt'}, TaggingDirective='REPLACE', Tagging='only=this')
print(tags('boto-repl.txt'))
mp = s3.create_multipart_upload(Bucket=B, Key='boto-mp', Tagging='mp=boto')
part = s3.upload_part(Bucket=B, Key='boto-mp', UploadId=mp['UploadId'], PartNumber=1, Body=b'x' * 100)
s3.complete_multipart_upload(Bucket=B, Key='boto-mp', UploadId=mp['UploadId'], MultipartUpload={'Parts': [{'PartNumber': 1, 'ETag': part['ETag']}]})
print(tags('boto-mp'))
vs = [v for v in s3.list_object_versions(Bucket=B, Prefix='doc')['Versions']]
print([tags('doc', VersionId=v['VersionId']) for v in vs])
print(code(lambda: s3.put_object_tagging(Bucket=B, Key='boto.txt', Tagging={'TagSet': [{'Key': 'a', 'Value': '1'}, {'Key': 'a', 'Value': '2'}]})))
print(code(lambda: s3.put_object_tagging(Bucket=B, Key='boto.txt', Tagging={'TagSet': [{'Key': 'aws:x', 'Value': '1'}]})))
print(s3.get_bucket_tagging(Bucket=B)['TagSet'])
`)
	want := strings.Join([]string{
		"[('public', 'yes'), ('src', 'boto3')]",
		"2",
		"[('public', 'yes'), ('src', 'boto3')]",
		"[('only', 'this')]",
		"[('mp', 'boto')]",
		"[[('gen', '2')], [('gen', 'first')]]",
		"InvalidTag",
		"InvalidTag",
		"[{'Key': 'cost-center', 'Value': '42'}]",
	}, "\n")
	if out != want {
		t.Fatalf("boto3 as root:\n%s\nwant\n%s", out, want)
	}
	out = boto3Access(t, p, bobKey, bobSecret, `
B = '`+b+`'
print(s3.get_object(Bucket=B, Key='boto.txt')['Body'].read().decode())
print(code(lambda: s3.get_object(Bucket=B, Key='boto-repl.txt')))
print(code(lambda: s3.get_object_tagging(Bucket=B, Key='boto.txt')))
`)
	if out != "boto\nAccessDenied\nAccessDenied" {
		t.Fatalf("boto3 as bob:\n%s", out)
	}

	// Everything comes back after a restart.
	if err := p.stop(); err != nil {
		t.Fatalf("stop: %v\n%s", err, p.log())
	}
	p = start(t, dir, cfg, env)
	root, bob = sdkClient(p, rootKey, rootSecret), sdkClient(p, bobKey, bobSecret)
	if got := objectTags(t, root, b, "doc", aws.ToString(v1.VersionId)); !maps.Equal(got, map[string]string{"gen": "first"}) {
		t.Fatalf("v1 tags after a restart: %v", got)
	}
	if got := objectTags(t, root, b, "mp.bin", ""); !maps.Equal(got, map[string]string{"kind": "multipart"}) {
		t.Fatalf("multipart tags after a restart: %v", got)
	}
	if bt, err := root.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: &b}); err != nil || len(bt.TagSet) != 1 {
		t.Fatalf("bucket tags after a restart: %+v %v", bt, err)
	}
	if got, _ := getBytes(t, bob, &s3.GetObjectInput{Bucket: &b, Key: aws.String("open.txt")}); string(got) != "open" {
		t.Fatalf("bob reads the tagged object after a restart: %q", got)
	}
	_, err = bob.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("closed.txt")})
	wantCode(t, err, "AccessDenied")
}
