package s3

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/prismd/prismd/engine"
)

// rawLock sends a signed request and returns the status and body.
func rawLock(t *testing.T, method, url string, body []byte, hdr map[string]string) (int, string, http.Header) {
	t.Helper()
	sum := sha256.Sum256(body)
	resp, err := http.DefaultClient.Do(signedRequest(t, method, url, body, hex.EncodeToString(sum[:]), hdr))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func contentMD5(b []byte) string {
	s := md5.Sum(b)
	return base64.StdEncoding.EncodeToString(s[:])
}

func TestObjectLockAPI(t *testing.T) {
	e, srv, c := newEngineServer(t)
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3sdk.CreateBucketInput{Bucket: aws.String("vault"), ObjectLockEnabledForBucket: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	if v, err := c.GetBucketVersioning(ctx, &s3sdk.GetBucketVersioningInput{Bucket: aws.String("vault")}); err != nil || v.Status != types.BucketVersioningStatusEnabled {
		t.Fatalf("versioning %+v %v", v, err)
	}
	_, err := c.PutBucketVersioning(ctx, &s3sdk.PutBucketVersioningInput{Bucket: aws.String("vault"),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusSuspended}})
	if apiCode(err) != "InvalidBucketState" {
		t.Fatalf("suspend: %v", err)
	}
	cfg, err := c.GetObjectLockConfiguration(ctx, &s3sdk.GetObjectLockConfigurationInput{Bucket: aws.String("vault")})
	if err != nil || cfg.ObjectLockConfiguration.ObjectLockEnabled != types.ObjectLockEnabledEnabled || cfg.ObjectLockConfiguration.Rule != nil {
		t.Fatalf("config %+v %v", cfg, err)
	}
	if _, err := c.PutObjectLockConfiguration(ctx, &s3sdk.PutObjectLockConfigurationInput{Bucket: aws.String("vault"),
		ObjectLockConfiguration: &types.ObjectLockConfiguration{ObjectLockEnabled: types.ObjectLockEnabledEnabled,
			Rule: &types.ObjectLockRule{DefaultRetention: &types.DefaultRetention{Mode: types.ObjectLockRetentionModeGovernance, Days: aws.Int32(3)}}}}); err != nil {
		t.Fatal(err)
	}
	cfg, err = c.GetObjectLockConfiguration(ctx, &s3sdk.GetObjectLockConfigurationInput{Bucket: aws.String("vault")})
	if err != nil || cfg.ObjectLockConfiguration.Rule.DefaultRetention.Mode != types.ObjectLockRetentionModeGovernance ||
		aws.ToInt32(cfg.ObjectLockConfiguration.Rule.DefaultRetention.Days) != 3 || cfg.ObjectLockConfiguration.Rule.DefaultRetention.Years != nil {
		t.Fatalf("config %+v %v", cfg, err)
	}

	// A PUT gets the default retention: it must carry a digest.
	body := []byte("ledger")
	_, err = c.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: aws.String("vault"), Key: aws.String("k"), Body: bytes.NewReader(body)})
	if apiCode(err) != "InvalidRequest" {
		t.Fatalf("put without digest: %v", err)
	}
	put, err := c.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: aws.String("vault"), Key: aws.String("k"), Body: bytes.NewReader(body),
		ContentMD5: aws.String(contentMD5(body))})
	if err != nil {
		t.Fatal(err)
	}
	head, err := c.HeadObject(ctx, &s3sdk.HeadObjectInput{Bucket: aws.String("vault"), Key: aws.String("k")})
	if err != nil || head.ObjectLockMode != types.ObjectLockModeGovernance || head.ObjectLockRetainUntilDate == nil ||
		head.ObjectLockRetainUntilDate.Before(time.Now().Add(71*time.Hour)) {
		t.Fatalf("head %+v %v", head, err)
	}

	// Explicit COMPLIANCE with a legal hold.
	until := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	comp, err := c.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: aws.String("vault"), Key: aws.String("c"), Body: bytes.NewReader(body),
		ChecksumAlgorithm: types.ChecksumAlgorithmCrc32, ObjectLockMode: types.ObjectLockModeCompliance, ObjectLockRetainUntilDate: &until,
		ObjectLockLegalHoldStatus: types.ObjectLockLegalHoldStatusOn})
	if err != nil {
		t.Fatal(err)
	}
	get, err := c.GetObject(ctx, &s3sdk.GetObjectInput{Bucket: aws.String("vault"), Key: aws.String("c")})
	if err != nil {
		t.Fatal(err)
	}
	get.Body.Close()
	if get.ObjectLockMode != types.ObjectLockModeCompliance || !get.ObjectLockRetainUntilDate.Equal(until) || get.ObjectLockLegalHoldStatus != types.ObjectLockLegalHoldStatusOn {
		t.Fatalf("get lock %v %v %v", get.ObjectLockMode, get.ObjectLockRetainUntilDate, get.ObjectLockLegalHoldStatus)
	}
	ret, err := c.GetObjectRetention(ctx, &s3sdk.GetObjectRetentionInput{Bucket: aws.String("vault"), Key: aws.String("c"), VersionId: comp.VersionId})
	if err != nil || ret.Retention.Mode != types.ObjectLockRetentionModeCompliance || !ret.Retention.RetainUntilDate.Equal(until) {
		t.Fatalf("retention %+v %v", ret, err)
	}
	hold, err := c.GetObjectLegalHold(ctx, &s3sdk.GetObjectLegalHoldInput{Bucket: aws.String("vault"), Key: aws.String("c")})
	if err != nil || hold.LegalHold.Status != types.ObjectLockLegalHoldStatusOn {
		t.Fatalf("hold %+v %v", hold, err)
	}

	// Every delete path of the COMPLIANCE version fails.
	_, err = c.DeleteObject(ctx, &s3sdk.DeleteObjectInput{Bucket: aws.String("vault"), Key: aws.String("c"), VersionId: comp.VersionId, BypassGovernanceRetention: aws.Bool(true)})
	if apiCode(err) != "AccessDenied" {
		t.Fatalf("delete version: %v", err)
	}
	del, err := c.DeleteObjects(ctx, &s3sdk.DeleteObjectsInput{Bucket: aws.String("vault"), Delete: &types.Delete{Objects: []types.ObjectIdentifier{
		{Key: aws.String("c"), VersionId: comp.VersionId}, {Key: aws.String("k"), VersionId: put.VersionId}}}})
	if err != nil || len(del.Errors) != 2 || aws.ToString(del.Errors[0].Code) != "AccessDenied" {
		t.Fatalf("delete objects %+v %v", del, err)
	}
	// Shortening COMPLIANCE: refused, bypass or not.
	short := until.Add(-time.Minute)
	_, err = c.PutObjectRetention(ctx, &s3sdk.PutObjectRetentionInput{Bucket: aws.String("vault"), Key: aws.String("c"), BypassGovernanceRetention: aws.Bool(true),
		Retention: &types.ObjectLockRetention{Mode: types.ObjectLockRetentionModeCompliance, RetainUntilDate: &short}})
	if apiCode(err) != "AccessDenied" {
		t.Fatalf("shorten compliance: %v", err)
	}
	// Lifting the hold and removing GOVERNANCE with bypass (root key) frees k.
	if _, err := c.PutObjectRetention(ctx, &s3sdk.PutObjectRetentionInput{Bucket: aws.String("vault"), Key: aws.String("k"),
		Retention: &types.ObjectLockRetention{}}); apiCode(err) != "AccessDenied" {
		t.Fatalf("remove governance without bypass: %v", err)
	}
	if _, err := c.DeleteObject(ctx, &s3sdk.DeleteObjectInput{Bucket: aws.String("vault"), Key: aws.String("k"), VersionId: put.VersionId,
		BypassGovernanceRetention: aws.Bool(true)}); err != nil {
		t.Fatalf("delete governance with bypass: %v", err)
	}
	if _, err := c.PutObjectLegalHold(ctx, &s3sdk.PutObjectLegalHoldInput{Bucket: aws.String("vault"), Key: aws.String("c"),
		LegalHold: &types.ObjectLockLegalHold{Status: types.ObjectLockLegalHoldStatusOff}}); err != nil {
		t.Fatal(err)
	}

	// A key without bypass_governance asking for it: AccessDenied.
	if err := e.CreateAccessKey(ctx, engine.AccessKey{AccessKey: "clerk", Secret: "clerk-secret", Buckets: []string{"vault"}}); err != nil {
		t.Fatal(err)
	}
	clerk := s3sdk.New(s3sdk.Options{Region: testRegion, BaseEndpoint: aws.String(srv.URL), UsePathStyle: true, HTTPClient: srv.Client(),
		Credentials:                credentials.NewStaticCredentialsProvider("clerk", "clerk-secret", ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired})
	gov, err := c.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: aws.String("vault"), Key: aws.String("g"), Body: bytes.NewReader(body), ContentMD5: aws.String(contentMD5(body))})
	if err != nil {
		t.Fatal(err)
	}
	_, err = clerk.DeleteObject(ctx, &s3sdk.DeleteObjectInput{Bucket: aws.String("vault"), Key: aws.String("g"), VersionId: gov.VersionId, BypassGovernanceRetention: aws.Bool(true)})
	if apiCode(err) != "AccessDenied" {
		t.Fatalf("clerk bypass: %v", err)
	}
	if _, err := e.LookupAccessKey("clerk"); err != nil {
		t.Fatal(err)
	}
	if err := e.CreateAccessKey(ctx, engine.AccessKey{AccessKey: "ops", Secret: "ops-secret1", Buckets: []string{"vault"}, BypassGovernance: true}); err != nil {
		t.Fatal(err)
	}
	ops := s3sdk.New(s3sdk.Options{Region: testRegion, BaseEndpoint: aws.String(srv.URL), UsePathStyle: true, HTTPClient: srv.Client(),
		Credentials:                credentials.NewStaticCredentialsProvider("ops", "ops-secret1", ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired})
	if _, err := ops.DeleteObject(ctx, &s3sdk.DeleteObjectInput{Bucket: aws.String("vault"), Key: aws.String("g"), VersionId: gov.VersionId, BypassGovernanceRetention: aws.Bool(true)}); err != nil {
		t.Fatalf("ops bypass: %v", err)
	}
	// A key with no access to the bucket, and a read-only one, may not
	// touch its locks, even without asking for a bypass.
	if err := e.CreateAccessKey(ctx, engine.AccessKey{AccessKey: "stranger", Secret: "stranger-secret"}); err != nil {
		t.Fatal(err)
	}
	if err := e.CreateAccessKey(ctx, engine.AccessKey{AccessKey: "reader", Secret: "reader-secret", Buckets: []string{"vault"}, ReadOnly: true}); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"stranger", "reader"} {
		other := s3sdk.New(s3sdk.Options{Region: testRegion, BaseEndpoint: aws.String(srv.URL), UsePathStyle: true, HTTPClient: srv.Client(),
			Credentials:                credentials.NewStaticCredentialsProvider(k, k+"-secret", ""),
			RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired})
		_, err := other.PutObjectLegalHold(ctx, &s3sdk.PutObjectLegalHoldInput{Bucket: aws.String("vault"), Key: aws.String("c"),
			LegalHold: &types.ObjectLockLegalHold{Status: types.ObjectLockLegalHoldStatusOn}})
		if apiCode(err) != "AccessDenied" {
			t.Fatalf("%s legal hold: %v", k, err)
		}
		_, err = other.PutObjectLockConfiguration(ctx, &s3sdk.PutObjectLockConfigurationInput{Bucket: aws.String("vault"),
			ObjectLockConfiguration: &types.ObjectLockConfiguration{ObjectLockEnabled: types.ObjectLockEnabledEnabled}})
		if apiCode(err) != "AccessDenied" {
			t.Fatalf("%s lock configuration: %v", k, err)
		}
	}
	if hold, err := c.GetObjectLegalHold(ctx, &s3sdk.GetObjectLegalHoldInput{Bucket: aws.String("vault"), Key: aws.String("c")}); err != nil || hold.LegalHold.Status != types.ObjectLockLegalHoldStatusOff {
		t.Fatalf("hold after refused writes %+v %v", hold, err)
	}
}

