package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/prismd/prismd/backends/s3/s3test"
)

// runPrismd runs prismd to completion and returns its exit code and output.
func runPrismd(t *testing.T, dir string, env []string, args ...string) (int, string) {
	t.Helper()
	code, stdout, stderr := execPrismd(t, 30*time.Second, dir, env, args...)
	return code, stdout + stderr
}

// execPrismd runs prismd with args in dir and returns its exit status and
// outputs; it fails the test when prismd cannot run or runs past timeout.
func execPrismd(t *testing.T, timeout time.Duration, dir string, env []string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, prismdBin, args...)
	cmd.Dir = dir
	cmd.Env = append(cleanEnv(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, stdout.String(), stderr.String()
	case errors.As(err, &ee):
		return ee.ExitCode(), stdout.String(), stderr.String()
	default:
		t.Fatalf("prismd %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
		return -1, "", ""
	}
}

func TestCommands(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if code, out := runPrismd(t, dir, nil, "version"); code != 0 || !strings.HasPrefix(out, "prismd ") {
		t.Errorf("prismd version: exit %d\n%s", code, out)
	}
	if code, out := runPrismd(t, dir, nil, "replay", "--until", "not-a-time"); code != 2 || !strings.Contains(out, "--until") {
		t.Errorf("prismd replay --until not-a-time: exit %d, want 2\n%s", code, out)
	}
	if code, out := runPrismd(t, dir, nil, "scrub"); code != 2 || !strings.Contains(out, "is prismd serve running") {
		t.Errorf("prismd scrub without a server: exit %d\n%s", code, out)
	}
	if code, out := runPrismd(t, dir, nil, "frobnicate"); code != 2 || !strings.Contains(out, `unknown command "frobnicate"`) {
		t.Errorf("prismd frobnicate: exit %d\n%s", code, out)
	}
	if code, out := runPrismd(t, dir, nil); code != 2 || !strings.Contains(out, "usage:") {
		t.Errorf("prismd without a command: exit %d\n%s", code, out)
	}
}

func TestServeRefusesBadConfig(t *testing.T) {
	t.Parallel()
	const regions = `
[[region]]
name = "a"
type = "fs"
path = "r/a"
[[region]]
name = "b"
type = "fs"
path = "r/b"
[[region]]
name = "c"
type = "fs"
path = "r/c"
`
	for _, tc := range []struct {
		name, config string
		want         string
	}{
		{"unknown key", "data_dri = \"data\"\n", `config: data_dri: unknown key`},
		{"unknown key in a region", regions + "[[region]]\nname = \"d\"\ntype = \"fs\"\npaht = \"r/d\"\n", `config: region[3].paht: unknown key`},
		{"bad type", "[policy]\ndata_shards = \"two\"\n", `config: policy.data_shards: want an integer, have a string`},
		{"bad mode", "[policy]\nmode = \"raid5\"\n", `config: policy.mode: "raid5" is not one of replica, erasure, hybrid`},
		{"k+m above regions", regions + "[policy]\nmode = \"erasure\"\ndata_shards = 3\nparity_shards = 2\n", `config: policy: data_shards + parity_shards = 5 shards need as many distinct regions, but 3 regions are configured`},
		{"missing region path", "[[region]]\nname = \"a\"\ntype = \"fs\"\n", `config: region[0].path: missing`},
		{"bad region type", regions + "[[region]]\nname = \"d\"\ntype = \"ftp\"\n", `config: region[3].type: "ftp" is not one of fs, s3`},
		{"s3 secret from an unset variable", regions + "[[region]]\nname = \"d\"\ntype = \"s3\"\nendpoint = \"http://127.0.0.1:1\"\naccess_key = \"x\"\nsecret_key_env = \"PRISMD_E2E_UNSET\"\n", `config: region[3].secret_key_env: environment variable PRISMD_E2E_UNSET is not set`},
		{"bad size", "[policy]\nhybrid_threshold = \"lots\"\n", `config: policy.hybrid_threshold: "lots" is not a size`},
		{"syntax error", "data_dir = \n", `config: line 1:`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := filepath.Join(dir, "prismd.toml")
			if err := os.WriteFile(cfg, []byte(tc.config), 0o644); err != nil {
				t.Fatal(err)
			}
			code, out := runPrismd(t, dir, nil, "serve", "--config", cfg, "--s3-addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0")
			if code != 2 || !strings.Contains(out, tc.want) {
				t.Errorf("exit %d, want 2 with %q:\n%s", code, tc.want, out)
			}
			if _, err := os.Stat(filepath.Join(dir, "data")); err == nil {
				t.Error("a refused config created the data directory")
			}
		})
	}
	t.Run("bad flag value", func(t *testing.T) {
		code, out := runPrismd(t, t.TempDir(), nil, "serve", "--log-level", "loud")
		if code != 2 || !strings.Contains(out, `log_level: "loud" is not one of debug, info, warn, error`) {
			t.Errorf("exit %d:\n%s", code, out)
		}
	})
}

