package engine

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/prismd/prismd/backends/mem"
	plog "github.com/prismd/prismd/log"
)

// TestAccessKeySecretCached: a signed request looks its key up; the secret
// is unsealed once, not on every request, and a key created again with a
// new secret is unsealed again.
func TestAccessKeySecretCached(t *testing.T) {
	e, err := Open(Config{DataDir: t.TempDir(), Regions: []Region{{Name: "a", Backend: mem.New()}},
		Policy: plog.Policy{Mode: "replica", Placement: "shuffle"}, NoSync: true, NoBackground: true, SnapshotEvery: -1, MasterKey: bytes.Repeat([]byte{3}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ctx := context.Background()
	if err := e.CreateAccessKey(ctx, AccessKey{AccessKey: "K1", Secret: "first-secret"}); err != nil {
		t.Fatal(err)
	}
	if k, err := e.LookupAccessKey("K1"); err != nil || k.Secret != "first-secret" {
		t.Fatalf("lookup: %+v, %v", k, err)
	}
	// With the master key gone, only a cached secret can answer.
	key := e.cfg.MasterKey
	e.cfg.MasterKey = nil
	if k, err := e.LookupAccessKey("K1"); err != nil || k.Secret != "first-secret" {
		t.Fatalf("second lookup unsealed again: %+v, %v", k, err)
	}
	e.cfg.MasterKey = key
	if err := e.CreateAccessKey(ctx, AccessKey{AccessKey: "K1", Secret: "second-secret"}); err != nil {
		t.Fatal(err)
	}
	if k, err := e.LookupAccessKey("K1"); err != nil || k.Secret != "second-secret" {
		t.Fatalf("after the key changed: %+v, %v", k, err)
	}
	if err := e.CreateAccessKey(ctx, AccessKey{AccessKey: "K2", Secret: "some-secret", Buckets: []string{}}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("an empty bucket list: %v", err)
	}
}
