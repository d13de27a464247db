package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
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