// TestServeEmbeddedDefault runs `prismd serve` without a config: three fs
// regions under ./data/regions, hybrid 2+1 with a 1 MiB threshold.
func TestServeEmbeddedDefault(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := start(t, dir, "", nil)
	out := p.stdout.String()
	for _, want := range []string{"policy:       hybrid 2+1, 2 copies below 1MiB, placement shuffle", "local-a (fs " + filepath.Join(dir, "data", "regions", "a") + ")", "aws --endpoint-url " + p.Endpoint + " s3 mb s3://photos"} {
		if !strings.Contains(out, want) {
			t.Errorf("banner lacks %q:\n%s", want, out)
		}
	}
	c := sdkClient(p, p.Access, p.Secret)
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("photos")}); err != nil {
		t.Fatal(err)
	}
	body := randomBytes(t, 3<<20) // erasure-coded: a shard in each region
	put(t, c, "photos", "big.jpg", body)
	if got, _ := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String("photos"), Key: aws.String("big.jpg")}); !bytes.Equal(got, body) {
		t.Fatal("bytes differ")
	}
	for _, r := range []string{"a", "b", "c"} {
		var files int
		filepath.WalkDir(filepath.Join(dir, "data", "regions", r), func(path string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() && d.Name() == "prismd-system" {
				return filepath.SkipDir // the region's identity marker, not a shard
			}
			if err == nil && !d.IsDir() {
				files++
			}
			return nil
		})
		if files == 0 {
			t.Errorf("region %s holds no shard", r)
		}
	}
	// A second process on the same data directory is refused.
	code, msg := runPrismd(t, dir, nil, "serve", "--s3-addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0")
	if code == 0 || !strings.Contains(msg, "in use by another prismd") {
		t.Errorf("second prismd on the same data dir: exit %d\n%s", code, msg)
	}
}

func fileMode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func TestServeGeneratedCredentialsPersist(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := start(t, dir, "", nil)
	if p.Access == "" || p.Secret == "" {
		t.Fatalf("no credentials in the banner:\n%s", p.stdout)
	}
	for _, f := range []string{"credentials", "master.key"} {
		if m := fileMode(t, filepath.Join(dir, "data", f)); m != 0o600 {
			t.Errorf("data/%s is mode %o, want 600", f, m)
		}
	}
	creds, _ := os.ReadFile(filepath.Join(dir, "data", "credentials"))
	if !strings.Contains(string(creds), p.Access) || !strings.Contains(string(creds), p.Secret) {
		t.Errorf("credentials file does not hold the printed credentials:\n%s", creds)
	}
	ctx := context.Background()
	c := sdkClient(p, p.Access, p.Secret)
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("keep")}); err != nil {
		t.Fatal(err)
	}
	put(t, c, "keep", "k", []byte("still here"))
	if err := p.stop(); err != nil {
		t.Fatalf("%v\n%s", err, p.log())
	}

	// Second start: same credentials, even with others in the environment.
	p2 := start(t, dir, "", []string{"PRISMD_ACCESS_KEY=other", "PRISMD_SECRET_KEY=other-secret-123"})
	if p2.Access != p.Access || p2.Secret != p.Secret {
		t.Errorf("second start printed %s/%s, first %s/%s", p2.Access, p2.Secret, p.Access, p.Secret)
	}
	if !strings.Contains(p2.log(), "root credentials from the environment ignored") {
		t.Errorf("no warning about the ignored environment:\n%s", p2.log())
	}
	c = sdkClient(p2, p.Access, p.Secret)
	if got, _ := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String("keep"), Key: aws.String("k")}); string(got) != "still here" {
		t.Errorf("after restart: %q", got)
	}
	_, err := sdkClient(p2, "other", "other-secret-123").ListBuckets(ctx, &s3.ListBucketsInput{})
	wantCode(t, err, "InvalidAccessKeyId")
}

