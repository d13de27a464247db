package s3

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"html"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/prismd/prismd/engine"
)

const lcBody = `<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ID>logs</ID><Filter><Prefix>logs/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>30</Days></Expiration></Rule></LifecycleConfiguration>`

func lcMD5(body string) map[string]string {
	sum := md5.Sum([]byte(body))
	return map[string]string{"Content-MD5": base64.StdEncoding.EncodeToString(sum[:])}
}

// TestLifecycleSDKRoundTrip: Put, Get and Delete with aws-sdk-go-v2 on a
// real engine; Get before Put and after Delete is
// NoSuchLifecycleConfiguration, and on a missing bucket NoSuchBucket.
func TestLifecycleSDKRoundTrip(t *testing.T) {
	e, _, c := newEngineServer(t)
	ctx := context.Background()
	if err := e.CreateBucket(ctx, "lcb", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetBucketLifecycleConfiguration(ctx, &s3sdk.GetBucketLifecycleConfigurationInput{Bucket: aws.String("lcb")}); apiCode(err) != "NoSuchLifecycleConfiguration" {
		t.Fatalf("get before put: %v", err)
	}
	_, err := c.PutBucketLifecycleConfiguration(ctx, &s3sdk.PutBucketLifecycleConfigurationInput{Bucket: aws.String("lcb"),
		LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: []types.LifecycleRule{
			{ID: aws.String("logs"), Status: types.ExpirationStatusEnabled,
				Filter:     &types.LifecycleRuleFilter{Prefix: aws.String("logs/")},
				Expiration: &types.LifecycleExpiration{Days: aws.Int32(3)}},
			{ID: aws.String("nc"), Status: types.ExpirationStatusDisabled,
				Filter: &types.LifecycleRuleFilter{And: &types.LifecycleRuleAndOperator{Prefix: aws.String("v/"),
					Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("1")}}, ObjectSizeGreaterThan: aws.Int64(10)}},
				NoncurrentVersionExpiration: &types.NoncurrentVersionExpiration{NoncurrentDays: aws.Int32(2), NewerNoncurrentVersions: aws.Int32(1)}},
			{ID: aws.String("mp"), Status: types.ExpirationStatusEnabled, Filter: &types.LifecycleRuleFilter{},
				AbortIncompleteMultipartUpload: &types.AbortIncompleteMultipartUpload{DaysAfterInitiation: aws.Int32(7)}},
		}}})
	if err != nil {
		t.Fatalf("put: %v", err)
	}
	out, err := c.GetBucketLifecycleConfiguration(ctx, &s3sdk.GetBucketLifecycleConfigurationInput{Bucket: aws.String("lcb")})
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	if len(out.Rules) != 3 {
		t.Fatalf("rules %+v", out.Rules)
	}
	if out.TransitionDefaultMinimumObjectSize != types.TransitionDefaultMinimumObjectSizeAllStorageClasses128k {
		t.Errorf("TransitionDefaultMinimumObjectSize %q", out.TransitionDefaultMinimumObjectSize)
	}
	r0, r1, r2 := out.Rules[0], out.Rules[1], out.Rules[2]
	if aws.ToString(r0.ID) != "logs" || r0.Status != types.ExpirationStatusEnabled || aws.ToString(r0.Filter.Prefix) != "logs/" || aws.ToInt32(r0.Expiration.Days) != 3 {
		t.Errorf("rule 0: %+v", r0)
	}
	if r1.Status != types.ExpirationStatusDisabled || r1.Filter.And == nil || aws.ToInt64(r1.Filter.And.ObjectSizeGreaterThan) != 10 ||
		len(r1.Filter.And.Tags) != 1 || aws.ToInt32(r1.NoncurrentVersionExpiration.NewerNoncurrentVersions) != 1 {
		t.Errorf("rule 1: %+v", r1)
	}
	if r2.AbortIncompleteMultipartUpload == nil || aws.ToInt32(r2.AbortIncompleteMultipartUpload.DaysAfterInitiation) != 7 {
		t.Errorf("rule 2: %+v", r2)
	}
	if _, err := c.DeleteBucketLifecycle(ctx, &s3sdk.DeleteBucketLifecycleInput{Bucket: aws.String("lcb")}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := c.GetBucketLifecycleConfiguration(ctx, &s3sdk.GetBucketLifecycleConfigurationInput{Bucket: aws.String("lcb")}); apiCode(err) != "NoSuchLifecycleConfiguration" {
		t.Fatalf("get after delete: %v", err)
	}
	if _, err := c.GetBucketLifecycleConfiguration(ctx, &s3sdk.GetBucketLifecycleConfigurationInput{Bucket: aws.String("nope")}); apiCode(err) != "NoSuchBucket" {
		t.Fatalf("get on a missing bucket: %v", err)
	}
}

