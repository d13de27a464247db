// Package e2e runs a real `prismd serve` process on 127.0.0.1 and drives it
// with real S3 clients: aws-sdk-go-v2 and minio-go from Go, and the aws cli,
// boto3, s3cmd and rclone as their users run them. `make test` installs the
// clients; a test whose client is missing fails, it never skips.
//
// TestMain builds bin/prismd once into a temporary directory. Tests that need
// no isolation share one process (a bucket each); tests of start-up,
// credentials and shutdown start their own.
package e2e

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	prismdBin string // built by TestMain
	workDir   string // removed after the run
	bigFile   string // 50 MiB of random bytes shared by the client tests

	sharedOnce sync.Once
	sharedProc *proc
	sharedErr  error
)

// Credentials of the shared process: the root key comes from the
// environment on first start; alice is a read-only key scoped to one bucket.
const (
	rootKey     = "e2eroot"
	rootSecret  = "e2e-root-secret-0123456789"
	aliceKey    = "alice"
	aliceSecret = "alice-secret-0123"
	aliceBucket = "alice-photos"
	bigSize     = 50 << 20
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	var err error
	if workDir, err = os.MkdirTemp("", "prismd-e2e-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if os.Getenv("PRISMD_E2E_KEEP") != "" {
		fmt.Fprintf(os.Stderr, "e2e: keeping %s\n", workDir)
	} else {
		defer os.RemoveAll(workDir)
	}
	prismdBin = filepath.Join(workDir, "prismd")
	build := exec.Command("go", "build", "-o", prismdBin, "github.com/prismd/prismd/cmd/prismd")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: go build ./cmd/prismd: %v\n%s", err, out)
		return 1
	}
	bigFile = filepath.Join(workDir, "big.bin")
	if err := writeRandomFile(bigFile, bigSize); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	code := m.Run()
	if sharedProc != nil {
		if err := sharedProc.stop(); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: shared prismd: %v\n", err)
			sharedProc.dumpLog(os.Stderr)
			code = 1
		}
	}
	return code
}

// shared returns the process shared by the client tests, starting it on first use.
func shared(t *testing.T) *proc {
	t.Helper()
	sharedOnce.Do(func() {
		dir := filepath.Join(workDir, "shared")
		cfg := fmt.Sprintf(`
data_dir = "data"
log_level = "debug"
[[access_key]]
access_key = %q
secret_key = %q
buckets = [%q]
read_only = true
`, aliceKey, aliceSecret, aliceBucket)
		sharedProc, sharedErr = startProc(dir, cfg, []string{"PRISMD_ACCESS_KEY=" + rootKey, "PRISMD_SECRET_KEY=" + rootSecret})
	})
	if sharedErr != nil {
		t.Fatalf("start shared prismd: %v", sharedErr)
	}
	return sharedProc
}

// proc is a running `prismd serve`.
type proc struct {
	dir      string // holds prismd.toml, stderr.log and (by default) data/
	cmd      *exec.Cmd
	done     chan struct{}
	waitErr  error
	stdout   *lockedBuffer
	stderr   string // path of the stderr log
	Endpoint string // http://127.0.0.1:port
	Admin    string // http://127.0.0.1:port
	Access   string
	Secret   string // "" when the banner does not print it
	DataDir  string // as the banner prints it (relative to dir unless absolute)
	// AdminPassword is the generated admin password ("" when
	// PRISMD_ADMIN_PASSWORD set it or it was set before).
	AdminPassword string
}

