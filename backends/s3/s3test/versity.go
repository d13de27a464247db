package s3test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	mathrand "math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/prismd/prismd/internal/gobin"
)

// Region is the signing region versitygw is started with.
const Region = "us-east-1"

const (
	accessKey = "prismdtest"
	// startTimeout bounds how long Start waits for the server to answer.
	startTimeout = 15 * time.Second
)

// Server is one versitygw process serving a directory on 127.0.0.1.
type Server struct {
	t    testing.TB
	bin  string
	dir  string
	addr string // 127.0.0.1:port, kept across restarts
	// secret is this server's own secret key: a signed request that
	// succeeds proves the answer came from this server and not from
	// another process that took the port while this one was stopped.
	secret string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	output *lockedWriter
}

// StartVersity starts versitygw serving dir (dir/data holds the objects,
// dir/iam the accounts) on a free port and stops it when t ends.
func StartVersity(t testing.TB, dir string) *Server {
	t.Helper()
	bin, err := gobin.Versity()
	if err != nil {
		t.Fatalf("s3test: %v", err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatalf("s3test: %v", err)
	}
	for _, sub := range []string{"data", "iam"} {
		if err := os.MkdirAll(filepath.Join(abs, sub), 0o755); err != nil {
			t.Fatalf("s3test: %v", err)
		}
	}
	addr, reservation := freeAddr(t)
	s := &Server{t: t, bin: bin, dir: abs, addr: addr, secret: "prismdtest-" + rand.Text()}
	t.Cleanup(func() {
		s.Stop()
		if reservation != nil {
			reservation.Close()
		}
	})
	s.Start()
	return s
}

// freeAddr picks a free port below the kernel's ephemeral range and
// reserves it against the other test processes (see reservePort); the
// caller closes the returned file once its server is stopped for good. A
// server keeps its port across Stop and Start; a port from the ephemeral
// range could meanwhile be handed to any listener asking for port 0 or to
// an outgoing connection, and the restarted server would fail to bind it.
func freeAddr(t testing.TB) (string, *os.File) {
	t.Helper()
	low := ephemeralLow()
	for range 1000 {
		port := 10000 + mathrand.IntN(low-10000)
		reservation, ok := reservePort(port)
		if !ok {
			continue
		}
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			if reservation != nil {
				reservation.Close()
			}
			continue
		}
		addr := l.Addr().String()
		l.Close()
		return addr, reservation
	}
	t.Fatalf("s3test: no free port in 10000..%d", low)
	return "", nil
}

// ephemeralLow is the first port of the kernel's ephemeral range (32768
// when it cannot be read).
func ephemeralLow() int {
	data, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err == nil {
		var lo, hi int
		if _, err := fmt.Sscan(string(data), &lo, &hi); err == nil && lo > 11000 {
			return lo
		}
	}
	return 32768
}

// Endpoint returns the server's URL, e.g. "http://127.0.0.1:38211".
func (s *Server) Endpoint() string { return "http://" + s.addr }

// AccessKey returns the root account's access key.
func (s *Server) AccessKey() string { return accessKey }

// SecretKey returns the root account's secret key.
func (s *Server) SecretKey() string { return s.secret }

// DataDir returns the directory holding <bucket>/<key> files.
func (s *Server) DataDir() string { return filepath.Join(s.dir, "data") }

// PID returns the running process's id, or 0 when stopped.
func (s *Server) PID() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// Start starts the server (again) on its port with its directory and waits
// until it answers HTTP. It does nothing when the server is running.
func (s *Server) Start() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return
	}
	cmd := exec.Command(s.bin,
		"--port", s.addr,
		"--access", accessKey, "--secret", s.secret,
		"--region", Region,
		"--iam-dir", filepath.Join(s.dir, "iam"),
		"--quiet", "--keep-alive", // as real providers do: connections are reused
		"posix", filepath.Join(s.dir, "data"))
	out := &lockedWriter{}
	cmd.Stdout, cmd.Stderr = out, out
	setParentDeathSignal(cmd)
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("s3test: start versitygw: %v", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	s.cmd, s.exited, s.output = cmd, exited, out
	deadline := time.Now().Add(startTimeout)
	for {
		if s.answers() {
			return
		}
		select {
		case <-exited:
			s.cmd = nil
			s.t.Fatalf("s3test: versitygw exited at start: %s", out.String())
		default:
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-exited
			s.cmd = nil
			s.t.Fatalf("s3test: versitygw did not answer on %s within %v: %s", s.addr, startTimeout, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// answers reports whether this server (its own secret key) answers a
// signed ListBuckets.
func (s *Server) answers() bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	client := awss3.New(awss3.Options{
		Region:       Region,
		BaseEndpoint: aws.String(s.Endpoint()),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(accessKey, s.secret, ""),
		Retryer:      aws.NopRetryer{},
	})
	_, err := client.ListBuckets(ctx, &awss3.ListBucketsInput{})
	return err == nil
}

// Stop kills the server by its PID and waits for it to exit. The data
// directory is kept, so Start brings the same objects back. Stop on a
// stopped server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.exited
	s.cmd = nil
}

// lockedWriter collects the process's output for error messages.
type lockedWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
