package admin

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prismd/prismd/engine"
)

const testToken = "0123456789abcdef"

func scrubRequest(method, path, token, body string) *http.Request {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.Host = "127.0.0.1:9090"
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	return r
}

// TestScrubAPIToken: every scrub call needs the token, from any address;
// a server without a token refuses them all.
func TestScrubAPIToken(t *testing.T) {
	for _, tc := range []struct {
		server, client string
		want           int
	}{
		{testToken, "", http.StatusUnauthorized},
		{testToken, "wrong", http.StatusUnauthorized},
		{testToken, testToken + "x", http.StatusUnauthorized},
		{"", "", http.StatusUnauthorized},
		{testToken, testToken, http.StatusAccepted},
	} {
		s := New(Config{Engine: fakeEngine{}, Token: tc.server})
		for _, method := range []string{"POST", "GET", "DELETE"} {
			w := httptest.NewRecorder()
			r := scrubRequest(method, "/api/scrub", tc.client, "{}")
			r.RemoteAddr = "127.0.0.1:5000" // loopback too
			s.ServeHTTP(w, r)
			want := tc.want
			if want == http.StatusAccepted && method != "POST" {
				continue
			}
			if w.Code != want {
				t.Errorf("%s with server token %q, client %q: %d, want %d", method, tc.server, tc.client, w.Code, want)
			}
		}
	}
}

// TestScrubAPIRun: POST starts a scrub in the server with the options
// asked for (409 while it runs), GET streams its progress and then its
// summary, DELETE stops it.
func TestScrubAPIRun(t *testing.T) {
	release := make(chan struct{})
	got := make(chan engine.ScrubOptions, 1)
	f := fakeEngine{scrub: func(ctx context.Context, opts engine.ScrubOptions) (engine.ScrubSummary, error) {
		got <- opts
		opts.Progress(engine.ScrubProgress{ScrubSummary: engine.ScrubSummary{Objects: 1}, Bucket: "b", Key: "k1", TotalObjects: 2})
		select {
		case <-release:
		case <-ctx.Done():
			return engine.ScrubSummary{Objects: 1}, ctx.Err()
		}
		opts.Progress(engine.ScrubProgress{ScrubSummary: engine.ScrubSummary{Objects: 2}, Bucket: "b", Key: "k2", TotalObjects: 2})
		return engine.ScrubSummary{Objects: 2, Repaired: 1, Complete: true}, nil
	}}
	s := New(Config{Engine: f, Token: testToken, ScrubCheckpoint: "/data/scrub.json"})
	srv := httptest.NewServer(s)
	defer srv.Close()
	do := func(method, path, body string) *http.Response {
		r, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		r.Header.Set("Authorization", "Bearer "+testToken)
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	for _, bad := range []string{`{"deep":"yes"}`, `{"surprise":1}`, `{"orphan_grace":"soon"}`, `{"rate":-1}`} {
		if resp := do("POST", "/api/scrub", bad); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("POST %s: %d, want 400", bad, resp.StatusCode)
		}
	}
	resp := do("POST", "/api/scrub", `{"deep":true,"bucket":"b","rate":1048576,"orphan_grace":"2h","dry_run":true}`)
	var started struct{ ID int64 }
	json.NewDecoder(resp.Body).Decode(&started)
	if resp.StatusCode != http.StatusAccepted || started.ID != 1 {
		t.Fatalf("POST: %d, id %d", resp.StatusCode, started.ID)
	}
	opts := <-got
	if !opts.Deep || opts.Bucket != "b" || opts.Rate != 1<<20 || opts.OrphanGrace.Hours() != 2 || !opts.DryRun || opts.Checkpoint != "/data/scrub.json" {
		t.Fatalf("options %+v", opts)
	}
	if resp := do("POST", "/api/scrub", `{}`); resp.StatusCode != http.StatusConflict {
		t.Fatalf("second POST while running: %d, want 409", resp.StatusCode)
	}
	stream := do("GET", "/api/scrub?id=1", "")
	if ct := stream.Header.Get("Content-Type"); ct != "application/x-ndjson" {
		t.Fatalf("stream content type %q", ct)
	}
	sc := bufio.NewScanner(stream.Body)
	var events []ScrubEvent
	for sc.Scan() {
		var ev ScrubEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		events = append(events, ev)
		if len(events) == 1 {
			close(release) // the first progress line came while the scrub ran
		}
	}
	if len(events) < 2 || events[0].Type != "progress" || events[0].Key != "k1" || events[0].TotalObjects != 2 {
		t.Fatalf("events %+v", events)
	}
	last := events[len(events)-1]
	if last.Type != "summary" || last.Summary.Repaired != 1 || !last.Summary.Complete || last.Error != "" {
		t.Fatalf("last event %+v", last)
	}
	if resp := do("GET", "/api/scrub?id=7", ""); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("GET of an unknown scrub: %d", resp.StatusCode)
	}
	// A finished scrub reports its summary at once.
	again := do("GET", "/api/scrub", "")
	line, _ := bufio.NewReader(again.Body).ReadString('\n')
	if !strings.Contains(line, `"type":"progress"`) && !strings.Contains(line, `"type":"summary"`) {
		t.Fatalf("GET after the end: %q", line)
	}

	// DELETE stops a running scrub and answers its summary.
	release = make(chan struct{})
	if resp := do("POST", "/api/scrub", `{}`); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST after the end: %d", resp.StatusCode)
	}
	<-got
	resp = do("DELETE", "/api/scrub?id=2", "")
	var stopped ScrubEvent
	json.NewDecoder(resp.Body).Decode(&stopped)
	if resp.StatusCode != http.StatusOK || stopped.Type != "summary" || !strings.Contains(stopped.Error, "canceled") {
		t.Fatalf("DELETE: %d %+v", resp.StatusCode, stopped)
	}
}