func TestServeCredentialsFromEnvironment(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := []string{"PRISMD_ACCESS_KEY=envroot", "PRISMD_SECRET_KEY=env-secret-0123456"}
	p := start(t, dir, "", env)
	if p.Access != "envroot" || p.Secret != "" {
		t.Errorf("banner: access %q secret %q; want envroot and the secret not printed\n%s", p.Access, p.Secret, p.stdout)
	}
	if m := fileMode(t, filepath.Join(dir, "data", "credentials")); m != 0o600 {
		t.Errorf("credentials file mode %o", m)
	}
	ctx := context.Background()
	if _, err := sdkClient(p, "envroot", "env-secret-0123456").ListBuckets(ctx, &s3.ListBucketsInput{}); err != nil {
		t.Fatal(err)
	}
	_, err := sdkClient(p, "envroot", "env-secret-wrong").ListBuckets(ctx, &s3.ListBucketsInput{})
	wantCode(t, err, "SignatureDoesNotMatch")
	if err := p.stop(); err != nil {
		t.Fatalf("%v\n%s", err, p.log())
	}
	// Later starts need no environment.
	p2 := start(t, dir, "", nil)
	if _, err := sdkClient(p2, "envroot", "env-secret-0123456").ListBuckets(ctx, &s3.ListBucketsInput{}); err != nil {
		t.Fatalf("after restart without the environment: %v", err)
	}
}

