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
)

// TestPostObjectForm: an HTML form upload as a web page makes it. boto3's
// generate_presigned_post signs a policy; curl -F posts the form with a
// file; aws-sdk-go-v2 reads the object and its metadata back. A file
// outside the policy's content-length-range is EntityTooLarge and stores
// nothing; an unsigned form to a private bucket is AccessDenied.
func TestPostObjectForm(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p, c := rootClient(t)
	bucket := newBucket(t, c, "post")

	out := boto3Access(t, p, rootKey, rootSecret, `
s3 = boto3.client('s3', endpoint_url=os.environ['PRISMD_ENDPOINT'], region_name='us-east-1',
    config=botocore.config.Config(signature_version='s3v4', s3={'addressing_style': 'path'}))
post = s3.generate_presigned_post(
    Bucket=`+pyStr(bucket)+`, Key='uploads/${filename}',
    Fields={'Content-Type': 'text/plain', 'x-amz-meta-color': 'red', 'success_action_status': '201',
            'tagging': '<Tagging><TagSet><Tag><Key>source</Key><Value>form</Value></Tag></TagSet></Tagging>'},
    Conditions=[{'Content-Type': 'text/plain'}, ['starts-with', '$x-amz-meta-color', ''], ['starts-with', '$tagging', ''],
                {'success_action_status': '201'}, ['content-length-range', 1, 1024]],
    ExpiresIn=600)
print(json.dumps(post))
`)
	var post struct {
		URL    string            `json:"url"`
		Fields map[string]string `json:"fields"`
	}
	if err := json.Unmarshal([]byte(out), &post); err != nil {
		t.Fatalf("generate_presigned_post: %v\n%s", err, out)
	}
	if post.Fields["x-amz-signature"] == "" || post.Fields["policy"] == "" {
		t.Fatalf("boto3 made no SigV4 form: %s", out)
	}
	// curl sends the fields in this order, the file last.
	form := func(path string) []string {
		args := []string{"-X", "POST"}
		for _, k := range []string{"key", "Content-Type", "x-amz-meta-color", "success_action_status", "tagging", "x-amz-algorithm", "x-amz-credential", "x-amz-date", "policy", "x-amz-signature"} {
			v, ok := post.Fields[k]
			if !ok {
				t.Fatalf("boto3's form has no %s: %v", k, post.Fields)
			}
			args = append(args, "--form-string", k+"="+v)
		}
		if len(post.Fields) != 10 {
			t.Fatalf("boto3's form has other fields: %v", post.Fields)
		}
		return append(args, "-F", "file=@"+path, post.URL)
	}
	dir := t.TempDir()
	small := filepath.Join(dir, "hello.txt")
	if err := os.WriteFile(small, []byte("hello from a form\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	st, body := curlStatus(t, form(small)...)
	if st != "201" || !strings.Contains(body, "<Key>uploads/hello.txt</Key>") || !strings.Contains(body, "<Bucket>"+bucket+"</Bucket>") {
		t.Fatalf("form upload: %s %s", st, body)
	}
	got, obj := getBytes(t, c, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("uploads/hello.txt")})
	if string(got) != "hello from a form\n" || aws.ToString(obj.ContentType) != "text/plain" || obj.Metadata["color"] != "red" {
		t.Fatalf("read back %q, Content-Type %q, metadata %v", got, aws.ToString(obj.ContentType), obj.Metadata)
	}
	if tg, err := c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: &bucket, Key: aws.String("uploads/hello.txt")}); err != nil ||
		len(tg.TagSet) != 1 || aws.ToString(tg.TagSet[0].Key) != "source" || aws.ToString(tg.TagSet[0].Value) != "form" || aws.ToInt32(obj.TagCount) != 1 {
		t.Fatalf("the form's tags: %+v %v", tg, err)
	}
	if !strings.Contains(body, "<ETag>"+aws.ToString(obj.ETag)+"</ETag>") && !strings.Contains(body, "<ETag>&#34;"+strings.Trim(aws.ToString(obj.ETag), `"`)+"&#34;</ETag>") {
		t.Fatalf("PostResponse ETag differs from the object's %s: %s", aws.ToString(obj.ETag), body)
	}

	large := filepath.Join(dir, "large.txt")
	if err := os.WriteFile(large, []byte(strings.Repeat("x", 2048)), 0o644); err != nil {
		t.Fatal(err)
	}
	st, body = curlStatus(t, form(large)...)
	if st != "400" || !strings.Contains(body, "<Code>EntityTooLarge</Code>") {
		t.Fatalf("a file over the content-length-range: %s %s", st, body)
	}
	_, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String("uploads/large.txt")})
	wantStatus(t, err, 404)

	// No policy, no signature: anonymous, and the bucket is private.
	st, body = curlStatus(t, "-X", "POST", "--form-string", "key=anon.txt", "-F", "file=@"+small, post.URL)
	if st != "403" || !strings.Contains(body, "<Code>AccessDenied</Code>") {
		t.Fatalf("an anonymous form to a private bucket: %s %s", st, body)
	}
}

// pyStr is s as a Python string literal.
func pyStr(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
