package s3

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func tagDoc(pairs ...string) []byte {
	var b strings.Builder
	b.WriteString("<Tagging><TagSet>")
	for i := 0; i+1 < len(pairs); i += 2 {
		b.WriteString("<Tag><Key>" + pairs[i] + "</Key><Value>" + pairs[i+1] + "</Value></Tag>")
	}
	b.WriteString("</TagSet></Tagging>")
	return []byte(b.String())
}

func manyTags(n int) []string {
	var p []string
	for i := range n {
		p = append(p, "k"+strings.Repeat("x", i), "v")
	}
	return p
}

// wantAPI checks that err is the S3 error code (and message, when given).
func wantAPI(t *testing.T, err error, code, msg string) {
	t.Helper()
	var api *APIError
	if code == "" {
		if err != nil {
			t.Fatalf("unexpected error %v", err)
		}
		return
	}
	if !errors.As(err, &api) || api.Code != code || (msg != "" && api.Message != msg) {
		t.Fatalf("got %v, want %s %q", err, code, msg)
	}
}

// TestParseTagging: the Tagging document and AWS's limits, codes and
// messages.
func TestParseTagging(t *testing.T) {
	for _, tc := range []struct {
		name string
		doc  []byte
		kind tagKind
		want map[string]string
		code string
		msg  string
	}{
		{"one", tagDoc("a", "b"), objectTags, map[string]string{"a": "b"}, "", ""},
		{"empty set", tagDoc(), objectTags, map[string]string{}, "", ""},
		{"namespace", []byte(`<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet><Tag><Key>a</Key><Value></Value></Tag></TagSet></Tagging>`), objectTags, map[string]string{"a": ""}, "", ""},
		{"allowed characters", tagDoc("Ünï cødé 9_.:/=+@-", "välue ١٢٣"), objectTags, map[string]string{"Ünï cødé 9_.:/=+@-": "välue ١٢٣"}, "", ""},
		{"ten", tagDoc(manyTags(10)...), objectTags, nil, "", ""},
		{"eleven", tagDoc(manyTags(11)...), objectTags, nil, "BadRequest", "Object tags cannot be greater than 10"},
		{"fifty on a bucket", tagDoc(manyTags(50)...), bucketTags, nil, "", ""},
		{"fifty-one on a bucket", tagDoc(manyTags(51)...), bucketTags, nil, "BadRequest", "Bucket tag count cannot be greater than 50"},
		{"key 128", tagDoc(strings.Repeat("k", 128), "v"), objectTags, nil, "", ""},
		{"key 128 letters", tagDoc(strings.Repeat("é", 128), "v"), objectTags, nil, "", ""},
		{"key 129", tagDoc(strings.Repeat("k", 129), "v"), objectTags, nil, "InvalidTag", "The TagKey you have provided is too long, max 128"},
		{"value 256", tagDoc("k", strings.Repeat("v", 256)), objectTags, nil, "", ""},
		{"value 257", tagDoc("k", strings.Repeat("v", 257)), objectTags, nil, "InvalidTag", "The TagValue you have provided is too long, max 256"},
		{"empty key", tagDoc("", "v"), objectTags, nil, "InvalidTag", "The TagKey you have provided is invalid"},
		{"bad key character", tagDoc("a*b", "v"), objectTags, nil, "InvalidTag", "The TagKey you have provided is invalid"},
		{"bad value character", tagDoc("k", "a&amp;b"), objectTags, nil, "InvalidTag", "The TagValue you have provided is invalid"},
		{"control character", tagDoc("k", "a&#x9;b"), objectTags, nil, "InvalidTag", "The TagValue you have provided is invalid"},
		{"duplicate", tagDoc("a", "1", "a", "2"), objectTags, nil, "InvalidTag", "Cannot provide multiple Tags with the same key"},
		{"aws prefix", tagDoc("aws:x", "v"), objectTags, nil, "InvalidTag", "Your TagKey cannot be prefixed with aws:"},
		{"AWS prefix", tagDoc("AWS:x", "v"), objectTags, nil, "InvalidTag", "Your TagKey cannot be prefixed with aws:"},
		{"aws prefix on a bucket", tagDoc("aws:x", "v"), bucketTags, nil, "InvalidTag", "System tags cannot be added/updated by requester"},
		{"no TagSet", []byte(`<Tagging></Tagging>`), objectTags, nil, "MalformedXML", ""},
		{"no Value", []byte(`<Tagging><TagSet><Tag><Key>a</Key></Tag></TagSet></Tagging>`), objectTags, nil, "MalformedXML", ""},
		{"no Key", []byte(`<Tagging><TagSet><Tag><Value>a</Value></Tag></TagSet></Tagging>`), objectTags, nil, "MalformedXML", ""},
		{"other root", []byte(`<Tags><TagSet/></Tags>`), objectTags, nil, "MalformedXML", ""},
		{"trailing garbage", append(tagDoc("a", "b"), "<x/>"...), objectTags, nil, "MalformedXML", ""},
		{"empty body", nil, objectTags, nil, "MalformedXML", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseTagging(tc.doc, tc.kind)
			wantAPI(t, err, tc.code, tc.msg)
			if tc.code == "" && tc.want != nil && !maps.Equal(got, tc.want) {
				t.Fatalf("tags %v, want %v", got, tc.want)
			}
		})
	}
}

