package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prismd/prismd/backends/s3/s3test"
	"github.com/prismd/prismd/bench"
)

func TestBenchRelay(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.Host+" "+r.URL.RequestURI())
	}))
	defer upstream.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	exit := make(chan int, 1)
	go func() {
		exit <- benchRelay(ctx, []string{"--listen", "127.0.0.1:0", "--to", upstream.URL}, pw, io.Discard)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("no banner line: %v", err)
	}
	f := strings.Fields(line)
	if len(f) < 2 || f[0] != "relay:" || !strings.HasPrefix(f[1], "http://127.0.0.1:") {
		t.Fatalf("banner %q, want \"relay: http://127.0.0.1:PORT …\"", line)
	}
	go io.Copy(io.Discard, pr)
	resp, err := http.Get(f[1] + "/bucket/key?uploads")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := strings.TrimPrefix(f[1], "http://") + " /bucket/key?uploads"; resp.StatusCode != http.StatusOK || string(body) != want {
		t.Errorf("through the relay: %s %q, want 200 %q", resp.Status, body, want)
	}
	cancel()
	if code := <-exit; code != 0 {
		t.Errorf("exit status %d after the context ended, want 0", code)
	}
}

func TestBenchRelayUsage(t *testing.T) {
	for _, args := range [][]string{{}, {"--to", "127.0.0.1:9000"}, {"--to", "http://127.0.0.1:1", "extra"}} {
		var stderr strings.Builder
		if code := benchRelay(context.Background(), args, io.Discard, &stderr); code != 2 {
			t.Errorf("%q: exit status %d, want 2 (%s)", args, code, stderr.String())
		}
	}
}

func TestBenchProcessesFlag(t *testing.T) {
	var ps []bench.ServerProcess
	v := benchProcesses{&ps}
	if err := v.Set("gateway:42, region:43"); err != nil {
		t.Fatal(err)
	}
	if err := v.Set("region:44"); err != nil {
		t.Fatal(err)
	}
	if got := v.String(); got != "gateway:42,region:43,region:44" {
		t.Errorf("String() = %q", got)
	}
	for _, bad := range []string{"", "gateway", "gateway:", "gateway:x", "gateway:0", "gateway:-1", "client:42", "42:gateway"} {
		var ps []bench.ServerProcess
		if err := (benchProcesses{&ps}).Set(bad); err == nil {
			t.Errorf("Set(%q) accepted: %+v", bad, ps)
		}
	}
}

// TestBenchCPUFlag runs `prismd bench --cpu region:PID` against a real
// versitygw and wants that process's CPU time per operation in the JSON.
func TestBenchCPUFlag(t *testing.T) {
	v := s3test.StartVersity(t, t.TempDir())
	var out, errOut strings.Builder
	code := benchWorkload(t.Context(), []string{
		"--endpoint", v.Endpoint(), "--access-key", v.AccessKey(), "--secret-key", v.SecretKey(),
		"--bucket", "cpuflag", "--op", "put", "--size", "4KiB", "--concurrency", "4", "--ops", "1000",
		"--cpu", fmt.Sprintf("region:%d", v.PID()), "--json", "--quiet",
	}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var res struct {
		CPU *struct {
			MsPerOp struct{ Client, Regions float64 } `json:"ms_per_op"`
		} `json:"cpu"`
	}
	if err := json.Unmarshal([]byte(out.String()), &res); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if res.CPU == nil || res.CPU.MsPerOp.Regions <= 0 || res.CPU.MsPerOp.Client <= 0 {
		t.Errorf("CPU per operation missing or zero: %s", out.String())
	}
}

// FuzzBenchProcesses: --cpu never panics, and what it accepts prints back
// as it parses.
func FuzzBenchProcesses(f *testing.F) {
	for _, s := range []string{"gateway:42", "gateway:42,region:43", "region:0", ":", ",", "region:9999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var ps []bench.ServerProcess
		if err := (benchProcesses{&ps}).Set(s); err != nil {
			return
		}
		var again []bench.ServerProcess
		printed := benchProcesses{&ps}.String()
		if err := (benchProcesses{&again}).Set(printed); err != nil || fmt.Sprint(again) != fmt.Sprint(ps) {
			t.Fatalf("%q parsed as %v, printed %q, parsed again as %v (%v)", s, ps, printed, again, err)
		}
	})
}
