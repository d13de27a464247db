package e2e

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// cliClient is one command-line S3 client, driven as its users drive it.
type cliClient interface {
	mb(t *testing.T, bucket string)
	put(t *testing.T, file, bucket, key string)
	ls(t *testing.T, bucket string) string // recursive listing
	syncUp(t *testing.T, dir, bucket, prefix string)
	syncDown(t *testing.T, bucket, prefix, dir string)
	get(t *testing.T, bucket, key, file string)
	presign(t *testing.T, bucket, key string) string
	rmAll(t *testing.T, bucket string)
	rb(t *testing.T, bucket string)
}

// clientScenario is what every client test does: make a bucket, upload a
// small and a 50 MiB (multipart) file, list recursively, sync a tree up and
// down twice (the second time with changes and deletions), download and
// compare sha256, presign and fetch with curl, delete everything, remove the bucket.
func clientScenario(t *testing.T, p *proc, c cliClient, name string) {
	dir := t.TempDir()
	bucket := uniqueBucket(name)
	c.mb(t, bucket)

	small := filepath.Join(dir, "small.txt")
	if err := os.WriteFile(small, []byte("hello from "+name+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c.put(t, small, bucket, "small.txt")
	c.put(t, bigFile, bucket, "big/big.bin")

	tree := filepath.Join(dir, "tree")
	files := makeTree(t, tree)
	c.syncUp(t, tree, bucket, "tree/")

	listing := c.ls(t, bucket)
	for _, k := range append([]string{"small.txt", "big/big.bin"}, prefixed("tree/", files)...) {
		if !strings.Contains(listing, k) {
			t.Errorf("recursive listing lacks %q:\n%s", k, listing)
		}
	}

	down := filepath.Join(dir, "down")
	c.syncDown(t, bucket, "tree/", down)
	sameTree(t, tree, down)

	// Second round: change a file (and its size), add one, delete one.
	if err := writeRandomFile(filepath.Join(tree, "readme.txt"), 1300); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(tree, "new"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := writeRandomFile(filepath.Join(tree, "new", "file.txt"), 3000); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(tree, "docs", "café.md")); err != nil {
		t.Fatal(err)
	}
	c.syncUp(t, tree, bucket, "tree/")
	c.syncDown(t, bucket, "tree/", down)
	sameTree(t, tree, down)

	out := filepath.Join(dir, "big.out")
	c.get(t, bucket, "big/big.bin", out)
	if sha256File(t, out) != sha256File(t, bigFile) {
		t.Fatal("50 MiB download: sha256 differs")
	}
	out = filepath.Join(dir, "small.out")
	c.get(t, bucket, "small.txt", out)
	if sha256File(t, out) != sha256File(t, small) {
		t.Fatal("small download: sha256 differs")
	}

	url := c.presign(t, bucket, "big/big.bin")
	fetched := filepath.Join(dir, "presigned.out")
	curlFetch(t, url, fetched)
	if sha256File(t, fetched) != sha256File(t, bigFile) {
		t.Fatal("presigned fetch with curl: sha256 differs")
	}

	c.rmAll(t, bucket)
	if listing := strings.TrimSpace(c.ls(t, bucket)); listing != "" {
		t.Errorf("objects left after deleting everything:\n%s", listing)
	}
	c.rb(t, bucket)
	assertNoBucket(t, p, bucket)
}

func prefixed(prefix string, names []string) []string {
	var out []string
	for _, n := range names {
		out = append(out, prefix+n)
	}
	return out
}

// assertNoBucket checks with the SDK that bucket is gone.
func assertNoBucket(t *testing.T, p *proc, bucket string) {
	t.Helper()
	_, err := sdkClient(p, rootKey, rootSecret).HeadBucket(t.Context(), &s3.HeadBucketInput{Bucket: &bucket})
	wantStatus(t, err, http.StatusNotFound)
}

// clientEnv is the environment of a client process: the test's, without
// AWS profiles, plus credentials and a private HOME-like config location.
func clientEnv(t *testing.T, extra ...string) []string {
	home := t.TempDir()
	env := append(cleanEnv(),
		"AWS_ACCESS_KEY_ID="+rootKey, "AWS_SECRET_ACCESS_KEY="+rootSecret, "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE="+filepath.Join(home, "aws-config"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(home, "aws-credentials"),
		"AWS_PAGER=", "HOME="+home)
	return append(env, extra...)
}

// awsCLI drives `aws s3` (v2 at /usr/bin/aws, or v1 on PATH).
type awsCLI struct {
	bin, endpoint string
	env           []string
}

func (a awsCLI) run(t *testing.T, args ...string) string {
	t.Helper()
	return runCmd(t, a.env, a.bin, append([]string{"--endpoint-url", a.endpoint}, args...)...)
}
func (a awsCLI) mb(t *testing.T, b string) { a.run(t, "s3", "mb", "s3://"+b) }
func (a awsCLI) put(t *testing.T, f, b, k string) {
	a.run(t, "s3", "cp", "--only-show-errors", f, "s3://"+b+"/"+k)
}
func (a awsCLI) ls(t *testing.T, b string) string {
	return a.run(t, "s3", "ls", "--recursive", "s3://"+b)
}
func (a awsCLI) syncUp(t *testing.T, d, b, p string) {
	a.run(t, "s3", "sync", "--only-show-errors", "--delete", d, "s3://"+b+"/"+p)
}
func (a awsCLI) syncDown(t *testing.T, b, p, d string) {
	a.run(t, "s3", "sync", "--only-show-errors", "--delete", "s3://"+b+"/"+p, d)
}
func (a awsCLI) get(t *testing.T, b, k, f string) {
	a.run(t, "s3", "cp", "--only-show-errors", "s3://"+b+"/"+k, f)
}
func (a awsCLI) presign(t *testing.T, b, k string) string {
	return strings.TrimSpace(a.run(t, "s3", "presign", "--expires-in", "300", "s3://"+b+"/"+k))
}
func (a awsCLI) rmAll(t *testing.T, b string) {
	a.run(t, "s3", "rm", "--only-show-errors", "--recursive", "s3://"+b)
}
func (a awsCLI) rb(t *testing.T, b string) { a.run(t, "s3", "rb", "s3://"+b) }

func TestAWSCLIv2(t *testing.T) {
	t.Parallel()
	p := shared(t)
	if _, err := os.Stat("/usr/bin/aws"); err != nil {
		t.Fatalf("/usr/bin/aws (Debian package awscli) is not installed; `make test` installs it: %v", err)
	}
	v := runCmd(t, clientEnv(t), "/usr/bin/aws", "--version")
	if !strings.HasPrefix(v, "aws-cli/2.") {
		t.Fatalf("/usr/bin/aws is not aws cli v2: %s", v)
	}
	clientScenario(t, p, awsCLI{bin: "/usr/bin/aws", endpoint: p.Endpoint, env: clientEnv(t)}, "awscli2")
}

// TestAWSCLIv1 runs plain `aws`: on this project's machines it is aws cli
// v1 with a modern botocore (pyenv's, in the image), which sends
// x-amz-checksum-crc32 — a client behaviour the Debian v2 lacks.
func TestAWSCLIv1(t *testing.T) {
	t.Parallel()
	p := shared(t)
	bin, err := exec.LookPath("aws")
	if err != nil {
		t.Fatal("no aws on PATH besides /usr/bin/aws: this machine kind ships aws cli v1 (pyenv) in its image")
	}
	v, err := exec.Command(bin, "--version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(v), "aws-cli/1.") {
		t.Fatalf("%s is not aws cli v1 (%s): this machine kind ships aws cli v1 (pyenv) in its image", bin, strings.TrimSpace(string(v)))
	}
	t.Logf("%s: %s", bin, strings.TrimSpace(string(v)))
	// v1 presigns with SigV2 unless told otherwise; prismd accepts SigV4 only.
	cfg := filepath.Join(t.TempDir(), "aws-config")
	if err := os.WriteFile(cfg, []byte("[default]\ns3 =\n    signature_version = s3v4\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	clientScenario(t, p, awsCLI{bin: bin, endpoint: p.Endpoint, env: clientEnv(t, "AWS_CONFIG_FILE="+cfg)}, "awscli1")
}

// boto3Client runs testdata/boto3_client.py with one python.
type boto3Client struct {
	python, script string
	env            []string
}

func (c boto3Client) run(t *testing.T, args ...string) string {
	t.Helper()
	return runCmd(t, c.env, c.python, append([]string{c.script}, args...)...)
}
func (c boto3Client) mb(t *testing.T, b string)             { c.run(t, "mb", b) }
func (c boto3Client) put(t *testing.T, f, b, k string)      { c.run(t, "put", f, b, k) }
func (c boto3Client) ls(t *testing.T, b string) string      { return c.run(t, "ls", b) }
func (c boto3Client) syncUp(t *testing.T, d, b, p string)   { c.run(t, "sync-up", d, b, p) }
func (c boto3Client) syncDown(t *testing.T, b, p, d string) { c.run(t, "sync-down", b, p, d) }
func (c boto3Client) get(t *testing.T, b, k, f string)      { c.run(t, "get", b, k, f) }
func (c boto3Client) presign(t *testing.T, b, k string) string {
	return strings.TrimSpace(c.run(t, "presign", b, k))
}
func (c boto3Client) rmAll(t *testing.T, b string) { c.run(t, "rm-all", b) }
func (c boto3Client) rb(t *testing.T, b string)    { c.run(t, "rb", b) }

func boto3Script(t *testing.T) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "testdata", "boto3_client.py")
}

func TestBoto3Debian(t *testing.T) {
	t.Parallel()
	p := shared(t)
	env := clientEnv(t, "PRISMD_ENDPOINT="+p.Endpoint)
	if out, err := exec.Command("/usr/bin/python3", "-c", "import boto3; print(boto3.__version__)").CombinedOutput(); err != nil {
		t.Fatalf("/usr/bin/python3 has no boto3 (Debian package python3-boto3; `make test` installs it): %v\n%s", err, out)
	} else {
		t.Logf("/usr/bin/python3 boto3 %s", strings.TrimSpace(string(out)))
	}
	clientScenario(t, p, boto3Client{python: "/usr/bin/python3", script: boto3Script(t), env: env}, "boto3deb")
}

// TestBoto3Path runs python3 from PATH: on this project's machines it is
// pyenv's python with its own, newer boto3 (modern checksum defaults).
func TestBoto3Path(t *testing.T) {
	t.Parallel()
	p := shared(t)
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Fatal("no python3 on PATH: this machine kind ships pyenv's python3 with boto3 in its image")
	}
	if real, _ := filepath.EvalSymlinks(py); real == "/usr/bin/python3" || py == "/usr/bin/python3" {
		t.Fatal("python3 on PATH is /usr/bin/python3: this machine kind ships pyenv's python3 with boto3 in its image")
	}
	out, err := exec.Command(py, "-c", "import boto3; print(boto3.__version__)").CombinedOutput()
	if err != nil {
		t.Fatalf("%s has no boto3: this machine kind ships pyenv's python3 with boto3 in its image", py)
	}
	t.Logf("%s boto3 %s", py, strings.TrimSpace(string(out)))
	env := clientEnv(t, "PRISMD_ENDPOINT="+p.Endpoint)
	clientScenario(t, p, boto3Client{python: py, script: boto3Script(t), env: env}, "boto3path")
}

// s3cmdClient drives s3cmd with its own config file.
type s3cmdClient struct {
	bin, cfg string
	env      []string
	aws      awsCLI // presigns: s3cmd signurl makes SigV2 URLs, which prismd refuses
}

func (c s3cmdClient) run(t *testing.T, args ...string) string {
	t.Helper()
	return runCmd(t, c.env, c.bin, append([]string{"-c", c.cfg, "--no-progress"}, args...)...)
}
func (c s3cmdClient) mb(t *testing.T, b string)        { c.run(t, "mb", "s3://"+b) }
func (c s3cmdClient) put(t *testing.T, f, b, k string) { c.run(t, "put", f, "s3://"+b+"/"+k) }
func (c s3cmdClient) ls(t *testing.T, b string) string {
	return c.run(t, "ls", "--recursive", "s3://"+b)
}
func (c s3cmdClient) syncUp(t *testing.T, d, b, p string) {
	c.run(t, "sync", "--delete-removed", d+"/", "s3://"+b+"/"+p)
}
func (c s3cmdClient) syncDown(t *testing.T, b, p, d string) {
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	c.run(t, "sync", "--delete-removed", "s3://"+b+"/"+p, d+"/")
}
func (c s3cmdClient) get(t *testing.T, b, k, f string) {
	c.run(t, "get", "--force", "s3://"+b+"/"+k, f)
}
func (c s3cmdClient) presign(t *testing.T, b, k string) string {
	// s3cmd's own signurl is SigV2: prismd must refuse it and leak nothing.
	v2 := strings.TrimSpace(c.run(t, "signurl", "s3://"+b+"/"+k, "+300"))
	resp, err := http.Get(v2)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusBadRequest {
		t.Errorf("s3cmd signurl (SigV2) URL %s: %s, want 403 or 400", v2, resp.Status)
	}
	return c.aws.presign(t, b, k)
}
func (c s3cmdClient) rmAll(t *testing.T, b string) {
	c.run(t, "del", "--recursive", "--force", "s3://"+b)
}
func (c s3cmdClient) rb(t *testing.T, b string) { c.run(t, "rb", "s3://"+b) }

func TestS3cmd(t *testing.T) {
	t.Parallel()
	p := shared(t)
	bin := needBinary(t, "s3cmd")
	cfg := filepath.Join(t.TempDir(), "s3cfg")
	err := os.WriteFile(cfg, []byte(fmt.Sprintf(`[default]
access_key = %s
secret_key = %s
host_base = %s
host_bucket = %s
use_https = False
signature_v2 = False
bucket_location = us-east-1
multipart_chunk_size_mb = 15
`, rootKey, rootSecret, p.hostPort(), p.hostPort())), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s", strings.TrimSpace(runCmd(t, clientEnv(t), bin, "--version")))
	clientScenario(t, p, s3cmdClient{bin: bin, cfg: cfg, env: clientEnv(t), aws: awsCLI{bin: "/usr/bin/aws", endpoint: p.Endpoint, env: clientEnv(t)}}, "s3cmd")
}

// rcloneClient drives rclone with an [prismd] remote. rclone 1.60 breaks on
// AWS_CA_BUNDLE, so it runs without it.
type rcloneClient struct {
	bin, cfg string
	env      []string
	aws      awsCLI
}

func (c rcloneClient) run(t *testing.T, args ...string) string {
	t.Helper()
	return runCmd(t, c.env, c.bin, append([]string{"--config", c.cfg}, args...)...)
}
func (c rcloneClient) mb(t *testing.T, b string) { c.run(t, "mkdir", "prismd:"+b) }
func (c rcloneClient) put(t *testing.T, f, b, k string) {
	// Multipart from 8 MiB (the default cutoff, 200 MiB, would send one PUT).
	c.run(t, "copyto", "--s3-upload-cutoff", "8M", "--s3-chunk-size", "8M", f, "prismd:"+b+"/"+k)
}
func (c rcloneClient) ls(t *testing.T, b string) string {
	return c.run(t, "lsf", "-R", "--files-only", "prismd:"+b)
}
func (c rcloneClient) syncUp(t *testing.T, d, b, p string) {
	c.run(t, "sync", d, "prismd:"+b+"/"+strings.TrimSuffix(p, "/"))
	c.run(t, "check", d, "prismd:"+b+"/"+strings.TrimSuffix(p, "/")) // compares MD5s with the ETags
}
func (c rcloneClient) syncDown(t *testing.T, b, p, d string) {
	c.run(t, "sync", "prismd:"+b+"/"+strings.TrimSuffix(p, "/"), d)
}
func (c rcloneClient) get(t *testing.T, b, k, f string) { c.run(t, "copyto", "prismd:"+b+"/"+k, f) }
func (c rcloneClient) presign(t *testing.T, b, k string) string {
	return strings.TrimSpace(c.run(t, "link", "--expire", "5m", "prismd:"+b+"/"+k))
}
func (c rcloneClient) rmAll(t *testing.T, b string) { c.run(t, "delete", "prismd:"+b) }
func (c rcloneClient) rb(t *testing.T, b string)    { c.run(t, "rmdir", "prismd:"+b) }

func TestRclone(t *testing.T) {
	t.Parallel()
	p := shared(t)
	bin := needBinary(t, "rclone")
	cfg := filepath.Join(t.TempDir(), "rclone.conf")
	err := os.WriteFile(cfg, []byte(fmt.Sprintf(`[prismd]
type = s3
provider = Other
access_key_id = %s
secret_access_key = %s
endpoint = %s
region = us-east-1
force_path_style = true
`, rootKey, rootSecret, p.Endpoint)), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, kv := range clientEnv(t) {
		if !strings.HasPrefix(kv, "AWS_CA_BUNDLE=") {
			env = append(env, kv)
		}
	}
	t.Logf("%s", strings.SplitN(runCmd(t, env, bin, "version"), "\n", 2)[0])
	clientScenario(t, p, rcloneClient{bin: bin, cfg: cfg, env: env}, "rclone")
}