// TestParseTaggingHeader: x-amz-tagging as AWS decodes and refuses it.
func TestParseTaggingHeader(t *testing.T) {
	header := errTaggingHeader.(*APIError).Message
	for _, tc := range []struct {
		in   string
		want map[string]string
		code string
		msg  string
	}{
		{"a=b&c=d", map[string]string{"a": "b", "c": "d"}, "", ""},
		{"foo=bar&bar", map[string]string{"foo": "bar", "bar": ""}, "", ""},
		{"a+b=c%20d&e%3Af=%2B", map[string]string{"a b": "c d", "e:f": "+"}, "", ""},
		{"", map[string]string{}, "", ""},
		{"a=1&a=2", nil, "InvalidArgument", header},
		{"TagSet=[{Key=string,Value=string}]", nil, "InvalidArgument", header},
		{"a=%zz", nil, "InvalidArgument", header},
		{"TagSet%3D%5B%7BKey%3Dstring%2CValue%3Dstring%7D%5D", nil, "InvalidTag", "The TagKey you have provided is invalid"},
		{strings.Repeat("k=v&", 1) + "aws%3Ax=1", nil, "InvalidTag", "Your TagKey cannot be prefixed with aws:"},
		{"a=1&b=1&c=1&d=1&e=1&f=1&g=1&h=1&i=1&j=1&k=1", nil, "BadRequest", "Object tags cannot be greater than 10"},
		{"k=" + strings.Repeat("v", 257), nil, "InvalidTag", "The TagValue you have provided is too long, max 256"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseTaggingHeader(tc.in)
			wantAPI(t, err, tc.code, tc.msg)
			if tc.code == "" && !maps.Equal(got, tc.want) {
				t.Fatalf("tags %v, want %v", got, tc.want)
			}
		})
	}
	if _, err := requestTags(http.Header{"X-Amz-Tagging": {"a=b", "c=d"}}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("two x-amz-tagging headers: %v", err)
	}
}

// FuzzTaggingXML: any body gives a tag set within AWS's limits that
// round-trips through the canonical document, or an S3 error.
func FuzzTaggingXML(f *testing.F) {
	f.Add(tagDoc("a", "b", "c", ""), false)
	f.Add(tagDoc(manyTags(11)...), true)
	f.Add([]byte(`<Tagging xmlns="x"><TagSet><Tag><Key>aws:a</Key><Value>v</Value></Tag></TagSet></Tagging>`), false)
	f.Add([]byte(`<Tagging><TagSet><Tag><Key>&#xD800;</Key><Value/></Tag></TagSet></Tagging>`), true)
	f.Fuzz(func(t *testing.T, b []byte, bucket bool) {
		kind := objectTags
		if bucket {
			kind = bucketTags
		}
		tags, err := parseTagging(b, kind)
		if err != nil {
			var api *APIError
			if !errors.As(err, &api) {
				t.Fatalf("non-S3 error %v", err)
			}
			return
		}
		checkTagLimits(t, tags, kind)
		doc, err := marshalTagging(tags)
		if err != nil {
			t.Fatal(err)
		}
		back, err := parseTagging(doc, kind)
		if err != nil || !maps.Equal(back, tags) {
			t.Fatalf("canonical document %s reads back as %v, %v", doc, back, err)
		}
	})
}

