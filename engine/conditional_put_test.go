package engine_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/prismd/prismd/engine"
	plog "github.com/prismd/prismd/log"
)

// TestIfMatchPutRace: two PUTs of different bodies with the same If-Match
// (the ETag of the current object) race; exactly one of them wins, the other
// gets ErrPreconditionFailed, and the object holds the winner's bytes. An
// If-Match PUT of an absent key is ErrNoSuchKey, as on AWS.
func TestIfMatchPutRace(t *testing.T) {
	c := newCluster(t, 3, plog.Policy{Mode: "erasure", DataShards: 2, ParityShards: 1, Placement: "shuffle"})
	ctx := context.Background()
	c.e.CreateBucket(ctx, "bkt", "")
	_, err := c.e.PutObject(ctx, engine.PutInput{Bucket: "bkt", Key: "absent", Size: 1, Body: bytes.NewReader([]byte("x")), Cond: engine.Conditions{IfMatch: "*"}})
	if !errors.Is(err, engine.ErrNoSuchKey) {
		t.Fatalf("If-Match on an absent key: %v, want ErrNoSuchKey", err)
	}
	wins := [2]int{}
	for i := range 40 {
		key := fmt.Sprintf("k%d", i)
		cur := put(t, c.e, "bkt", key, payload(uint64(i), 3000))
		bodies := [2][]byte{payload(uint64(1000+i), 4000), payload(uint64(2000+i), 5000)}
		var errs [2]error
		var wg sync.WaitGroup
		for j := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[j] = c.e.PutObject(ctx, engine.PutInput{Bucket: "bkt", Key: key, Size: int64(len(bodies[j])), Body: bytes.NewReader(bodies[j]),
					Cond: engine.Conditions{IfMatch: `"` + cur.ETag + `"`}})
			}()
		}
		wg.Wait()
		winner := -1
		switch {
		case errs[0] == nil && errors.Is(errs[1], engine.ErrPreconditionFailed):
			winner = 0
		case errs[1] == nil && errors.Is(errs[0], engine.ErrPreconditionFailed):
			winner = 1
		default:
			t.Fatalf("try %d: PUTs answered %v and %v: exactly one must win", i, errs[0], errs[1])
		}
		wins[winner]++
		if got, err := readAll(c.e, "bkt", key); err != nil || !bytes.Equal(got, bodies[winner]) {
			t.Fatalf("try %d: the object does not hold the winner's bytes (%d bytes, %v)", i, len(got), err)
		}
	}
	t.Logf("wins: %v", wins)
	c.e.WaitWrites()
	if _, _, err := c.e.RunPurge(ctx); err != nil {
		t.Fatal(err)
	}
	if shards, purges := c.e.Pending(); purges != 0 {
		t.Fatalf("%d purges left (and %d shards): the loser's data was not purged", purges, shards)
	}
}
