package engine_test

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/prismd/prismd/engine"
	plog "github.com/prismd/prismd/log"
)

func lockCluster(t *testing.T) (*cluster, context.Context) {
	c := newCluster(t, 3, plog.Policy{Mode: "replica", ParityShards: 1, Placement: "shuffle"})
	ctx := context.Background()
	if err := c.e.CreateBucketFor(ctx, engine.CreateBucketInput{Name: "vault", ObjectLock: true}); err != nil {
		t.Fatal(err)
	}
	return c, ctx
}

func putLocked(t *testing.T, e *engine.Engine, key string, lock engine.ObjectLock) engine.ObjectInfo {
	t.Helper()
	data := []byte("ledger " + key)
	info, err := e.PutObject(context.Background(), engine.PutInput{Bucket: "vault", Key: key, Size: int64(len(data)), Body: bytes.NewReader(data), Lock: lock})
	if err != nil {
		t.Fatal(err)
	}
	return info
}

func TestLockBucketCreated(t *testing.T) {
	c, ctx := lockCluster(t)
	if st, _ := c.e.BucketVersioning(ctx, "vault"); st != engine.VersioningEnabled {
		t.Fatalf("versioning %q", st)
	}
	if cfg, err := c.e.ObjectLockConfiguration("vault"); err != nil || cfg.DefaultMode != "" {
		t.Fatalf("config %+v %v", cfg, err)
	}
	if err := c.e.SetBucketVersioning(ctx, "vault", engine.VersioningSuspended); !errors.Is(err, engine.ErrInvalidBucketState) {
		t.Fatalf("suspend: %v", err)
	}
	// An existing bucket: lock needs versioning enabled first.
	if err := c.e.CreateBucket(ctx, "plain", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := c.e.ObjectLockConfiguration("plain"); !errors.Is(err, engine.ErrNoObjectLockConfig) {
		t.Fatalf("no config: %v", err)
	}
	cfg := engine.ObjectLockConfig{DefaultMode: engine.LockGovernance, DefaultDays: 1}
	if err := c.e.SetObjectLockConfiguration(ctx, "plain", cfg); !errors.Is(err, engine.ErrInvalidBucketState) {
		t.Fatalf("lock unversioned: %v", err)
	}
	if err := c.e.SetBucketVersioning(ctx, "plain", engine.VersioningEnabled); err != nil {
		t.Fatal(err)
	}
	if err := c.e.SetObjectLockConfiguration(ctx, "plain", cfg); err != nil {
		t.Fatal(err)
	}
	if got, err := c.e.ObjectLockConfiguration("plain"); err != nil || got != cfg {
		t.Fatalf("config %+v %v", got, err)
	}
	for _, bad := range []engine.ObjectLockConfig{
		{DefaultMode: "FOREVER", DefaultDays: 1}, {DefaultMode: engine.LockCompliance},
		{DefaultMode: engine.LockCompliance, DefaultDays: 1, DefaultYears: 1}, {DefaultMode: engine.LockCompliance, DefaultDays: -1},
		{DefaultDays: 3},
	} {
		if err := c.e.SetObjectLockConfiguration(ctx, "plain", bad); !errors.Is(err, engine.ErrInvalidArgument) {
			t.Errorf("%+v: %v", bad, err)
		}
	}
}

func TestLockDefaultRetention(t *testing.T) {
	c, ctx := lockCluster(t)
	if err := c.e.SetObjectLockConfiguration(ctx, "vault", engine.ObjectLockConfig{DefaultMode: engine.LockCompliance, DefaultDays: 2}); err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	info := putLocked(t, c.e, "a", engine.ObjectLock{})
	r, err := c.e.ObjectRetention("vault", "a", info.VersionID)
	if err != nil || r.Mode != engine.LockCompliance || r.Until.Before(before.AddDate(0, 0, 2)) || r.Until.After(time.Now().AddDate(0, 0, 2)) {
		t.Fatalf("default retention %+v %v", r, err)
	}
	// An explicit retention wins over the default.
	until := time.Now().Add(time.Hour).Truncate(time.Second)
	info = putLocked(t, c.e, "b", engine.ObjectLock{Mode: engine.LockGovernance, Until: until, LegalHold: true})
	if r, _ := c.e.ObjectRetention("vault", "b", ""); r.Mode != engine.LockGovernance || !r.Until.Equal(until) {
		t.Fatalf("explicit retention %+v", r)
	}
	if on, _ := c.e.ObjectLegalHold("vault", "b", info.VersionID); !on {
		t.Fatal("legal hold lost")
	}
	// A copy does not take the source's lock: it gets the default.
	cp, err := c.e.CopyObject(ctx, engine.CopyInput{SrcBucket: "vault", SrcKey: "b", Bucket: "vault", Key: "c"})
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := c.e.ObjectRetention("vault", "c", cp.VersionID); r.Mode != engine.LockCompliance {
		t.Fatalf("copy retention %+v", r)
	}
	if on, _ := c.e.ObjectLegalHold("vault", "c", cp.VersionID); on {
		t.Fatal("copy took the legal hold")
	}
	// Lock asked of a bucket without object lock.
	if err := c.e.CreateBucket(ctx, "plain", ""); err != nil {
		t.Fatal(err)
	}
	_, err = c.e.PutObject(ctx, engine.PutInput{Bucket: "plain", Key: "k", Size: 1, Body: bytes.NewReader([]byte("x")), Lock: engine.ObjectLock{LegalHold: true}})
	if !errors.Is(err, engine.ErrNoObjectLockConfig) {
		t.Fatalf("lock in plain bucket: %v", err)
	}
	if _, err := c.e.ObjectRetention("plain", "k", ""); !errors.Is(err, engine.ErrNoObjectLockConfig) {
		t.Fatalf("retention of plain: %v", err)
	}
}

func TestLockMultipart(t *testing.T) {
	c, ctx := lockCluster(t)
	until := time.Now().Add(time.Hour).Truncate(time.Second)
	u, err := c.e.CreateUploadWith(ctx, engine.CreateUploadInput{Bucket: "vault", Key: "big", Lock: engine.ObjectLock{Mode: engine.LockCompliance, Until: until}})
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("part one")
	p, err := c.e.UploadPart(ctx, u.UploadID, 1, engine.PutInput{Bucket: "vault", Key: "big", Size: int64(len(data)), Body: bytes.NewReader(data)})
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.e.CompleteUpload(ctx, "vault", "big", u.UploadID, []engine.CompletePart{{Number: 1, ETag: p.ETag}}, engine.Conditions{})
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := c.e.ObjectRetention("vault", "big", info.VersionID); r.Mode != engine.LockCompliance || !r.Until.Equal(until) {
		t.Fatalf("retention %+v", r)
	}
	if _, err := c.e.DeleteObjectVersionBypass(ctx, "vault", "big", info.VersionID, true); !errors.Is(err, engine.ErrObjectLocked) {
		t.Fatalf("delete: %v", err)
	}
}

func TestLockDeletePaths(t *testing.T) {
	c, ctx := lockCluster(t)
	until := time.Now().Add(time.Hour)
	comp := putLocked(t, c.e, "comp", engine.ObjectLock{Mode: engine.LockCompliance, Until: until})
	gov := putLocked(t, c.e, "gov", engine.ObjectLock{Mode: engine.LockGovernance, Until: until})
	// Without a version id: a delete marker, allowed.
	if res, err := c.e.DeleteObjectVersion(ctx, "vault", "comp", ""); err != nil || !res.DeleteMarker {
		t.Fatalf("delete marker: %+v %v", res, err)
	}
	for _, bypass := range []bool{false, true} {
		if _, err := c.e.DeleteObjectVersionBypass(ctx, "vault", "comp", comp.VersionID, bypass); !errors.Is(err, engine.ErrObjectLocked) {
			t.Fatalf("delete compliance (bypass %v): %v", bypass, err)
		}
	}
	if _, err := c.e.DeleteObjectVersion(ctx, "vault", "gov", gov.VersionID); !errors.Is(err, engine.ErrObjectLocked) {
		t.Fatalf("delete governance: %v", err)
	}
	// Shortening compliance, bypass or not.
	short := engine.Retention{Mode: engine.LockCompliance, Until: until.Add(-time.Minute)}
	if err := c.e.SetObjectRetention(ctx, "vault", "comp", comp.VersionID, short, true); !errors.Is(err, engine.ErrObjectLocked) {
		t.Fatalf("shorten compliance: %v", err)
	}
	if err := c.e.SetObjectRetention(ctx, "vault", "comp", comp.VersionID, engine.Retention{}, true); !errors.Is(err, engine.ErrObjectLocked) {
		t.Fatalf("remove compliance: %v", err)
	}
	if err := c.e.SetObjectRetention(ctx, "vault", "gov", "", engine.Retention{}, false); !errors.Is(err, engine.ErrObjectLocked) {
		t.Fatalf("remove governance: %v", err)
	}
	// A restart replays the log: the locks hold.
	c.restart()
	if _, err := c.e.DeleteObjectVersionBypass(ctx, "vault", "comp", comp.VersionID, true); !errors.Is(err, engine.ErrObjectLocked) {
		t.Fatalf("delete after restart: %v", err)
	}
	if _, err := c.e.Snapshot(); err != nil {
		t.Fatal(err)
	}
	c.restart()
	if _, err := c.e.DeleteObjectVersion(ctx, "vault", "comp", comp.VersionID); !errors.Is(err, engine.ErrObjectLocked) {
		t.Fatalf("delete after snapshot restart: %v", err)
	}
	if r, err := c.e.ObjectRetention("vault", "comp", comp.VersionID); err != nil || r.Mode != engine.LockCompliance {
		t.Fatalf("retention after restart %+v %v", r, err)
	}
	// Governance with bypass goes.
	if _, err := c.e.DeleteObjectVersionBypass(ctx, "vault", "gov", gov.VersionID, true); err != nil {
		t.Fatalf("bypass governance: %v", err)
	}
}

// TestLockRaceRetention: clients race to extend and to shorten (with
// bypass) a COMPLIANCE retention while another races to delete it with
// bypass; whatever the order, only the extension takes effect.
func TestLockRaceRetention(t *testing.T) {
	c, ctx := lockCluster(t)
	until := time.Now().Add(time.Hour)
	for range 5 {
		info := putLocked(t, c.e, "k", engine.ObjectLock{Mode: engine.LockCompliance, Until: until})
		var wg sync.WaitGroup
		errs := make([]error, 3)
		wg.Add(3)
		go func() {
			defer wg.Done()
			errs[0] = c.e.SetObjectRetention(ctx, "vault", "k", info.VersionID, engine.Retention{Mode: engine.LockCompliance, Until: until.Add(time.Hour)}, false)
		}()
		go func() {
			defer wg.Done()
			errs[1] = c.e.SetObjectRetention(ctx, "vault", "k", info.VersionID, engine.Retention{Mode: engine.LockCompliance, Until: until.Add(-time.Minute)}, true)
		}()
		go func() {
			defer wg.Done()
			_, errs[2] = c.e.DeleteObjectVersionBypass(ctx, "vault", "k", info.VersionID, true)
		}()
		wg.Wait()
		if errs[0] != nil || !errors.Is(errs[1], engine.ErrObjectLocked) || !errors.Is(errs[2], engine.ErrObjectLocked) {
			t.Fatalf("extend %v, shorten %v, delete %v", errs[0], errs[1], errs[2])
		}
		if r, _ := c.e.ObjectRetention("vault", "k", info.VersionID); !r.Until.Equal(until.Add(time.Hour).UTC()) {
			t.Fatalf("until %v", r.Until)
		}
	}
}

func TestLegalHoldEngine(t *testing.T) {
	c, ctx := lockCluster(t)
	info := putLocked(t, c.e, "k", engine.ObjectLock{})
	if on, err := c.e.ObjectLegalHold("vault", "k", ""); err != nil || on {
		t.Fatalf("hold %v %v", on, err)
	}
	if _, err := c.e.ObjectRetention("vault", "k", ""); !errors.Is(err, engine.ErrNoSuchObjectLock) {
		t.Fatalf("no retention: %v", err)
	}
	if err := c.e.SetObjectLegalHold(ctx, "vault", "k", info.VersionID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := c.e.DeleteObjectVersionBypass(ctx, "vault", "k", info.VersionID, true); !errors.Is(err, engine.ErrObjectLocked) {
		t.Fatalf("delete held: %v", err)
	}
	if err := c.e.SetObjectLegalHold(ctx, "vault", "k", "", false); err != nil {
		t.Fatal(err)
	}
	if _, err := c.e.DeleteObjectVersion(ctx, "vault", "k", info.VersionID); err != nil {
		t.Fatalf("delete released: %v", err)
	}
	if err := c.e.SetObjectLegalHold(ctx, "vault", "k", info.VersionID, true); !errors.Is(err, engine.ErrNoSuchVersion) {
		t.Fatalf("hold of a deleted version: %v", err)
	}
}

func TestBypassGovernanceKey(t *testing.T) {
	c, ctx := lockCluster(t)
	k := engine.AccessKey{AccessKey: "ops", Secret: "ops-secret", BypassGovernance: true}
	if err := c.e.CreateAccessKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	got, err := c.e.LookupAccessKey("ops")
	if err != nil || !got.BypassGovernance {
		t.Fatalf("key %+v %v", got, err)
	}
	c.restart()
	if got, _ := c.e.LookupAccessKey("ops"); !got.BypassGovernance {
		t.Fatal("bypass lost in restart")
	}
}
