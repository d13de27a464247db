package engine_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prismd/prismd/backends"
	"github.com/prismd/prismd/backends/fs"
	"github.com/prismd/prismd/engine"
	plog "github.com/prismd/prismd/log"
)

// crashChildEnv names the data directory when the test binary runs as the
// crash test's writer process.
const crashChildEnv = "PRISMD_CRASH_CHILD_DIR"

// fsRegions returns regions a, b and c as fs backends under dir/regions.
func fsRegions(t testing.TB, dir string) []engine.Region {
	var regions []engine.Region
	for _, name := range []string{"a", "b", "c"} {
		b, err := fs.New(filepath.Join(dir, "regions", name))
		if err != nil {
			t.Fatal(err)
		}
		regions = append(regions, engine.Region{Name: name, Backend: b})
	}
	return regions
}

func crashEngine(t testing.TB, dir string, background bool) *engine.Engine {
	e, err := engine.Open(engine.Config{DataDir: filepath.Join(dir, "gateway"), Regions: fsRegions(t, dir),
		Policy:      plog.Policy{Mode: "hybrid", DataShards: 2, ParityShards: 1, HybridThreshold: 256 << 10, Placement: "shuffle"},
		SegmentSize: 1 << 20, BlockSize: 64 << 10, NoBackground: !background, SnapshotEvery: 500, MasterKey: bytes.Repeat([]byte{1}, 32)})
	if err != nil {
		t.Fatalf("open engine: %v", err)
	}
	return e
}

// TestCrashChild is the writer process of TestCrashLoop; it does nothing in
// a normal run. It puts and deletes keys from 4 workers, each owning its
// keys, and prints "begin", then "ack" once the engine answered.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashChildEnv)
	if dir == "" {
		return // only meaningful as TestCrashLoop's child process
	}
	e := crashEngine(t, dir, true)
	ctx := context.Background()
	e.CreateBucket(ctx, "crash", "")
	round, _ := strconv.Atoi(os.Getenv("PRISMD_CRASH_ROUND"))
	var mu sync.Mutex
	say := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		os.Stdout.WriteString(fmt.Sprintf(format, args...) + "\n")
	}
	say("ready")
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(round), uint64(w)))
			for i := 0; ; i++ {
				key := fmt.Sprintf("w%d/k%d", w, r.IntN(6))
				if r.IntN(4) == 0 {
					say("begin del %s", key)
					if err := e.DeleteObject(ctx, "crash", key); err != nil {
						say("error del %s: %v", key, err)
						continue
					}
					say("ack del %s", key)
					continue
				}
				seed := uint64(round*1_000_000 + w*100_000 + i)
				size := []int{0, 100, 70_000, 300_000, 1_500_000, 2_200_000}[r.IntN(6)]
				say("begin put %s %d %d", key, seed, size)
				data := payload(seed, size)
				if _, err := e.PutObject(ctx, engine.PutInput{Bucket: "crash", Key: key, Size: int64(size), Body: bytes.NewReader(data)}); err != nil {
					say("error put %s: %v", key, err)
					continue
				}
				say("ack put %s %d %d", key, seed, size)
			}
		}()
	}
	wg.Wait()
}

// keyState is what a key may hold after the crashes: the outcome of its
// last acknowledged operation, or of any operation begun after it that was
// cut off by a crash before its answer. Each of those may or may not have
// committed, and a later round does not tell: an unanswered DELETE of
// round 6 may have taken effect although the PUT that round 8 began on the
// key never did. So every unanswered operation since the last answer stays
// a possible outcome until an answer settles the key.
type keyState struct {
	acked    *op
	inflight []*op
}

type op struct {
	del        bool
	seed, size int
}

func (o *op) String() string {
	if o.del {
		return "delete"
	}
	return fmt.Sprintf("put seed %d size %d", o.seed, o.size)
}