// TestLifecycleRequests: the raw answers — integrity required, validation
// errors with AWS's codes, unsigned and foreign callers refused, and the
// stored document unchanged by every refused PUT.
func TestLifecycleRequests(t *testing.T) {
	e, srv, _ := newEngineServer(t)
	ctx := context.Background()
	if err := e.CreateBucket(ctx, "lcb", ""); err != nil {
		t.Fatal(err)
	}
	if err := e.CreateAccessKey(ctx, engine.AccessKey{AccessKey: "AKOTHER", Secret: "other-secret"}); err != nil {
		t.Fatal(err)
	}
	do := func(method, body string, hdr map[string]string) (*http.Response, string) {
		return send(t, signedRequest(t, method, srv.URL+"/lcb?lifecycle", []byte(body), unsignedPayload, hdr))
	}
	if resp, body := do("PUT", lcBody, lcMD5(lcBody)); resp.StatusCode != 200 {
		t.Fatalf("put with Content-MD5: %d %s", resp.StatusCode, body)
	}
	resp, got := do("GET", "", nil)
	if resp.StatusCode != 200 || !strings.Contains(got, "<ID>logs</ID>") || !strings.Contains(got, "<Days>30</Days>") ||
		resp.Header.Get("Content-Type") != "application/xml" || resp.Header.Get(transitionMinSizeHeader) != transitionMinSize {
		t.Fatalf("get: %d %q %s", resp.StatusCode, resp.Header.Get("Content-Type"), got)
	}
	bad := func(body string) string { return rule30(body) }
	cases := []struct {
		name, body string
		hdr        map[string]string
		status     int
		code, msg  string
	}{
		{"no Content-MD5", lcBody, nil, 400, "InvalidRequest", "Missing required header for this request: Content-Md5."},
		{"wrong Content-MD5", lcBody, lcMD5("other"), 400, "BadDigest", ""},
		{"malformed", "<LifecycleConfiguration><Rule>", nil, 400, "MalformedXML", ""},
		{"zero days", bad(`<Filter/><Status>Enabled</Status><Expiration><Days>0</Days></Expiration>`), nil, 400, "InvalidArgument", "'Days' for Expiration action must be a positive integer"},
		{"no action", bad(`<Filter/><Status>Enabled</Status>`), nil, 400, "InvalidRequest", "At least one action needs to be specified in a rule"},
		{"long id", bad(`<ID>` + strings.Repeat("x", 256) + `</ID><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration>`), nil, 400, "InvalidArgument", "ID length should not exceed allowed limit of 255"},
		{"date not midnight", bad(`<Filter/><Status>Enabled</Status><Expiration><Date>2027-01-01T12:00:00Z</Date></Expiration>`), nil, 400, "InvalidArgument", "'Date' must be at midnight GMT"},
		{"transition", bad(`<Filter/><Status>Enabled</Status><Transition><Days>1</Days><StorageClass>GLACIER</StorageClass></Transition>`), nil, 501, "NotImplemented", ""},
	}
	for _, c := range cases {
		hdr := c.hdr
		if hdr == nil && c.name != "no Content-MD5" {
			hdr = lcMD5(c.body)
		}
		resp, body := do("PUT", c.body, hdr)
		if resp.StatusCode != c.status || !strings.Contains(body, "<Code>"+c.code+"</Code>") || !strings.Contains(html.UnescapeString(body), c.msg) {
			t.Errorf("%s: %d %s, want %d %s %q", c.name, resp.StatusCode, body, c.status, c.code, c.msg)
		}
	}
	// An x-amz-checksum header is as good as Content-MD5.
	sum := crc32b64([]byte(lcBody))
	if resp, body := do("PUT", lcBody, map[string]string{"X-Amz-Checksum-Crc32": sum}); resp.StatusCode != 200 {
		t.Fatalf("put with x-amz-checksum-crc32: %d %s", resp.StatusCode, body)
	}
	// Unsigned and foreign callers.
	req, _ := http.NewRequest("GET", srv.URL+"/lcb?lifecycle", nil)
	if resp, body := send(t, req); resp.StatusCode != 403 || !strings.Contains(body, "AccessDenied") {
		t.Errorf("anonymous get: %d %s", resp.StatusCode, body)
	}
	req, _ = http.NewRequest("PUT", srv.URL+"/lcb?lifecycle", strings.NewReader(lcBody))
	for k, v := range lcMD5(lcBody) {
		req.Header.Set(k, v)
	}
	if resp, body := send(t, req); resp.StatusCode != 403 || !strings.Contains(body, "AccessDenied") {
		t.Errorf("anonymous put: %d %s", resp.StatusCode, body)
	}
	if err := e.CreateAccessKey(ctx, engine.AccessKey{AccessKey: "AKREADER", Secret: "reader-secret", ReadOnly: true, Buckets: []string{"lcb"}}); err != nil {
		t.Fatal(err)
	}
	for _, method := range []string{"PUT", "DELETE"} {
		req := signedRequestAs(t, method, srv.URL+"/lcb?lifecycle", []byte(lcBody), "AKREADER", "reader-secret", lcMD5(lcBody))
		if resp, body := send(t, req); resp.StatusCode != 403 || !strings.Contains(body, "AccessDenied") {
			t.Errorf("%s by a read-only key: %d %s", method, resp.StatusCode, body)
		}
	}
	for _, method := range []string{"GET", "PUT", "DELETE"} {
		req := signedRequestAs(t, method, srv.URL+"/lcb?lifecycle", []byte(lcBody), "AKOTHER", "other-secret", lcMD5(lcBody))
		if resp, body := send(t, req); resp.StatusCode != 403 || !strings.Contains(body, "AccessDenied") {
			t.Errorf("%s by another key: %d %s", method, resp.StatusCode, body)
		}
	}
	// A body larger than any configuration is refused, not stored.
	huge := strings.Repeat(" ", maxLifecycleBody+1)
	if resp, body := do("PUT", huge, lcMD5(huge)); resp.StatusCode < 400 || resp.StatusCode >= 500 {
		t.Errorf("oversized put: %d %s", resp.StatusCode, body)
	}
	if resp, _ := do("GET", "", nil); resp.StatusCode != 200 {
		t.Fatal("the configuration is gone after refused requests")
	}
	if resp, body := do("DELETE", "", nil); resp.StatusCode != 204 {
		t.Fatalf("delete: %d %s", resp.StatusCode, body)
	}
	if resp, body := do("GET", "", nil); resp.StatusCode != 404 || !strings.Contains(body, "NoSuchLifecycleConfiguration") {
		t.Fatalf("get after delete: %d %s", resp.StatusCode, body)
	}
	resp, body := send(t, signedRequest(t, "PUT", srv.URL+"/nope?lifecycle", []byte(lcBody), unsignedPayload, lcMD5(lcBody)))
	if resp.StatusCode != 404 || !strings.Contains(body, "NoSuchBucket") {
		t.Fatalf("put on a missing bucket: %d %s", resp.StatusCode, body)
	}
}

func rule30(body string) string {
	return `<LifecycleConfiguration><Rule>` + body + `</Rule></LifecycleConfiguration>`
}

// signedRequestAs is signedRequest with another key.
func signedRequestAs(t *testing.T, method, url string, body []byte, key, secret string, hdr map[string]string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	req.Header.Set("X-Amz-Content-Sha256", unsignedPayload)
	creds := aws.Credentials{AccessKeyID: key, SecretAccessKey: secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, unsignedPayload, "s3", testRegion, time.Now(),
		func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }); err != nil {
		t.Fatal(err)
	}
	return req
}
