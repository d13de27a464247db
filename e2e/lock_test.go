package e2e

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// fails runs an aws cli command that must fail with the S3 error code.
func (a awsCLI) fails(t *testing.T, code string, args ...string) {
	t.Helper()
	cmd := exec.Command(a.bin, append([]string{"--endpoint-url", a.endpoint}, args...)...)
	cmd.Env = a.env
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "("+code+")") {
		t.Fatalf("aws %s: want %s, got %v\n%s", strings.Join(args, " "), code, err, out)
	}
}

func sdkCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// TestObjectLockCLIAndSDK: a COMPLIANCE-locked version, made with the aws
// cli, survives DeleteObject with its version id (cli and SDK, with and
// without a governance bypass), DeleteObjects, a shortening of its
// retention and a restart of prismd; a GOVERNANCE version can be removed
// only by a key configured with bypass_governance.
func TestObjectLockCLIAndSDK(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/usr/bin/aws"); err != nil {
		t.Fatalf("/usr/bin/aws (Debian package awscli) is not installed; `make test` installs it: %v", err)
	}
	dir := filepath.Join(workDir, "lock")
	env := []string{"PRISMD_ACCESS_KEY=" + rootKey, "PRISMD_SECRET_KEY=" + rootSecret}
	cfg := `data_dir = "data"
[[access_key]]
access_key = "clerk"
secret_key = "clerk-secret-0123"
buckets = ["vault"]
[[access_key]]
access_key = "ops"
secret_key = "ops-secret-0123"
buckets = ["vault"]
bypass_governance = true
`
	p := start(t, dir, cfg, env)
	cli := awsCLI{bin: "/usr/bin/aws", endpoint: p.Endpoint, env: clientEnv(t)}
	clerkCLI := awsCLI{bin: "/usr/bin/aws", endpoint: p.Endpoint, env: clientEnv(t, "AWS_ACCESS_KEY_ID=clerk", "AWS_SECRET_ACCESS_KEY=clerk-secret-0123")}
	c := sdkClient(p, rootKey, rootSecret)
	ctx := context.Background()
	b := "vault"

	cli.run(t, "s3api", "create-bucket", "--bucket", b, "--object-lock-enabled-for-bucket")
	cli.run(t, "s3api", "put-object-lock-configuration", "--bucket", b, "--object-lock-configuration",
		`{"ObjectLockEnabled":"Enabled","Rule":{"DefaultRetention":{"Mode":"GOVERNANCE","Days":1}}}`)
	var lc struct {
		ObjectLockConfiguration struct {
			ObjectLockEnabled string
			Rule              struct {
				DefaultRetention struct {
					Mode string
					Days int
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(cli.run(t, "s3api", "get-object-lock-configuration", "--bucket", b)), &lc); err != nil ||
		lc.ObjectLockConfiguration.Rule.DefaultRetention.Mode != "GOVERNANCE" || lc.ObjectLockConfiguration.Rule.DefaultRetention.Days != 1 {
		t.Fatalf("get-object-lock-configuration: %+v %v", lc, err)
	}
	cli.fails(t, "InvalidBucketState", "s3api", "put-bucket-versioning", "--bucket", b, "--versioning-configuration", "Status=Suspended")

	// A COMPLIANCE version, by the cli.
	body := []byte("the ledger, 2026")
	src := filepath.Join(t.TempDir(), "ledger")
	if err := os.WriteFile(src, body, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum(body)
	until := time.Now().Add(2 * time.Hour).UTC().Truncate(time.Second)
	var put struct{ VersionId string }
	if err := json.Unmarshal([]byte(cli.run(t, "s3api", "put-object", "--bucket", b, "--key", "ledger", "--body", src,
		"--content-md5", base64.StdEncoding.EncodeToString(sum[:]), "--object-lock-mode", "COMPLIANCE",
		"--object-lock-retain-until-date", until.Format(time.RFC3339))), &put); err != nil || put.VersionId == "" {
		t.Fatalf("put-object: %+v %v", put, err)
	}
	id := put.VersionId

	// A GOVERNANCE version by the default retention, by the SDK (it sends a checksum).
	gov, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("draft"), Body: bytes.NewReader([]byte("draft"))})
	if err != nil {
		t.Fatal(err)
	}

	// Every delete path of the COMPLIANCE version.
	cli.fails(t, "AccessDenied", "s3api", "delete-object", "--bucket", b, "--key", "ledger", "--version-id", id)
	cli.fails(t, "AccessDenied", "s3api", "delete-object", "--bucket", b, "--key", "ledger", "--version-id", id, "--bypass-governance-retention")
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &b, Key: aws.String("ledger"), VersionId: &id, BypassGovernanceRetention: aws.Bool(true)})
	if sdkCode(err) != "AccessDenied" {
		t.Fatalf("SDK delete with bypass: %v", err)
	}
	del, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: &b, BypassGovernanceRetention: aws.Bool(true),
		Delete: &types.Delete{Objects: []types.ObjectIdentifier{{Key: aws.String("ledger"), VersionId: &id}}}})
	if err != nil || len(del.Errors) != 1 || aws.ToString(del.Errors[0].Code) != "AccessDenied" {
		t.Fatalf("DeleteObjects: %+v %v", del, err)
	}
	out := cli.run(t, "s3api", "delete-objects", "--bucket", b, "--delete", `{"Objects":[{"Key":"ledger","VersionId":"`+id+`"}]}`)
	if !strings.Contains(out, "AccessDenied") {
		t.Fatalf("delete-objects: %s", out)
	}
	short := until.Add(-time.Hour).Format(time.RFC3339)
	cli.fails(t, "AccessDenied", "s3api", "put-object-retention", "--bucket", b, "--key", "ledger", "--version-id", id,
		"--bypass-governance-retention", "--retention", `{"Mode":"COMPLIANCE","RetainUntilDate":"`+short+`"}`)
	cli.fails(t, "AccessDenied", "s3api", "put-object-retention", "--bucket", b, "--key", "ledger", "--version-id", id,
		"--bypass-governance-retention", "--retention", `{"Mode":"GOVERNANCE","RetainUntilDate":"`+until.Add(time.Hour).Format(time.RFC3339)+`"}`)
	// Without a version id: a delete marker hides it, the version stays.
	cli.run(t, "s3api", "delete-object", "--bucket", b, "--key", "ledger")

	// A key not configured for it may not bypass governance.
	clerkCLI.fails(t, "AccessDenied", "s3api", "delete-object", "--bucket", b, "--key", "draft", "--version-id", aws.ToString(gov.VersionId), "--bypass-governance-retention")

	// A restart replays the log: the locks hold.
	if err := p.stop(); err != nil {
		t.Fatal(err)
	}
	p = start(t, dir, cfg, env)
	cli.endpoint = p.Endpoint
	c = sdkClient(p, rootKey, rootSecret)
	cli.fails(t, "AccessDenied", "s3api", "delete-object", "--bucket", b, "--key", "ledger", "--version-id", id, "--bypass-governance-retention")
	var ret struct {
		Retention struct{ Mode, RetainUntilDate string }
	}
	if err := json.Unmarshal([]byte(cli.run(t, "s3api", "get-object-retention", "--bucket", b, "--key", "ledger", "--version-id", id)), &ret); err != nil || ret.Retention.Mode != "COMPLIANCE" {
		t.Fatalf("get-object-retention: %+v %v", ret, err)
	}
	got, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("ledger"), VersionId: &id})
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(got.Body)
	got.Body.Close()
	if err != nil || !bytes.Equal(data, body) || got.ObjectLockMode != types.ObjectLockModeCompliance || !got.ObjectLockRetainUntilDate.Equal(until) {
		t.Fatalf("locked version after restart: %q %v %v %v", data, got.ObjectLockMode, got.ObjectLockRetainUntilDate, err)
	}
	// The key configured with bypass_governance removes the GOVERNANCE version.
	ops := sdkClient(p, "ops", "ops-secret-0123")
	if _, err := ops.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &b, Key: aws.String("draft"), VersionId: gov.VersionId, BypassGovernanceRetention: aws.Bool(true)}); err != nil {
		t.Fatalf("ops bypass: %v", err)
	}
}
