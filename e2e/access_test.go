package e2e

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/prismd/prismd/engine"
)

const (
	bobKey    = "bob"
	bobSecret = "bob-secret-123"
)

// curlStatus runs curl without credentials and returns the HTTP status
// and the body.
func curlStatus(t *testing.T, args ...string) (string, string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "body")
	status := runCmd(t, cleanEnv(), needBinary(t, "curl"), append([]string{"-sS", "-o", out, "-w", "%{http_code}"}, args...)...)
	body, _ := os.ReadFile(out)
	return strings.TrimSpace(status), string(body)
}

// boto3Access runs a boto3 script as the given key; it prints what the
// test checks.
func boto3Access(t *testing.T, p *proc, key, secret, script string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "access.py")
	head := "import boto3, botocore, json, os, sys\n" +
		"s3 = boto3.client('s3', endpoint_url=os.environ['PRISMD_ENDPOINT'], region_name='us-east-1', " +
		"config=botocore.config.Config(s3={'addressing_style': 'path'}))\n" +
		"def code(f):\n    try:\n        f()\n        return 'ok'\n    except botocore.exceptions.ClientError as e:\n        return e.response['Error']['Code']\n"
	if err := os.WriteFile(path, []byte(head+script), 0o644); err != nil {
		t.Fatal(err)
	}
	env := clientEnv(t, "PRISMD_ENDPOINT="+p.Endpoint, "AWS_ACCESS_KEY_ID="+key, "AWS_SECRET_ACCESS_KEY="+secret)
	return strings.TrimSpace(runCmd(t, env, needBinary(t, "python3"), path))
}

