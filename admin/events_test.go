package admin

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prismd/prismd/engine"
	plog "github.com/prismd/prismd/log"
)

// logEngine is a log the test appends to: LogAdvanced's channel is closed
// by append, and reads are counted.
type logEngine struct {
	fakeEngine
	mu       sync.Mutex
	records  []engine.LogRecord // index i+1
	advanced chan struct{}
	reads    int
}

func newLogEngine() *logEngine { return &logEngine{advanced: make(chan struct{})} }

func (l *logEngine) append(n int) {
	l.mu.Lock()
	for range n {
		idx := uint64(len(l.records) + 1)
		l.records = append(l.records, engine.LogRecord{Index: idx, Time: time.Unix(0, 0), Event: plog.BucketCreated{Bucket: fmt.Sprintf("b%d", idx)}})
	}
	close(l.advanced)
	l.advanced = make(chan struct{})
	l.mu.Unlock()
}

func (l *logEngine) LogAdvanced() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.advanced
}

func (l *logEngine) LastIndex() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return uint64(len(l.records))
}

func (l *logEngine) ReadLog(from uint64, limit int, fn func(engine.LogRecord)) (uint64, error) {
	l.mu.Lock()
	l.reads++
	recs := l.records
	l.mu.Unlock()
	from = max(from, 1)
	to := min(uint64(len(recs)), from+uint64(limit)-1)
	for i := from; i <= to; i++ {
		fn(recs[i-1])
	}
	if from > to {
		return from, nil
	}
	return to + 1, nil
}

func (l *logEngine) readCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.reads
}

// TestEventStreamWakes: the stream reads the log again when the engine
// says it advanced, not on a timer: each append costs one read; a backlog
// longer than a page is sent at once, without waiting for an append.
func TestEventStreamWakes(t *testing.T) {
	l := newLogEngine()
	l.append(2500) // 3 pages of 1000
	s := New(Config{Engine: l, Token: testToken})
	srv := httptest.NewServer(s)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/events?from=0", nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	next := func() string {
		t.Helper()
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				return data
			}
		}
		t.Fatalf("stream ended: %v", sc.Err())
		return ""
	}
	for i := 1; i <= 2500; i++ {
		if got := next(); !strings.Contains(got, fmt.Sprintf(`"index":%d,`, i)) {
			t.Fatalf("event %d: %s", i, got)
		}
	}
	base := l.readCount()
	if base != 3 && base != 4 { // three full pages, and maybe the empty read after them
		t.Errorf("%d reads for the backlog, want 3 or 4", base)
	}
	for round := 1; round <= 3; round++ {
		l.append(1)
		want := 2500 + round
		if got := next(); !strings.Contains(got, fmt.Sprintf(`"index":%d,`, want)) {
			t.Fatalf("live event %d: %s", want, got)
		}
	}
	// The backlog's reads, plus one per append (at most one empty read more).
	if n := l.readCount(); n < 6 || n > base+3+1 {
		t.Errorf("%d reads after 3 appends (backlog %d): the stream polls", n, base)
	}
}