// adminToken returns the bearer token the server wrote to its data directory.
func (p *proc) adminToken() (string, error) {
	dataDir := p.DataDir
	if !filepath.IsAbs(dataDir) {
		dataDir = filepath.Join(p.dir, dataDir)
	}
	b, err := os.ReadFile(filepath.Join(dataDir, "admin.token"))
	return strings.TrimSpace(string(b)), err
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) add(s string) { l.mu.Lock(); l.b.WriteString(s); l.mu.Unlock() }
func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startProc writes cfg (if not empty) to dir/prismd.toml and starts prismd on
// free ports, waiting for its banner and for /health to answer 200.
func startProc(dir, cfg string, env []string, extraArgs ...string) (*proc, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	args := []string{"serve", "--s3-addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0"}
	if cfg != "" {
		path := filepath.Join(dir, "prismd.toml")
		if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
			return nil, err
		}
		args = append(args, "--config", path)
	}
	args = append(args, extraArgs...)
	p := &proc{dir: dir, done: make(chan struct{}), stdout: &lockedBuffer{}, stderr: filepath.Join(dir, "stderr.log")}
	errFile, err := os.OpenFile(p.stderr, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer errFile.Close()
	p.cmd = exec.Command(prismdBin, args...)
	p.cmd.Dir = dir
	p.cmd.Env = append(cleanEnv(), env...)
	p.cmd.Stderr = errFile
	setParentDeathSignal(p.cmd)
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	banner := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		closed := false
		for sc.Scan() {
			line := sc.Text()
			p.stdout.add(line + "\n")
			if f := strings.Fields(line); !closed {
				// The banner ends with the "try:" hints; its last line is
				// the aws cli example (tests read the whole banner).
				switch {
				case strings.HasPrefix(strings.TrimSpace(line), "aws --endpoint-url "):
					closed = true
					close(banner)
				case len(f) < 3:
				case strings.HasPrefix(line, "S3 endpoint:"):
					p.Endpoint = f[2]
				case strings.HasPrefix(line, "admin:"):
					p.Admin = f[1]
				case strings.HasPrefix(line, "data dir:"):
					p.DataDir = f[2]
				case strings.HasPrefix(line, "admin login:"):
					p.AdminPassword = f[2]
				case strings.HasPrefix(line, "access key:"):
					p.Access = f[2]
				case strings.HasPrefix(line, "secret key:"):
					if !strings.HasPrefix(f[2], "(") {
						p.Secret = f[2]
					}
				}
			}
		}
		if !closed {
			close(banner)
		}
	}()
	go func() { p.waitErr = p.cmd.Wait(); close(p.done) }()
	select {
	case <-banner:
	case <-time.After(time.Minute):
	}
	if p.Endpoint == "" || p.Admin == "" {
		p.kill()
		return nil, fmt.Errorf("no banner from prismd %s\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), p.stdout, p.log())
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(p.Admin + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, nil
			}
		}
		if time.Now().After(deadline) {
			p.kill()
			return nil, fmt.Errorf("/health never answered 200 (last: %v)\n%s", err, p.log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// start is startProc for a test: the process is stopped (and its exit
// status checked) when the test ends, if the test did not stop it.
func start(t *testing.T, dir, cfg string, env []string, extraArgs ...string) *proc {
	t.Helper()
	p, err := startProc(dir, cfg, env, extraArgs...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			if err := p.stop(); err != nil {
				t.Errorf("stop prismd: %v\n%s", err, p.log())
			}
		}
	})
	return p
}

// stop sends SIGTERM and waits; it fails unless prismd exits 0 within a minute.
func (p *proc) stop() error {
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	select {
	case <-p.done:
	case <-time.After(time.Minute):
		p.kill()
		return errors.New("prismd did not exit within a minute of SIGTERM")
	}
	if p.waitErr != nil {
		return fmt.Errorf("prismd exited with %v after SIGTERM", p.waitErr)
	}
	return nil
}

func (p *proc) kill() {
	p.cmd.Process.Kill()
	<-p.done
}

func (p *proc) log() string {
	b, _ := os.ReadFile(p.stderr)
	const max = 20000
	if len(b) > max {
		b = append([]byte("…"), b[len(b)-max:]...)
	}
	return string(b)
}

func (p *proc) dumpLog(w io.Writer) { fmt.Fprintln(w, p.log()) }

// hostPort is the S3 endpoint without its scheme.
func (p *proc) hostPort() string { return strings.TrimPrefix(p.Endpoint, "http://") }

// cleanEnv is the test's environment without anything that would steer a
// client or prismd away from what the test sets (AWS profiles and keys,
// PRISMD_*). AWS_CA_BUNDLE is kept: users have it set too.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "PRISMD_"), strings.HasPrefix(k, "RCLONE_"),
			k == "AWS_ACCESS_KEY_ID", k == "AWS_SECRET_ACCESS_KEY", k == "AWS_SESSION_TOKEN",
			k == "AWS_PROFILE", k == "AWS_DEFAULT_PROFILE", k == "AWS_ENDPOINT_URL",
			k == "AWS_CONFIG_FILE", k == "AWS_SHARED_CREDENTIALS_FILE", k == "AWS_REGION", k == "AWS_DEFAULT_REGION":
			continue
		}
		env = append(env, kv)
	}
	return env
}

// writeRandomFile writes size random bytes to path.
func writeRandomFile(path string, size int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.CopyN(f, rand.Reader, size); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func sha256File(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func sha256Bytes(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// makeTree writes a small directory tree (nested directories, an empty file,
// names with spaces and non-ASCII, sizes on both sides of the 1 MiB hybrid
// threshold) and returns its files' relative paths.
func makeTree(t *testing.T, dir string) []string {
	t.Helper()
	files := map[string]int{
		"readme.txt":                1200,
		"empty":                     0,
		"docs/a b+c.txt":            5000,
		"docs/café.md":              777,
		"docs/deep/er/notes.txt":    64 << 10,
		"img/one.jpg":               900 << 10,
		"img/two.jpg":               (1 << 20) + 12345,
		"img/three.raw":             2 << 20,
		"data/2024/01/records.csv":  300 << 10,
		"data/2024/02/records.csv":  10,
		"data/2025/records.parquet": 1 << 20,
		"data/ünïcode/ファイル.txt":     42,
	}
	var names []string
	for name, size := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := writeRandomFile(path, int64(size)); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	return names
}

// treeSums maps every regular file under dir (relative, slash-separated) to its sha256.
func treeSums(t *testing.T, dir string) map[string]string {
	t.Helper()
	sums := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		sums[filepath.ToSlash(rel)] = sha256File(t, path)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return sums
}

// sameTree fails the test unless both trees hold the same files with the same bytes.
func sameTree(t *testing.T, want, got string) {
	t.Helper()
	w, g := treeSums(t, want), treeSums(t, got)
	for name, sum := range w {
		if g[name] != sum {
			if g[name] == "" {
				t.Errorf("%s: missing from %s", name, got)
			} else {
				t.Errorf("%s: content differs", name)
			}
		}
	}
	for name := range g {
		if _, ok := w[name]; !ok {
			t.Errorf("%s: in %s but not in %s", name, got, want)
		}
	}
}

// runCmd runs a client command; it fails the test with the command's output
// unless the command succeeds.
func runCmd(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// needBinary fails the test (never skips it) when a client is missing.
func needBinary(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not installed (run `make test`, which installs it): %v", name, err)
	}
	return path
}

// curlFetch downloads url with curl into path.
func curlFetch(t *testing.T, url, path string) {
	t.Helper()
	runCmd(t, cleanEnv(), needBinary(t, "curl"), "-sS", "--fail-with-body", "-o", path, url)
}

func uniqueBucket(prefix string) string {
	b := make([]byte, 4)
	rand.Read(b)
	return fmt.Sprintf("%s-%x", prefix, b)
}
