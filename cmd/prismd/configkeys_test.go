package main

import (
	"bytes"
	"context"
	"log/slog"
	"testing"

	"github.com/prismd/prismd/backends/mem"
	"github.com/prismd/prismd/engine"
	plog "github.com/prismd/prismd/log"
)

// TestSyncAccessKeysKeepsAPIKeys: a key made in the management API stays
// across restarts; a key removed from the config is revoked; so is the
// old root key when the root changes.
func TestSyncAccessKeysKeepsAPIKeys(t *testing.T) {
	dir := t.TempDir()
	e, err := engine.Open(engine.Config{DataDir: dir, Regions: []engine.Region{{Name: "a", Backend: mem.New()}}, NoSync: true, NoBackground: true,
		MasterKey: bytes.Repeat([]byte{1}, 32), SnapshotEvery: -1, Policy: plog.Policy{Mode: "replica", Placement: "shuffle"}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ctx := context.Background()
	root := rootCredentials{AccessKey: "ROOT1", SecretKey: "rootsecret1"}
	cfgKeys := []AccessKeyConfig{{AccessKey: "CFG1", SecretKey: "cfgsecret1"}, {AccessKey: "CFG2", SecretKey: "cfgsecret2"}}
	sync := func(root rootCredentials, keys []AccessKeyConfig) {
		t.Helper()
		if err := syncAccessKeys(ctx, e, dir, root, keys, "test", slog.Default()); err != nil {
			t.Fatal(err)
		}
	}
	sync(root, cfgKeys)
	if err := e.CreateAccessKey(ctx, engine.AccessKey{AccessKey: "APIKEY", Secret: "apisecret1"}); err != nil {
		t.Fatal(err)
	}
	sync(root, cfgKeys[:1]) // CFG2 left the config; the root key changes next
	sync(rootCredentials{AccessKey: "ROOT2", SecretKey: "rootsecret2"}, cfgKeys[:1])
	have := map[string]bool{}
	for _, k := range e.AccessKeys() {
		have[k.AccessKey] = true
	}
	if !have["APIKEY"] || !have["CFG1"] || have["CFG2"] || have["ROOT1"] || !have["ROOT2"] {
		t.Fatalf("keys after restarts: %v", have)
	}
}