// FuzzTaggingHeader: any x-amz-tagging value gives tags within AWS's
// limits, or an S3 error.
func FuzzTaggingHeader(f *testing.F) {
	f.Add("a=b&c=d")
	f.Add("foo=bar&bar")
	f.Add("a=1&a=2")
	f.Add("%E2%82%AC=%F0%9F%98%80&x=%")
	f.Fuzz(func(t *testing.T, v string) {
		tags, err := parseTaggingHeader(v)
		if err != nil {
			var api *APIError
			if !errors.As(err, &api) {
				t.Fatalf("non-S3 error %v", err)
			}
			return
		}
		checkTagLimits(t, tags, objectTags)
	})
}

func checkTagLimits(t *testing.T, tags map[string]string, kind tagKind) {
	t.Helper()
	limit := maxObjectTags
	if kind == bucketTags {
		limit = maxBucketTags
	}
	if len(tags) > limit {
		t.Fatalf("%d tags accepted", len(tags))
	}
	for k, v := range tags {
		if k == "" || utf16Len(k) > maxTagKeyLen || utf16Len(v) > maxTagValueLen || !utf8.ValidString(k) || !utf8.ValidString(v) ||
			!validTagText(k) || !validTagText(v) || strings.HasPrefix(strings.ToLower(k), "aws:") {
			t.Fatalf("tag %q=%q accepted", k, v)
		}
	}
}