// TestCrashLoop kills a writer process with SIGKILL, again and again, while
// it puts and deletes concurrently, and then checks that every acknowledged
// PUT is readable with its bytes, every acknowledged DELETE stayed deleted,
// and that after completion and purge the regions hold exactly the shards
// of the committed objects.
func TestCrashLoop(t *testing.T) {
	dir := t.TempDir()
	keys := map[string]*keyState{}
	acks := 0
	for round := range 8 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+dir, "PRISMD_CRASH_ROUND="+strconv.Itoa(round+1))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = io.Discard
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := bufio.NewScanner(out)
		if !lines.Scan() || lines.Text() != "ready" {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("round %d: child did not start: %q", round, lines.Text())
		}
		timer := time.AfterFunc(time.Duration(300+rand.IntN(900))*time.Millisecond, func() { cmd.Process.Signal(syscall.SIGKILL) })
		for lines.Scan() {
			f := strings.Fields(lines.Text())
			if len(f) < 3 {
				continue
			}
			st := keys[f[2]]
			if st == nil {
				st = &keyState{}
				keys[f[2]] = st
			}
			o := &op{del: f[1] == "del"}
			if !o.del && len(f) == 5 {
				o.seed, _ = strconv.Atoi(f[3])
				o.size, _ = strconv.Atoi(f[4])
			}
			switch f[0] {
			case "begin":
				st.inflight = append(st.inflight, o)
			case "ack":
				st.acked, st.inflight = o, nil
				acks++
			case "error":
				t.Errorf("round %d: child reported %s", round, lines.Text())
			}
		}
		timer.Stop()
		cmd.Wait()
	}
	if acks < 20 {
		t.Fatalf("only %d operations acknowledged over all rounds: the load did not run", acks)
	}
	e := crashEngine(t, dir, false)
	defer e.Close()
	ctx := context.Background()
	for key, st := range keys {
		got, gerr := readAll(e, "crash", key)
		ok := func(o *op) bool {
			if o == nil {
				return gerr != nil && strings.Contains(gerr.Error(), "no such key")
			}
			if o.del {
				return gerr != nil && strings.Contains(gerr.Error(), "no such key")
			}
			return gerr == nil && bytes.Equal(got, payload(uint64(o.seed), o.size))
		}
		if !ok(st.acked) && !slices.ContainsFunc(st.inflight, ok) {
			t.Errorf("%s: acked %v, unanswered %v; read gave %d bytes, err %v", key, st.acked, st.inflight, len(got), gerr)
		}
	}
	// Completion and purge finish whatever the crashes left.
	for range 20 {
		e.RunCompletion(ctx)
		e.RunPurge(ctx)
		if shards, purges := e.Pending(); shards == 0 && purges == 0 {
			break
		}
	}
	if shards, purges := e.Pending(); shards != 0 || purges != 0 {
		t.Fatalf("after completion and purge: %d shards and %d purges pending", shards, purges)
	}
	want := map[string]bool{}
	res, err := e.ListObjects(ctx, engine.ListInput{Bucket: "crash"})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range res.Objects {
		locs, err := e.Locate("crash", o.Key)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range locs {
			if l.State != "stored" {
				t.Errorf("%s: shard %d/%d on %s is %s after completion", o.Key, l.Segment, l.Shard, l.Region, l.State)
			}
			want[l.Region+"/"+l.Key] = true
		}
	}
	have := map[string]bool{}
	for _, name := range []string{"a", "b", "c"} {
		b, _ := fs.New(filepath.Join(dir, "regions", name))
		b.List(ctx, e.BackendBucket("crash"), "", func(o backends.ObjectInfo) bool {
			have[name+"/"+o.Key] = true
			return true
		})
	}
	for k := range have {
		if !want[k] {
			t.Errorf("backend object %s is referenced by no committed object", k)
		}
	}
	for k := range want {
		if !have[k] {
			t.Errorf("shard %s of a committed object is missing", k)
		}
	}
	t.Logf("%d keys, %d acknowledged operations over 8 crashes, %d shards on the regions", len(keys), acks, len(have))
}

func readAll(e *engine.Engine, bucket, key string) ([]byte, error) {
	r, err := e.GetObject(context.Background(), bucket, key, engine.GetOptions{})
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

// largeEngine is an engine over fs regions with the default segment and block sizes.
func largeEngine(t testing.TB, dir string) *engine.Engine {
	e, err := engine.Open(engine.Config{DataDir: filepath.Join(dir, "gateway"), Regions: fsRegions(t, dir), NoBackground: true, SnapshotEvery: -1})
	if err != nil {
		t.Fatalf("open engine: %v", err)
	}
	return e
}