// TestAccessTwoKeys: a real prismd with the root key and bob. A
// public-read bucket is read with curl and no credentials; a policy lets
// bob read and write one prefix of the root's bucket (aws-sdk-go-v2 and
// boto3); bob sees and uses only what is his or granted; all of it
// survives a restart.
func TestAccessTwoKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := filepath.Join(workDir, "access")
	cfg := "data_dir = \"data\"\n[[access_key]]\naccess_key = \"" + bobKey + "\"\nsecret_key = \"" + bobSecret + "\"\n"
	env := []string{"PRISMD_ACCESS_KEY=" + rootKey, "PRISMD_SECRET_KEY=" + rootSecret}
	p := start(t, dir, cfg, env)
	root, bob := sdkClient(p, rootKey, rootSecret), sdkClient(p, bobKey, bobSecret)

	// A public-read bucket: ObjectWriter ownership, public-read ACLs.
	pub := uniqueBucket("pub")
	if _, err := root.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &pub, ObjectOwnership: types.ObjectOwnershipObjectWriter,
		ACL: types.BucketCannedACLPublicRead}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.PutObject(ctx, &s3.PutObjectInput{Bucket: &pub, Key: aws.String("index.html"), Body: strings.NewReader("<h1>hi</h1>"),
		ACL: types.ObjectCannedACLPublicRead}); err != nil {
		t.Fatal(err)
	}
	put(t, root, pub, "private.txt", []byte("secret"))
	checkPublic := func() {
		t.Helper()
		if st, body := curlStatus(t, p.Endpoint+"/"+pub+"/index.html"); st != "200" || body != "<h1>hi</h1>" {
			t.Fatalf("anonymous GET of a public-read object: %s %q", st, body)
		}
		if st, body := curlStatus(t, p.Endpoint+"/"+pub+"?list-type=2"); st != "200" || !strings.Contains(body, "<Key>index.html</Key>") {
			t.Fatalf("anonymous listing of a public-read bucket: %s %s", st, body)
		}
		if st, body := curlStatus(t, p.Endpoint+"/"+pub+"/private.txt"); st != "403" || !strings.Contains(body, "AccessDenied") {
			t.Fatalf("anonymous GET of a private object: %s %s", st, body)
		}
	}
	checkPublic()
	if st, _ := curlStatus(t, "-X", "PUT", "--data-binary", "evil", p.Endpoint+"/"+pub+"/index.html"); st != "403" {
		t.Fatalf("anonymous PUT: %s", st)
	}
	if st, _ := curlStatus(t, p.Endpoint+"/"+pub+"/missing"); st != "404" {
		t.Fatalf("anonymous GET of a missing key in a listable bucket: %s", st) // AllUsers may list: NoSuchKey
	}
	if got, _ := getBytes(t, root, &s3.GetObjectInput{Bucket: &pub, Key: aws.String("index.html")}); string(got) != "<h1>hi</h1>" {
		t.Fatalf("a refused anonymous PUT changed the object: %q", got)
	}

	// bob owns nothing of the root's.
	lb, err := bob.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil || len(lb.Buckets) != 0 {
		t.Fatalf("bob's ListBuckets: %+v %v", lb, err)
	}
	_, err = bob.GetObject(ctx, &s3.GetObjectInput{Bucket: &pub, Key: aws.String("private.txt")})
	wantCode(t, err, "AccessDenied")
	_, err = bob.PutObject(ctx, &s3.PutObjectInput{Bucket: &pub, Key: aws.String("x"), Body: strings.NewReader("x")})
	wantCode(t, err, "AccessDenied")
	_, err = bob.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &pub})
	wantCode(t, err, "BucketAlreadyExists")
	mine := uniqueBucket("bob")
	if _, err := bob.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &mine}); err != nil {
		t.Fatal(err)
	}
	put(t, bob, mine, "b.txt", []byte("bob's"))
	if lb, err = bob.ListBuckets(ctx, &s3.ListBucketsInput{}); err != nil || len(lb.Buckets) != 1 || *lb.Buckets[0].Name != mine {
		t.Fatalf("bob's ListBuckets after creating one: %+v %v", lb, err)
	}

	// A policy gives bob the prefix team/ of the root's bucket.
	sh := uniqueBucket("shared")
	if _, err := root.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &sh}); err != nil {
		t.Fatal(err)
	}
	put(t, root, sh, "team/a.txt", []byte("team"))
	put(t, root, sh, "secret/b.txt", []byte("secret"))
	policy := `{"Version":"2012-10-17","Statement":[
	 {"Sid":"TeamObjects","Effect":"Allow","Principal":{"AWS":"` + bobKey + `"},"Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::` + sh + `/team/*"},
	 {"Sid":"TeamList","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + bobKey + `:root"},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::` + sh + `","Condition":{"StringLike":{"s3:prefix":"team/*"}}}]}`
	if _, err := root.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: &sh, Policy: &policy}); err != nil {
		t.Fatal(err)
	}
	checkTeam := func() {
		t.Helper()
		if got, _ := getBytes(t, bob, &s3.GetObjectInput{Bucket: &sh, Key: aws.String("team/a.txt")}); string(got) != "team" {
			t.Fatalf("bob reads team/a.txt: %q", got)
		}
		_, err := bob.GetObject(ctx, &s3.GetObjectInput{Bucket: &sh, Key: aws.String("secret/b.txt")})
		wantCode(t, err, "AccessDenied")
		if _, err := bob.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &sh, Prefix: aws.String("team/")}); err != nil {
			t.Fatalf("bob lists team/: %v", err)
		}
		_, err = bob.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &sh})
		wantCode(t, err, "AccessDenied")
	}
	checkTeam()
	put(t, bob, sh, "team/c.txt", []byte("from bob"))
	_, err = bob.PutObject(ctx, &s3.PutObjectInput{Bucket: &sh, Key: aws.String("secret/c.txt"), Body: strings.NewReader("x")})
	wantCode(t, err, "AccessDenied")
	_, err = bob.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: &sh, Policy: aws.String(strings.ReplaceAll(policy, "team/", ""))})
	wantCode(t, err, "AccessDenied")

	// ObjectWriter: what bob writes into the root's pub bucket is bob's.
	drop := `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"` + bobKey + `"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::` + pub + `/drop/*"}]}`
	if _, err := root.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: &pub, Policy: &drop}); err != nil {
		t.Fatal(err)
	}
	put(t, bob, pub, "drop/b.txt", []byte("dropped by bob"))
	checkWriterOwns := func() {
		t.Helper()
		acl, err := bob.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: &pub, Key: aws.String("drop/b.txt")})
		if err != nil || aws.ToString(acl.Owner.ID) != engine.CanonicalID(bobKey) || aws.ToString(acl.Owner.DisplayName) != bobKey {
			t.Fatalf("ACL of the object bob wrote into an ObjectWriter bucket: %+v %v", acl, err)
		}
		l, err := root.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &pub, Prefix: aws.String("drop/"), FetchOwner: aws.Bool(true)})
		if err != nil || len(l.Contents) != 1 || aws.ToString(l.Contents[0].Owner.ID) != engine.CanonicalID(bobKey) {
			t.Fatalf("listed owner of bob's object: %+v %v", l, err)
		}
		if got, _ := getBytes(t, bob, &s3.GetObjectInput{Bucket: &pub, Key: aws.String("drop/b.txt")}); string(got) != "dropped by bob" {
			t.Fatalf("bob reads the object he owns: %q", got)
		}
	}
	checkWriterOwns()

	// boto3, as bob and as the root.
	out := boto3Access(t, p, bobKey, bobSecret, `
print(s3.get_object(Bucket='`+sh+`', Key='team/a.txt')['Body'].read().decode())
print(code(lambda: s3.get_object(Bucket='`+sh+`', Key='secret/b.txt')))
print(code(lambda: s3.put_object(Bucket='`+sh+`', Key='team/boto.txt', Body=b'boto')))
print(code(lambda: s3.delete_bucket_policy(Bucket='`+sh+`')))
`)
	if out != "team\nAccessDenied\nok\nAccessDenied" {
		t.Fatalf("boto3 as bob:\n%s", out)
	}
	out = boto3Access(t, p, rootKey, rootSecret, `
print(s3.get_bucket_policy_status(Bucket='`+sh+`')['PolicyStatus']['IsPublic'])
print(json.loads(s3.get_bucket_policy(Bucket='`+sh+`')['Policy'])['Statement'][0]['Sid'])
acl = s3.get_bucket_acl(Bucket='`+pub+`')
print(sorted(g['Grantee'].get('URI', g['Grantee'].get('ID', ''))[-8:] + ':' + g['Permission'] for g in acl['Grants']))
print(code(lambda: s3.put_bucket_policy(Bucket='`+sh+`', Policy='{"Statement":[]}')))
s3.put_public_access_block(Bucket='`+pub+`', PublicAccessBlockConfiguration={'IgnorePublicAcls': True})
print(s3.get_public_access_block(Bucket='`+pub+`')['PublicAccessBlockConfiguration']['IgnorePublicAcls'])
`)
	grants := []string{"'" + engine.CanonicalID(rootKey)[56:] + ":FULL_CONTROL'", "'AllUsers:READ'"}
	sort.Strings(grants)
	want := "False\nTeamObjects\n[" + strings.Join(grants, ", ") + "]\nMalformedPolicy\nTrue"
	if out != want {
		t.Fatalf("boto3 as root:\n%s\nwant\n%s", out, want)
	}
	// IgnorePublicAcls closes the public bucket to anonymous callers.
	if st, _ := curlStatus(t, p.Endpoint+"/"+pub+"/index.html"); st != "403" {
		t.Fatalf("anonymous GET with IgnorePublicAcls: %s", st)
	}
	if _, err := root.DeletePublicAccessBlock(ctx, &s3.DeletePublicAccessBlockInput{Bucket: &pub}); err != nil {
		t.Fatal(err)
	}

	// Everything comes back after a restart.
	if err := p.stop(); err != nil {
		t.Fatalf("stop: %v\n%s", err, p.log())
	}
	p = start(t, dir, cfg, env)
	root, bob = sdkClient(p, rootKey, rootSecret), sdkClient(p, bobKey, bobSecret)
	checkPublic()
	checkTeam()
	checkWriterOwns()
	if lb, err = bob.ListBuckets(ctx, &s3.ListBucketsInput{}); err != nil || len(lb.Buckets) != 1 || *lb.Buckets[0].Name != mine {
		t.Fatalf("bob's ListBuckets after a restart: %+v %v", lb, err)
	}
	if lb, err = root.ListBuckets(ctx, &s3.ListBucketsInput{}); err != nil || len(lb.Buckets) != 3 || *lb.Owner.DisplayName != rootKey {
		t.Fatalf("root's ListBuckets after a restart: %+v %v", lb, err)
	}
	resp, err := http.Get(p.Endpoint + "/" + mine + "/b.txt")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 403 || strings.Contains(string(b), "bob's") {
		t.Fatalf("anonymous read of bob's private bucket: %d %s", resp.StatusCode, b)
	}
}