func TestObjectLockErrors(t *testing.T) {
	_, srv, c := newEngineServer(t)
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3sdk.CreateBucketInput{Bucket: aws.String("plain")}); err != nil {
		t.Fatal(err)
	}
	_, err := c.GetObjectLockConfiguration(ctx, &s3sdk.GetObjectLockConfigurationInput{Bucket: aws.String("plain")})
	if apiCode(err) != "ObjectLockConfigurationNotFoundError" {
		t.Fatalf("no config: %v", err)
	}
	lockOn := &types.ObjectLockConfiguration{ObjectLockEnabled: types.ObjectLockEnabledEnabled}
	_, err = c.PutObjectLockConfiguration(ctx, &s3sdk.PutObjectLockConfigurationInput{Bucket: aws.String("plain"), ObjectLockConfiguration: lockOn})
	if apiCode(err) != "InvalidBucketState" {
		t.Fatalf("lock unversioned: %v", err)
	}
	body := []byte("x")
	if _, err := c.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: aws.String("plain"), Key: aws.String("k"), Body: bytes.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: aws.String("plain"), Key: aws.String("k"), Body: bytes.NewReader(body), ContentMD5: aws.String(contentMD5(body)),
		ObjectLockLegalHoldStatus: types.ObjectLockLegalHoldStatusOn})
	if apiCode(err) != "InvalidRequest" {
		t.Fatalf("hold in plain bucket: %v", err)
	}
	_, err = c.GetObjectRetention(ctx, &s3sdk.GetObjectRetentionInput{Bucket: aws.String("plain"), Key: aws.String("k")})
	if apiCode(err) != "InvalidRequest" {
		t.Fatalf("retention in plain bucket: %v", err)
	}
	// Lock on an existing bucket once versioning is enabled.
	if _, err := c.PutBucketVersioning(ctx, &s3sdk.PutBucketVersioningInput{Bucket: aws.String("plain"),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObjectLockConfiguration(ctx, &s3sdk.PutObjectLockConfigurationInput{Bucket: aws.String("plain"), ObjectLockConfiguration: lockOn}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetObjectRetention(ctx, &s3sdk.GetObjectRetentionInput{Bucket: aws.String("plain"), Key: aws.String("k")})
	if apiCode(err) != "NoSuchObjectLockConfiguration" {
		t.Fatalf("no retention: %v", err)
	}

	url := srv.URL + "/plain"
	cases := []struct {
		name, method, path, body string
		hdr                      map[string]string
		status                   int
		code                     string
	}{
		{"config without digest", "PUT", "?object-lock", `<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled></ObjectLockConfiguration>`, nil, 400, "InvalidRequest"},
		{"config days and years", "PUT", "?object-lock", `<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>1</Days><Years>1</Years></DefaultRetention></Rule></ObjectLockConfiguration>`, nil, 400, "MalformedXML"},
		{"config zero days", "PUT", "?object-lock", `<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>0</Days></DefaultRetention></Rule></ObjectLockConfiguration>`, nil, 400, "InvalidArgument"},
		{"config bad mode", "PUT", "?object-lock", `<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>FOREVER</Mode><Days>1</Days></DefaultRetention></Rule></ObjectLockConfiguration>`, nil, 400, "MalformedXML"},
		{"config not enabled", "PUT", "?object-lock", `<ObjectLockConfiguration><ObjectLockEnabled>Disabled</ObjectLockEnabled></ObjectLockConfiguration>`, nil, 400, "MalformedXML"},
		{"retention past", "PUT", "/k?retention", `<Retention><Mode>GOVERNANCE</Mode><RetainUntilDate>2001-01-01T00:00:00Z</RetainUntilDate></Retention>`, nil, 400, "InvalidArgument"},
		{"retention without date", "PUT", "/k?retention", `<Retention><Mode>GOVERNANCE</Mode></Retention>`, nil, 400, "MalformedXML"},
		{"retention bad date", "PUT", "/k?retention", `<Retention><Mode>GOVERNANCE</Mode><RetainUntilDate>tomorrow</RetainUntilDate></Retention>`, nil, 400, "MalformedXML"},
		{"legal hold bad status", "PUT", "/k?legal-hold", `<LegalHold><Status>MAYBE</Status></LegalHold>`, nil, 400, "MalformedXML"},
		{"legal hold without digest", "PUT", "/k?legal-hold", `<LegalHold><Status>ON</Status></LegalHold>`, map[string]string{"Content-MD5": ""}, 400, "InvalidRequest"},
		{"put mode without date", "PUT", "/n", "x", map[string]string{"x-amz-object-lock-mode": "GOVERNANCE"}, 400, "InvalidArgument"},
		{"put bad mode", "PUT", "/n", "x", map[string]string{"x-amz-object-lock-mode": "FOREVER", "x-amz-object-lock-retain-until-date": "2099-01-01T00:00:00Z"}, 400, "InvalidArgument"},
		{"put bad hold", "PUT", "/n", "x", map[string]string{"x-amz-object-lock-legal-hold": "YES"}, 400, "InvalidArgument"},
		{"put lock without digest", "PUT", "/n", "x", map[string]string{"x-amz-object-lock-legal-hold": "ON"}, 400, "InvalidRequest"},
		{"bad bucket lock header", "PUT", "2", "", map[string]string{"x-amz-bucket-object-lock-enabled": "maybe"}, 400, "InvalidArgument"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			hdr := map[string]string{}
			for k, v := range tc.hdr {
				hdr[k] = v
			}
			if strings.Contains(tc.path, "?") && tc.name != "config without digest" {
				hdr["Content-MD5"] = contentMD5([]byte(tc.body))
			}
			if v, ok := tc.hdr["Content-MD5"]; ok && v == "" {
				delete(hdr, "Content-MD5")
			}
			status, body, _ := rawLock(t, tc.method, url+strings.TrimPrefix(tc.path, ""), []byte(tc.body), hdr)
			if status != tc.status || !strings.Contains(body, "<Code>"+tc.code+"</Code>") {
				t.Fatalf("%d %s", status, body)
			}
		})
	}
	// Unsigned requests are refused before anything else.
	resp, err := http.Get(url + "/k?retention")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("anonymous retention: %d", resp.StatusCode)
	}
}