// TestTaggingSDK: the tagging operations through aws-sdk-go-v2 against a
// real engine: object tags on PUT, copy, multipart and by version, the
// count on GET and HEAD, bucket tags, and the refusals.
func TestTaggingSDK(t *testing.T) {
	_, _, c := newEngineServer(t)
	ctx := context.Background()
	bkt := aws.String("tags")
	if _, err := c.CreateBucket(ctx, &s3sdk.CreateBucketInput{Bucket: bkt}); err != nil {
		t.Fatal(err)
	}
	getTags := func(key, version string) map[string]string {
		t.Helper()
		in := &s3sdk.GetObjectTaggingInput{Bucket: bkt, Key: aws.String(key)}
		if version != "" {
			in.VersionId = aws.String(version)
		}
		out, err := c.GetObjectTagging(ctx, in)
		if err != nil {
			t.Fatalf("get tagging %s: %v", key, err)
		}
		m := map[string]string{}
		for _, tg := range out.TagSet {
			m[*tg.Key] = *tg.Value
		}
		return m
	}
	if _, err := c.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: bkt, Key: aws.String("a"), Body: strings.NewReader("a"), Tagging: aws.String("x=1&y=two+words")}); err != nil {
		t.Fatal(err)
	}
	if got := getTags("a", ""); !maps.Equal(got, map[string]string{"x": "1", "y": "two words"}) {
		t.Fatalf("PUT tags %v", got)
	}
	head, err := c.HeadObject(ctx, &s3sdk.HeadObjectInput{Bucket: bkt, Key: aws.String("a")})
	if err != nil || head.TagCount == nil || *head.TagCount != 2 {
		t.Fatalf("HEAD tag count: %+v %v", head, err)
	}
	get, err := c.GetObject(ctx, &s3sdk.GetObjectInput{Bucket: bkt, Key: aws.String("a")})
	if err != nil || get.TagCount == nil || *get.TagCount != 2 {
		t.Fatalf("GET tag count: %+v %v", get, err)
	}
	get.Body.Close()
	// COPY (the default) keeps the source's tags, REPLACE takes the header's.
	if _, err := c.CopyObject(ctx, &s3sdk.CopyObjectInput{Bucket: bkt, Key: aws.String("copy"), CopySource: aws.String("tags/a")}); err != nil {
		t.Fatal(err)
	}
	if got := getTags("copy", ""); !maps.Equal(got, map[string]string{"x": "1", "y": "two words"}) {
		t.Fatalf("COPY tags %v", got)
	}
	if _, err := c.CopyObject(ctx, &s3sdk.CopyObjectInput{Bucket: bkt, Key: aws.String("replaced"), CopySource: aws.String("tags/a"),
		TaggingDirective: types.TaggingDirectiveReplace, Tagging: aws.String("new=1")}); err != nil {
		t.Fatal(err)
	}
	if got := getTags("replaced", ""); !maps.Equal(got, map[string]string{"new": "1"}) {
		t.Fatalf("REPLACE tags %v", got)
	}
	// Multipart: the tags land at completion.
	up, err := c.CreateMultipartUpload(ctx, &s3sdk.CreateMultipartUploadInput{Bucket: bkt, Key: aws.String("mp"), Tagging: aws.String("mp=yes")})
	if err != nil {
		t.Fatal(err)
	}
	part, err := c.UploadPart(ctx, &s3sdk.UploadPartInput{Bucket: bkt, Key: aws.String("mp"), UploadId: up.UploadId, PartNumber: aws.Int32(1), Body: strings.NewReader("part")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CompleteMultipartUpload(ctx, &s3sdk.CompleteMultipartUploadInput{Bucket: bkt, Key: aws.String("mp"), UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: part.ETag}}}}); err != nil {
		t.Fatal(err)
	}
	if got := getTags("mp", ""); !maps.Equal(got, map[string]string{"mp": "yes"}) {
		t.Fatalf("multipart tags %v", got)
	}
	// Refusals change nothing.
	_, err = c.PutObjectTagging(ctx, &s3sdk.PutObjectTaggingInput{Bucket: bkt, Key: aws.String("a"), Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("aws:x"), Value: aws.String("v")}}}})
	if apiCode(err) != "InvalidTag" {
		t.Fatalf("aws: tag: %v", err)
	}
	_, err = c.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: bkt, Key: aws.String("a"), Body: strings.NewReader("other"), Tagging: aws.String("a=1&a=2")})
	if apiCode(err) != "InvalidArgument" {
		t.Fatalf("duplicate header tags: %v", err)
	}
	if got := getTags("a", ""); !maps.Equal(got, map[string]string{"x": "1", "y": "two words"}) {
		t.Fatalf("tags after refusals %v", got)
	}
	_, err = c.GetObjectTagging(ctx, &s3sdk.GetObjectTaggingInput{Bucket: bkt, Key: aws.String("absent")})
	if apiCode(err) != "NoSuchKey" {
		t.Fatalf("tags of a missing key: %v", err)
	}
	// Delete.
	if _, err := c.DeleteObjectTagging(ctx, &s3sdk.DeleteObjectTaggingInput{Bucket: bkt, Key: aws.String("a")}); err != nil {
		t.Fatal(err)
	}
	if got := getTags("a", ""); len(got) != 0 {
		t.Fatalf("deleted tags %v", got)
	}
	if head, err := c.HeadObject(ctx, &s3sdk.HeadObjectInput{Bucket: bkt, Key: aws.String("a")}); err != nil || head.TagCount != nil {
		t.Fatalf("HEAD of an untagged object: %v %v", head.TagCount, err)
	}

	// Versions.
	if _, err := c.PutBucketVersioning(ctx, &s3sdk.PutBucketVersioningInput{Bucket: bkt, VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	v1, err := c.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: bkt, Key: aws.String("v"), Body: strings.NewReader("1"), Tagging: aws.String("gen=1")})
	if err != nil {
		t.Fatal(err)
	}
	v2, err := c.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: bkt, Key: aws.String("v"), Body: strings.NewReader("2"), Tagging: aws.String("gen=2")})
	if err != nil {
		t.Fatal(err)
	}
	pt, err := c.PutObjectTagging(ctx, &s3sdk.PutObjectTaggingInput{Bucket: bkt, Key: aws.String("v"), VersionId: v1.VersionId,
		Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("gen"), Value: aws.String("one")}}}})
	if err != nil || aws.ToString(pt.VersionId) != *v1.VersionId {
		t.Fatalf("put version tagging: %+v %v", pt, err)
	}
	if got := getTags("v", *v1.VersionId); !maps.Equal(got, map[string]string{"gen": "one"}) {
		t.Fatalf("v1 tags %v", got)
	}
	if got := getTags("v", ""); !maps.Equal(got, map[string]string{"gen": "2"}) {
		t.Fatalf("latest tags %v", got)
	}
	_ = v2
	del, err := c.DeleteObject(ctx, &s3sdk.DeleteObjectInput{Bucket: bkt, Key: aws.String("v")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.PutObjectTagging(ctx, &s3sdk.PutObjectTaggingInput{Bucket: bkt, Key: aws.String("v"), VersionId: del.VersionId,
		Tagging: &types.Tagging{TagSet: []types.Tag{}}})
	if apiCode(err) != "MethodNotAllowed" {
		t.Fatalf("tags of a delete marker: %v", err)
	}
	_, err = c.GetObjectTagging(ctx, &s3sdk.GetObjectTaggingInput{Bucket: bkt, Key: aws.String("v")})
	if apiCode(err) != "NoSuchKey" {
		t.Fatalf("tags behind a delete marker: %v", err)
	}
	_, err = c.GetObjectTagging(ctx, &s3sdk.GetObjectTaggingInput{Bucket: bkt, Key: aws.String("v"), VersionId: aws.String("0000000000abcdef")})
	if apiCode(err) != "NoSuchVersion" {
		t.Fatalf("tags of a missing version: %v", err)
	}

	// Bucket tags.
	_, err = c.GetBucketTagging(ctx, &s3sdk.GetBucketTaggingInput{Bucket: bkt})
	if apiCode(err) != "NoSuchTagSet" {
		t.Fatalf("untagged bucket: %v", err)
	}
	if _, err := c.PutBucketTagging(ctx, &s3sdk.PutBucketTaggingInput{Bucket: bkt, Tagging: &types.Tagging{TagSet: []types.Tag{
		{Key: aws.String("team"), Value: aws.String("blue")}, {Key: aws.String("cost"), Value: aws.String("42")}}}}); err != nil {
		t.Fatal(err)
	}
	bt, err := c.GetBucketTagging(ctx, &s3sdk.GetBucketTaggingInput{Bucket: bkt})
	if err != nil || len(bt.TagSet) != 2 || *bt.TagSet[0].Key != "cost" || *bt.TagSet[1].Value != "blue" {
		t.Fatalf("bucket tags: %+v %v", bt, err)
	}
	var many []types.Tag
	for i := range 51 {
		many = append(many, types.Tag{Key: aws.String(strings.Repeat("k", i+1)), Value: aws.String("v")})
	}
	_, err = c.PutBucketTagging(ctx, &s3sdk.PutBucketTaggingInput{Bucket: bkt, Tagging: &types.Tagging{TagSet: many}})
	if apiCode(err) != "BadRequest" {
		t.Fatalf("51 bucket tags: %v", err)
	}
	if _, err := c.DeleteBucketTagging(ctx, &s3sdk.DeleteBucketTaggingInput{Bucket: bkt}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetBucketTagging(ctx, &s3sdk.GetBucketTaggingInput{Bucket: bkt})
	if apiCode(err) != "NoSuchTagSet" {
		t.Fatalf("after delete: %v", err)
	}
	_, err = c.GetBucketTagging(ctx, &s3sdk.GetBucketTaggingInput{Bucket: aws.String("nobucket")})
	if apiCode(err) != "NoSuchBucket" {
		t.Fatalf("missing bucket: %v", err)
	}
}

// TestPutBucketTaggingNeedsDigest: without Content-MD5 or a checksum
// PutBucketTagging is refused, as AWS refuses it; a wrong Content-MD5
// is BadDigest; neither changes anything.
func TestPutBucketTaggingNeedsDigest(t *testing.T) {
	e := newTestEnv(t)
	e.seed()
	before := e.f.snapshot()
	body := tagDoc("a", "b")
	resp, b := send(t, signedRequest(t, "PUT", e.srv.URL+"/bkt?tagging", body, unsignedPayload, nil))
	if resp.StatusCode != 400 || !strings.Contains(b, "<Code>InvalidRequest</Code>") || !strings.Contains(b, "Content-Md5") {
		t.Fatalf("no digest: %d %s", resp.StatusCode, b)
	}
	resp, b = send(t, signedRequest(t, "PUT", e.srv.URL+"/bkt?tagging", body, unsignedPayload, map[string]string{"Content-MD5": "1B2M2Y8AsgTpgAmY7PhCfg=="}))
	if resp.StatusCode != 400 || !strings.Contains(b, "<Code>BadDigest</Code>") {
		t.Fatalf("wrong digest: %d %s", resp.StatusCode, b)
	}
	e.f.requireUnchanged(t, before)
}