// TestServeDrainsOnSIGTERM starts a slow PUT, sends SIGTERM in its middle,
// and checks that the PUT completes, new connections are refused, /health
// turns 503, prismd exits 0, and the object is there after a restart.
func TestServeDrainsOnSIGTERM(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := []string{"PRISMD_ACCESS_KEY=" + rootKey, "PRISMD_SECRET_KEY=" + rootSecret}
	p := start(t, dir, "", env)
	ctx := context.Background()
	c := sdkClient(p, rootKey, rootSecret)
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("drain")}); err != nil {
		t.Fatal(err)
	}
	body := randomBytes(t, 6<<20)
	pu, err := s3.NewPresignClient(c).PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("drain"), Key: aws.String("slow")})
	if err != nil {
		t.Fatal(err)
	}
	// With Expect: 100-continue the client sends the body only once the
	// handler reads it: when the first write below returns, the request is
	// in flight on the server (not just queued in a socket buffer).
	pr, pw := io.Pipe()
	req, _ := http.NewRequest(http.MethodPut, pu.URL, pr)
	req.ContentLength = int64(len(body))
	req.Header.Set("Expect", "100-continue")
	client := &http.Client{Transport: &http.Transport{ExpectContinueTimeout: time.Minute}}
	type result struct {
		status int
		msg    string
		err    error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := client.Do(req)
		if err != nil {
			done <- result{err: err}
			return
		}
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		done <- result{status: resp.StatusCode, msg: string(msg)}
	}()
	if _, err := pw.Write(body[:1<<20]); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// While draining: /health says 503, the S3 listener takes no new connection.
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(p.Admin + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusServiceUnavailable {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("/health did not turn 503 while draining (last %v)", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if conn, err := net.DialTimeout("tcp", p.hostPort(), time.Second); err == nil {
		conn.Close()
		t.Error("the S3 listener still accepts connections while draining")
	}
	for off := 1 << 20; off < len(body); off += 1 << 20 {
		time.Sleep(100 * time.Millisecond)
		if _, err := pw.Write(body[off : off+1<<20]); err != nil {
			t.Fatalf("writing the body during the drain: %v", err)
		}
	}
	pw.Close()
	r := <-done
	if r.err != nil || r.status != http.StatusOK {
		t.Fatalf("in-flight PUT during drain: %d %v\n%s", r.status, r.err, r.msg)
	}
	select {
	case <-p.done:
	case <-time.After(time.Minute):
		t.Fatal("prismd did not exit after the drain")
	}
	if p.waitErr != nil {
		t.Fatalf("prismd exited with %v after SIGTERM\n%s", p.waitErr, p.log())
	}
	if log := p.log(); !strings.Contains(log, "draining in-flight requests") || !strings.Contains(log, "prismd stopped") {
		t.Errorf("shutdown not logged:\n%s", log)
	}

	p2 := start(t, dir, "", env)
	if got, _ := getBytes(t, sdkClient(p2, rootKey, rootSecret), &s3.GetObjectInput{Bucket: aws.String("drain"), Key: aws.String("slow")}); !bytes.Equal(got, body) {
		t.Fatal("the PUT acknowledged during the drain is not there after a restart")
	}
}

func TestHealthAndMetrics(t *testing.T) {
	t.Parallel()
	p := shared(t)
	resp, err := http.Get(p.Admin + "/health")
	if err != nil {
		t.Fatal(err)
	}
	var h struct {
		Status  string
		Regions []struct {
			Name    string
			Healthy bool
		}
	}
	err = json.NewDecoder(resp.Body).Decode(&h)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || h.Status != "serving" || len(h.Regions) != 3 || !h.Regions[0].Healthy {
		t.Errorf("/health: %s %+v %v", resp.Status, h, err)
	}

	// One S3 request, then its line in the debug log and its count in /metrics.
	resp, err = http.Get(p.Endpoint + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	id := resp.Header.Get("X-Amz-Request-Id")
	if id == "" {
		t.Fatal("no x-amz-request-id")
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(p.log(), "request_id="+id) {
		if time.Now().After(deadline) {
			t.Fatalf("no debug log line for request %s", id)
		}
		time.Sleep(20 * time.Millisecond)
	}

	resp, err = http.Get(p.Admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`prismd_up 1`, `prismd_region_healthy{region="local-a"} 1`, `prismd_pending_shards `, `prismd_pending_purges `, `prismd_s3_requests_total{code="403",method="get"}`, `prismd_build_info{version=`} {
		if !bytes.Contains(metrics, []byte(want)) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// TestServeS3Regions runs prismd over three real S3 regions (versitygw
// processes): `type = "s3"` regions from the config, one with its secret in
// an environment variable, one in prefix mode inside a single bucket.
func TestServeS3Regions(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var vs []*s3test.Server
	for i := range 3 {
		vs = append(vs, s3test.StartVersity(t, filepath.Join(dir, fmt.Sprintf("versity%d", i))))
	}
	cfg := fmt.Sprintf(`
data_dir = "data"
[policy]
mode = "erasure"
data_shards = 2
parity_shards = 1
[[region]]
name = "v0"
type = "s3"
endpoint = %q
region = "us-east-1"
access_key = %q
secret_key = %q
path_style = true
[[region]]
name = "v1"
type = "s3"
endpoint = %q
access_key = %q
secret_key_env = "PRISMD_E2E_V1_SECRET"
path_style = true
[[region]]
name = "v2"
type = "s3"
endpoint = %q
access_key = %q
secret_key = %q
path_style = true
bucket = "prismd-shared"
`, vs[0].Endpoint(), vs[0].AccessKey(), vs[0].SecretKey(),
		vs[1].Endpoint(), vs[1].AccessKey(),
		vs[2].Endpoint(), vs[2].AccessKey(), vs[2].SecretKey())
	env := []string{"PRISMD_ACCESS_KEY=" + rootKey, "PRISMD_SECRET_KEY=" + rootSecret, "PRISMD_E2E_V1_SECRET=" + vs[1].SecretKey()}
	p := start(t, dir, cfg, env)
	ctx := context.Background()
	c := sdkClient(p, rootKey, rootSecret)
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("over-s3")}); err != nil {
		t.Fatal(err)
	}
	small, large := randomBytes(t, 1000), randomBytes(t, 5<<20+3)
	put(t, c, "over-s3", "small", small)
	put(t, c, "over-s3", "dir/large", large)
	for k, want := range map[string][]byte{"small": small, "dir/large": large} {
		if got, _ := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String("over-s3"), Key: aws.String(k)}); !bytes.Equal(got, want) {
			t.Errorf("%s: bytes differ", k)
		}
	}
	// Every region holds data; the prefix-mode region in its one bucket.
	for i, v := range vs {
		var files int
		filepath.WalkDir(v.DataDir(), func(path string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() && d.Name() == "prismd-system" {
				return filepath.SkipDir // the region's identity marker, not a shard
			}
			if err == nil && !d.IsDir() {
				files++
			}
			return nil
		})
		if files == 0 {
			t.Errorf("region v%d holds nothing", i)
		}
	}
	if _, err := os.Stat(filepath.Join(vs[2].DataDir(), "prismd-shared")); err != nil {
		t.Errorf("prefix-mode region: %v", err)
	}
	if err := p.stop(); err != nil {
		t.Fatalf("%v\n%s", err, p.log())
	}
	p2 := start(t, dir, cfg, env)
	if got, _ := getBytes(t, sdkClient(p2, rootKey, rootSecret), &s3.GetObjectInput{Bucket: aws.String("over-s3"), Key: aws.String("dir/large")}); !bytes.Equal(got, large) {
		t.Error("after restart: bytes differ")
	}
}
