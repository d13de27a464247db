package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestTraceDuringLargePuts: an operator takes an execution trace
// (/debug/pprof/trace) of a gateway busy with large PUTs, whose ETags
// md5-simd hashes several at once. The gateway answers with the trace and
// goes on serving: every PUT succeeds. (md5-simd's assembly leaves the
// frame pointer register clobbered, and the tracer's frame-pointer stack
// walks crashed prismd with SIGSEGV within seconds; prismd now runs with
// GODEBUG=tracefpunwindoff=1, started again with it by itself.)
func TestTraceDuringLargePuts(t *testing.T) {
	t.Parallel()
	p := start(t, t.TempDir(), "", nil)
	if environ, err := os.ReadFile(filepath.Join("/proc", fmt.Sprint(p.cmd.Process.Pid), "environ")); err == nil {
		var godebug string
		for kv := range strings.SplitSeq(string(environ), "\x00") {
			if v, ok := strings.CutPrefix(kv, "GODEBUG="); ok {
				godebug = v
			}
		}
		if !slices.Contains(strings.Split(godebug, ","), "tracefpunwindoff=1") {
			t.Errorf("prismd runs with GODEBUG=%q, want tracefpunwindoff=1 in it", godebug)
		}
	}
	c := sdkClient(p, p.Access, p.Secret)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	bucket := "traced"
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	body := randomBytes(t, 4<<20) // erasure-coded, hashed in an md5-simd lane
	var puts atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 6 {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				key := fmt.Sprintf("w%d/%d", w, i)
				_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)})
				if err != nil && ctx.Err() == nil {
					errs <- fmt.Errorf("PUT %s: %w", key, err)
					return
				}
				puts.Add(1)
			}
		})
	}
	waitUntil(t, "six PUTs done", func() bool { return puts.Load() >= 6 || len(errs) > 0 })
	token, err := p.adminToken()
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", p.Admin+"/debug/pprof/trace?seconds=2", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	before := puts.Load()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("trace: %v\n%s", err, p.log())
	}
	trace, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	during := puts.Load() - before
	cancel()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("%v\n%s", err, p.log())
	}
	if err != nil || resp.StatusCode != http.StatusOK || !strings.HasPrefix(string(trace), "go 1.") {
		t.Fatalf("trace: %s, %d bytes starting %q, %v\n%s", resp.Status, len(trace), trace[:min(len(trace), 16)], err, p.log())
	}
	if during == 0 {
		t.Errorf("no PUT completed during the trace")
	}
	if resp, err := http.Get(p.Admin + "/health"); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("/health after the trace: %v\n%s", err, p.log())
	}
}
