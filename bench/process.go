package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prismd/prismd/internal/gobin"
)

// readyTimeout bounds how long a started process may take to answer.
const readyTimeout = 30 * time.Second

// Process is a child process of the standard set: a versitygw region or
// prismd serve. Stop ends it by its PID.
type Process struct {
	Name    string
	Command string // the command line, for the report
	LogPath string // stdout and stderr

	cmd    *exec.Cmd
	exited chan struct{}
	log    *os.File
	once   sync.Once
}

// startProcess starts bin with args, its output appended to logPath. The
// child gets SIGKILL if this process dies first (Linux).
func startProcess(name, bin string, args, env []string, logPath string, stdout io.Writer) (*Process, error) {
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrProcess, name, err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = logf
	cmd.Stdout = logf
	if stdout != nil {
		cmd.Stdout = io.MultiWriter(logf, stdout)
	}
	setParentDeathSignal(cmd)
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("%w: start %s: %v", ErrProcess, name, err)
	}
	p := &Process{Name: name, Command: bin + " " + strings.Join(args, " "), LogPath: logPath, cmd: cmd, exited: make(chan struct{}), log: logf}
	go func() {
		_ = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// PID returns the process id.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Exited reports whether the process has ended.
func (p *Process) Exited() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// Stop sends SIGTERM to the process's PID, waits up to grace for it to
// exit, then sends SIGKILL. Stopping a stopped process does nothing.
func (p *Process) Stop(grace time.Duration) {
	p.once.Do(func() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(grace):
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
		p.log.Close()
	})
}

// tail returns the last lines of the process's log, for error messages.
func (p *Process) tail() string {
	data, _ := os.ReadFile(p.LogPath)
	if len(data) > 2000 {
		data = data[len(data)-2000:]
	}
	return string(data)
}

// PeakRSS returns the peak resident set size of process pid in bytes
// (VmHWM in /proc/PID/status; Linux only).
func PeakRSS(pid int) (int64, error) { return procStatusBytes(pid, "VmHWM") }

// CurrentRSS returns the resident set size of process pid in bytes (VmRSS
// in /proc/PID/status; Linux only).
func CurrentRSS(pid int) (int64, error) { return procStatusBytes(pid, "VmRSS") }

// procStatusBytes returns a field of /proc/PID/status given in kB, in bytes.
func procStatusBytes(pid int, field string) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("%s %q: %w", field, v, err)
			}
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}

// freeAddr returns a 127.0.0.1 address with a port that was free a moment ago.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// waitHTTP waits until url answers with any status (want 0) or with want.
func waitHTTP(ctx context.Context, p *Process, url string, want int) error {
	return waitHTTPWithin(ctx, p, url, want, readyTimeout)
}

func waitHTTPWithin(ctx context.Context, p *Process, url string, want int, limit time.Duration) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(limit)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if want == 0 || resp.StatusCode == want {
				return nil
			}
		}
		if p.Exited() {
			return fmt.Errorf("%w: %s exited at start:\n%s", ErrProcess, p.Name, p.tail())
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("%w: %s did not answer %s within %v:\n%s", ErrProcess, p.Name, url, readyTimeout, p.tail())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Versity is a versitygw process serving a directory on 127.0.0.1.
type Versity struct {
	*Process
	Endpoint             string
	AccessKey, SecretKey string
}

// StartVersity starts versitygw (bin) serving dir/data on a free port of
// 127.0.0.1 and waits until it answers.
func StartVersity(ctx context.Context, bin, name, dir string) (*Versity, error) {
	for _, sub := range []string{"data", "iam"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrProcess, err)
		}
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrProcess, err)
	}
	v := &Versity{Endpoint: "http://" + addr, AccessKey: "benchroot", SecretKey: "benchroot-secret"}
	v.Process, err = startProcess(name, bin, []string{
		"--port", addr, "--access", v.AccessKey, "--secret", v.SecretKey, "--region", DefaultRegion,
		"--iam-dir", filepath.Join(dir, "iam"), "--quiet", "--keep-alive", "posix", filepath.Join(dir, "data"),
	}, nil, filepath.Join(dir, "versitygw.log"), nil)
	if err != nil {
		return nil, err
	}
	if err := waitHTTP(ctx, v.Process, v.Endpoint, 0); err != nil {
		v.Stop(time.Second)
		return nil, err
	}
	return v, nil
}

// Gateway is a `prismd serve` process.
type Gateway struct {
	*Process
	Endpoint             string // S3
	Admin                string // management listener
	DataDir              string // as its banner prints it
	AccessKey, SecretKey string
}

// AdminToken returns the bearer token the gateway wrote to its data
// directory (admin.token) for callers on its host: the management
// listener's endpoints but /health and /metrics need it.
func (g *Gateway) AdminToken() (string, error) {
	b, err := os.ReadFile(filepath.Join(g.DataDir, "admin.token"))
	if err != nil {
		return "", fmt.Errorf("%w: admin token: %v", ErrProcess, err)
	}
	return strings.TrimSpace(string(b)), nil
}

// StartGateway writes config to dir/prismd.toml and starts `bin serve`
// with it on free ports of 127.0.0.1, the root credentials given in the
// environment, and waits until /health answers 200.
func StartGateway(ctx context.Context, bin, dir, config, accessKey, secretKey string) (*Gateway, error) {
	return StartGatewayWithin(ctx, bin, dir, config, accessKey, secretKey, readyTimeout)
}

