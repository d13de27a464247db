package fs_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/prismd/prismd/backends/fs"
)

// crashChildEnv names the region's directory when the test binary runs as
// TestCrashAcknowledgedPuts's writer process.
const crashChildEnv = "PRISMD_FS_CRASH_DIR"

// crashBody is the content of a Put of the crash test: seed decides it.
// One Put in eight is of 1 to 3 MiB, which fs writes with direct I/O.
func crashBody(seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 7))
	n := 1 + r.IntN(20_000)
	if seed%8 == 5 {
		n = 1<<20 + r.IntN(2<<20)
	}
	b := make([]byte, n+8)
	for i := 0; i < n; i += 8 {
		binary.LittleEndian.PutUint64(b[i:], r.Uint64())
	}
	return b[:n]
}

// pages is a backends.PiecewiseBody of page-aligned 1 MiB pieces (the
// last shorter), as the engine hands large erasure-coded shards to fs.
type pages struct{ rest []byte }

func pagesOf(b []byte) *pages {
	mem := make([]byte, len(b)+4096)
	off := (4096 - int(uintptr(unsafe.Pointer(&mem[0]))%4096)) % 4096
	return &pages{rest: append(mem[off:off], b...)}
}

func (p *pages) NextPiece() ([]byte, error) {
	if len(p.rest) == 0 {
		return nil, io.EOF
	}
	n := min(len(p.rest), 1<<20)
	piece := p.rest[:n]
	p.rest = p.rest[n:]
	return piece, nil
}

func (p *pages) Read(b []byte) (int, error) {
	if len(p.rest) == 0 {
		return 0, io.EOF
	}
	n := copy(b, p.rest)
	p.rest = p.rest[n:]
	return n, nil
}

// TestCrashChild is the writer of TestCrashAcknowledgedPuts; it does
// nothing in a normal run. 16 workers put keys (new directories, and
// overwrites of a few keys each; large bodies as page-aligned pieces),
// printing "begin KEY SEED" before a Put and "ack KEY SEED" once it
// returned nil.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashChildEnv)
	if dir == "" {
		return
	}
	b, err := fs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := b.CreateBucket(ctx, "bk"); err != nil {
		t.Fatal(err)
	}
	round, _ := strconv.ParseUint(os.Getenv("PRISMD_FS_CRASH_ROUND"), 10, 64)
	var mu sync.Mutex
	say := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(os.Stdout, format+"\n", args...)
	}
	say("ready")
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				key := fmt.Sprintf("r%d-w%d-%d/0/%d", round, w, i, w%3)
				if i%4 == 3 {
					key = fmt.Sprintf("w%d/same", w) // an overwrite of an existing key
				}
				seed := round<<40 | uint64(w)<<32 | uint64(i)
				body := crashBody(seed)
				say("begin %s %d", key, seed)
				var r io.Reader = bytes.NewReader(body)
				if len(body) >= 1<<20 {
					r = pagesOf(body)
				}
				if err := b.Put(ctx, "bk", key, r, int64(len(body))); err != nil {
					say("error %s %v", key, err)
					continue
				}
				say("ack %s %d", key, seed)
			}
		}()
	}
	wg.Wait()
}

// TestCrashAcknowledgedPuts kills a process doing concurrent Puts with
// SIGKILL, again and again, then checks every acknowledged Put: its key
// holds the acknowledged bytes, or those of the Put of the same key that
// was in flight at the kill — never anything else, never a partial file.
func TestCrashAcknowledgedPuts(t *testing.T) {
	dir := t.TempDir()
	type state struct{ acked, inflight uint64 } // seeds; 0 none
	keys := map[string]*state{}
	acks, largeAcks := 0, 0
	for round := range 5 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+dir, "PRISMD_FS_CRASH_ROUND="+strconv.Itoa(round+1))
		cmd.Stderr = io.Discard
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := bufio.NewScanner(out)
		if !lines.Scan() || lines.Text() != "ready" {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("round %d: child did not start: %q", round, lines.Text())
		}
		// The kill comes at a random moment after the round's first large
		// Put was acknowledged, so every round kills large Puts in flight
		// however slow the machine; a child that acknowledges none is
		// killed after a minute, and the test fails below.
		kill := func() { cmd.Process.Signal(syscall.SIGKILL) }
		timer := time.AfterFunc(time.Minute, kill)
		roundLarge := 0
		for lines.Scan() {
			f := strings.Fields(lines.Text())
			if len(f) < 3 {
				continue
			}
			if f[0] == "error" {
				t.Errorf("round %d: %s", round, lines.Text())
				continue
			}
			seed, _ := strconv.ParseUint(f[2], 10, 64)
			st := keys[f[1]]
			if st == nil {
				st = &state{}
				keys[f[1]] = st
			}
			switch f[0] {
			case "begin":
				st.inflight = seed
			case "ack":
				st.acked, st.inflight = seed, 0
				acks++
				if seed%8 == 5 {
					largeAcks++
					if roundLarge++; roundLarge == 1 && timer.Stop() {
						timer = time.AfterFunc(time.Duration(100+rand.IntN(500))*time.Millisecond, kill)
					}
				}
			}
		}
		timer.Stop()
		cmd.Wait()
	}
	if acks < 20 || largeAcks < 5 {
		t.Fatalf("only %d Puts (%d large) acknowledged over all rounds: the load did not run", acks, largeAcks)
	}
	b, err := fs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	for key, st := range keys {
		r, err := b.Get(context.Background(), "bk", key, 0, -1)
		var got []byte
		if err == nil {
			got, err = io.ReadAll(r)
			r.Close()
		}
		ok := func(seed uint64) bool {
			if seed == 0 {
				return err != nil
			}
			return err == nil && bytes.Equal(got, crashBody(seed))
		}
		if !ok(st.acked) && (st.inflight == 0 || !ok(st.inflight)) {
			t.Errorf("%s: acknowledged seed %d, in flight %d; read %d bytes, err %v", key, st.acked, st.inflight, len(got), err)
		}
	}
	t.Logf("%d keys, %d acknowledged Puts (%d large) over 5 kills", len(keys), acks, largeAcks)
}