// StartGatewayWithin is StartGateway waiting up to ready for the gateway
// to serve (one with a large state loads it first).
func StartGatewayWithin(ctx context.Context, bin, dir, config, accessKey, secretKey string, ready time.Duration) (*Gateway, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrProcess, err)
	}
	cfgPath := filepath.Join(dir, "prismd.toml")
	if err := os.WriteFile(cfgPath, []byte(config), 0o600); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrProcess, err)
	}
	banner := newBannerWriter("S3 endpoint:", "admin:", "data dir:")
	g := &Gateway{AccessKey: accessKey, SecretKey: secretKey}
	var err error
	g.Process, err = startProcess("prismd", bin,
		[]string{"serve", "--config", cfgPath, "--s3-addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0"},
		[]string{"PRISMD_ACCESS_KEY=" + accessKey, "PRISMD_SECRET_KEY=" + secretKey},
		filepath.Join(dir, "prismd.log"), banner)
	if err != nil {
		return nil, err
	}
	select {
	case <-banner.found:
	case <-g.exited:
		return nil, fmt.Errorf("%w: prismd serve exited at start:\n%s", ErrProcess, g.tail())
	case <-time.After(ready):
		g.Stop(5 * time.Second)
		return nil, fmt.Errorf("%w: prismd serve printed no endpoints within %v:\n%s", ErrProcess, ready, g.tail())
	}
	g.Endpoint, g.Admin, g.DataDir = banner.value("S3 endpoint:"), banner.value("admin:"), banner.value("data dir:")
	if !filepath.IsAbs(g.DataDir) {
		g.DataDir = filepath.Join(dir, g.DataDir)
	}
	if err := waitHTTPWithin(ctx, g.Process, g.Admin+"/health", http.StatusOK, ready); err != nil {
		g.Stop(5 * time.Second)
		return nil, err
	}
	return g, nil
}

// Relay is a `prismd bench relay` process: a plain reverse proxy (NewRelay)
// in front of one region.
type Relay struct {
	*Process
	Endpoint string
}

// StartRelay starts `bin bench relay` on a free port of 127.0.0.1 in front
// of target, its log in dir, and waits until it answers.
func StartRelay(ctx context.Context, bin, dir, target string) (*Relay, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrProcess, err)
	}
	banner := newBannerWriter("relay:")
	r := &Relay{}
	var err error
	r.Process, err = startProcess("relay", bin, []string{"bench", "relay", "--listen", "127.0.0.1:0", "--to", target},
		nil, filepath.Join(dir, "relay.log"), banner)
	if err != nil {
		return nil, err
	}
	select {
	case <-banner.found:
	case <-r.exited:
		r.Stop(time.Second)
		return nil, fmt.Errorf("%w: prismd bench relay exited at start:\n%s", ErrProcess, r.tail())
	case <-time.After(readyTimeout):
		r.Stop(time.Second)
		return nil, fmt.Errorf("%w: prismd bench relay printed no address within %v:\n%s", ErrProcess, readyTimeout, r.tail())
	}
	r.Endpoint = banner.value("relay:")
	if err := waitHTTP(ctx, r.Process, r.Endpoint, 0); err != nil {
		r.Stop(time.Second)
		return nil, err
	}
	return r, nil
}

// bannerWriter finds, in a process's output, the word after each of its
// prefixes at the start of a line ("S3 endpoint: http://…"); found is
// closed when it has them all.
type bannerWriter struct {
	mu     sync.Mutex
	buf    strings.Builder
	values map[string]string // prefix → value, "" until found
	found  chan struct{}
}

func newBannerWriter(prefixes ...string) *bannerWriter {
	b := &bannerWriter{values: make(map[string]string), found: make(chan struct{})}
	for _, p := range prefixes {
		b.values[p] = ""
	}
	return b
}

func (b *bannerWriter) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.complete() {
		return len(p), nil
	}
	b.buf.Write(p)
	text := b.buf.String()
	text = text[:strings.LastIndexByte(text, '\n')+1] // whole lines only
	for line := range strings.SplitSeq(text, "\n") {
		for prefix := range b.values {
			if rest, ok := strings.CutPrefix(strings.TrimSpace(line), prefix); ok {
				if f := strings.Fields(rest); len(f) > 0 {
					b.values[prefix] = f[0]
				}
			}
		}
	}
	if b.complete() {
		close(b.found)
	}
	return len(p), nil
}

// complete reports whether every prefix has its value; b.mu is held.
func (b *bannerWriter) complete() bool {
	for _, v := range b.values {
		if v == "" {
			return false
		}
	}
	return true
}

func (b *bannerWriter) value(prefix string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.values[prefix]
}

// FindVersity returns the versitygw binary: on PATH, else in $GOPATH/bin.
func FindVersity() (string, error) { return findTool("versitygw", gobin.VersityPackage) }

// findTool returns the binary name, installed by `go install pkg`: on
// PATH, else in $GOPATH/bin.
func findTool(name, pkg string) (string, error) {
	p, err := gobin.Find(name, pkg)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrProcess, err)
	}
	return p, nil
}
