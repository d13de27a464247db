package engine_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/prismd/prismd/engine"
	"github.com/prismd/prismd/lifecycle"
	plog "github.com/prismd/prismd/log"
)

// testDay is the lifecycle day of these tests.
const testDay = 200 * time.Millisecond

// lifecycleCluster is a 3-region cluster with a bucket "lcb" (versioning
// status, "" for none) whose background workers run with a short
// lifecycle day.
func lifecycleCluster(t *testing.T, status string) (*cluster, context.Context) {
	t.Helper()
	c := newCluster(t, 3, plog.Policy{Mode: "replica", ParityShards: 1, Placement: "shuffle"})
	c.cfg.LifecycleDay = testDay
	c.cfg.NoBackground = false
	c.restart()
	ctx := context.Background()
	if err := c.e.CreateBucket(ctx, "lcb", ""); err != nil {
		t.Fatal(err)
	}
	if status != "" {
		if err := c.e.SetBucketVersioning(ctx, "lcb", status); err != nil {
			t.Fatal(err)
		}
	}
	return c, ctx
}

func setLifecycle(t *testing.T, e *engine.Engine, bucket, rules string) {
	t.Helper()
	cfg, err := lifecycle.Parse([]byte("<LifecycleConfiguration>" + rules + "</LifecycleConfiguration>"))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.SetBucketConfig(context.Background(), bucket, engine.ConfigLifecycle, cfg.Canonical()); err != nil {
		t.Fatal(err)
	}
}

func exists(e *engine.Engine, bucket, key string) bool {
	_, err := e.HeadObject(context.Background(), bucket, key, engine.GetOptions{})
	return err == nil
}

// versionsOf lists the versions of key, newest first.
func versionsOf(t *testing.T, e *engine.Engine, bucket, key string) []engine.ObjectInfo {
	t.Helper()
	var out []engine.ObjectInfo
	for _, v := range allVersions(t, e, bucket, 1000) {
		if v.Key == key {
			out = append(out, v)
		}
	}
	return out
}

func TestLifecycleExpiresCurrentUnversioned(t *testing.T) {
	c, _ := lifecycleCluster(t, "")
	put(t, c.e, "lcb", "logs/a", payload(1, 100))
	put(t, c.e, "lcb", "logs/b", payload(2, 100))
	put(t, c.e, "lcb", "keep/a", payload(3, 100))
	put(t, c.e, "lcb", "slow/a", payload(4, 100))
	setLifecycle(t, c.e, "lcb", `<Rule><ID>logs</ID><Filter><Prefix>logs/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>`+
		`<Rule><ID>slow</ID><Filter><Prefix>slow/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>100000</Days></Expiration></Rule>`+
		`<Rule><ID>off</ID><Filter><Prefix>keep/</Prefix></Filter><Status>Disabled</Status><Expiration><Days>1</Days></Expiration></Rule>`)
	waitFor(t, func() bool { return !exists(c.e, "lcb", "logs/a") && !exists(c.e, "lcb", "logs/b") })
	if !exists(c.e, "lcb", "keep/a") || !exists(c.e, "lcb", "slow/a") {
		t.Fatal("an object no enabled rule expires yet is gone")
	}
	if vs := versionsOf(t, c.e, "lcb", "logs/a"); len(vs) != 0 {
		t.Fatalf("unversioned expiry left %+v", vs)
	}
	// The data goes like a client DELETE's: purged.
	waitFor(t, func() bool { _, purges := c.e.Pending(); return purges == 0 })
	res, err := c.e.RunLifecycle(context.Background())
	if err != nil || res != (engine.LifecycleResult{}) {
		t.Fatalf("a second pass did %+v, %v; want nothing", res, err)
	}
}

func TestLifecycleExpiresCurrentVersionedToMarker(t *testing.T) {
	c, _ := lifecycleCluster(t, engine.VersioningEnabled)
	v1 := put(t, c.e, "lcb", "k", payload(1, 10))
	setLifecycle(t, c.e, "lcb", `<Rule><ID>r</ID><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>`)
	waitFor(t, func() bool { return !exists(c.e, "lcb", "k") })
	// Several passes later there is still one marker over the version.
	for range 3 {
		if _, err := c.e.RunLifecycle(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	vs := versionsOf(t, c.e, "lcb", "k")
	if len(vs) != 2 || !vs[0].DeleteMarker || !vs[0].IsLatest || vs[1].VersionID != v1.VersionID || vs[1].DeleteMarker {
		t.Fatalf("versions %+v, want a marker over %s", vs, v1.VersionID)
	}
	if _, err := c.e.GetObject(context.Background(), "lcb", "k", engine.GetOptions{VersionID: v1.VersionID}); err != nil {
		t.Fatalf("the expired version is no longer readable by id: %v", err)
	}
}

func TestLifecycleNoncurrentKeepsNewer(t *testing.T) {
	c, _ := lifecycleCluster(t, engine.VersioningEnabled)
	var ids []string
	for i := range 5 {
		ids = append(ids, put(t, c.e, "lcb", "v/k", payload(uint64(i), 10)).VersionID)
	}
	other := put(t, c.e, "lcb", "w/k", payload(9, 10)).VersionID
	put(t, c.e, "lcb", "w/k", payload(10, 10))
	setLifecycle(t, c.e, "lcb", `<Rule><ID>nc</ID><Filter><Prefix>v/</Prefix></Filter><Status>Enabled</Status><NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays><NewerNoncurrentVersions>2</NewerNoncurrentVersions></NoncurrentVersionExpiration></Rule>`)
	waitFor(t, func() bool { return len(versionsOf(t, c.e, "lcb", "v/k")) == 3 })
	vs := versionsOf(t, c.e, "lcb", "v/k")
	for i, want := range []string{ids[4], ids[3], ids[2]} {
		if vs[i].VersionID != want {
			t.Fatalf("kept %+v, want the current and the 2 newest noncurrent %v", vs, ids[2:])
		}
	}
	if wv := versionsOf(t, c.e, "lcb", "w/k"); len(wv) != 2 || wv[1].VersionID != other {
		t.Fatalf("a version outside the rule's prefix was removed: %+v", wv)
	}
}

func TestLifecycleNoncurrentAgeCountsFromSuccessor(t *testing.T) {
	c := newCluster(t, 3, plog.Policy{Mode: "replica", ParityShards: 1, Placement: "shuffle"})
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	c.cfg.Now = func() time.Time { return now }
	c.restart()
	ctx := context.Background()
	if err := c.e.CreateBucket(ctx, "lcb", ""); err != nil {
		t.Fatal(err)
	}
	if err := c.e.SetBucketVersioning(ctx, "lcb", engine.VersioningEnabled); err != nil {
		t.Fatal(err)
	}
	setLifecycle(t, c.e, "lcb", `<Rule><ID>nc</ID><Filter/><Status>Enabled</Status><NoncurrentVersionExpiration><NoncurrentDays>2</NoncurrentDays></NoncurrentVersionExpiration></Rule>`)
	old := put(t, c.e, "lcb", "k", payload(1, 10))
	now = now.Add(10 * 24 * time.Hour) // the old version is 10 days old…
	put(t, c.e, "lcb", "k", payload(2, 10))
	now = now.Add(24 * time.Hour) // …but noncurrent for 1 day only
	if res, err := c.e.RunLifecycle(ctx); err != nil || res.Noncurrent != 0 {
		t.Fatalf("pass = %+v, %v: a version noncurrent for 1 day expired by a 2-day rule", res, err)
	}
	now = now.Add(24 * time.Hour) // 2 days, rounded up to midnight UTC: not yet
	if res, _ := c.e.RunLifecycle(ctx); res.Noncurrent != 0 {
		t.Fatal("expired before the midnight after 2 days")
	}
	now = now.Truncate(24 * time.Hour).Add(24 * time.Hour)
	if res, err := c.e.RunLifecycle(ctx); err != nil || res.Noncurrent != 1 {
		t.Fatalf("pass = %+v, %v, want the noncurrent version removed", res, err)
	}
	if _, err := c.e.HeadObject(ctx, "lcb", "k", engine.GetOptions{VersionID: old.VersionID}); !errors.Is(err, engine.ErrNoSuchVersion) {
		t.Fatalf("old version: %v", err)
	}
}

func TestLifecycleRemovesExpiredDeleteMarkers(t *testing.T) {
	c, ctx := lifecycleCluster(t, engine.VersioningEnabled)
	only := put(t, c.e, "lcb", "only", payload(1, 10))
	if _, err := c.e.DeleteObjectVersion(ctx, "lcb", "only", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := c.e.DeleteObjectVersion(ctx, "lcb", "only", only.VersionID); err != nil {
		t.Fatal(err)
	}
	put(t, c.e, "lcb", "kept", payload(2, 10))
	if _, err := c.e.DeleteObjectVersion(ctx, "lcb", "kept", ""); err != nil {
		t.Fatal(err)
	}
	setLifecycle(t, c.e, "lcb", `<Rule><ID>dm</ID><Filter/><Status>Enabled</Status><Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration></Rule>`)
	waitFor(t, func() bool { return len(versionsOf(t, c.e, "lcb", "only")) == 0 })
	if vs := versionsOf(t, c.e, "lcb", "kept"); len(vs) != 2 || !vs[0].DeleteMarker {
		t.Fatalf("a marker over a noncurrent version was removed: %+v", vs)
	}
}

func TestLifecycleSizeFilter(t *testing.T) {
	c, _ := lifecycleCluster(t, "")
	put(t, c.e, "lcb", "small", payload(1, 10))
	put(t, c.e, "lcb", "mid", payload(2, 100))
	put(t, c.e, "lcb", "big", payload(3, 1000))
	setLifecycle(t, c.e, "lcb", `<Rule><ID>mid</ID><Filter><And><Prefix></Prefix><ObjectSizeGreaterThan>10</ObjectSizeGreaterThan><ObjectSizeLessThan>1000</ObjectSizeLessThan></And></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>`+
		`<Rule><ID>big</ID><Filter><ObjectSizeGreaterThan>999</ObjectSizeGreaterThan></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>`)
	waitFor(t, func() bool { return !exists(c.e, "lcb", "mid") && !exists(c.e, "lcb", "big") })
	if !exists(c.e, "lcb", "small") {
		t.Fatal("an object of 10 bytes matched ObjectSizeGreaterThan 10")
	}
}

func TestLifecycleAbortsOldUploads(t *testing.T) {
	c, ctx := lifecycleCluster(t, "")
	old, err := c.e.CreateUpload(ctx, "lcb", "tmp/big", "", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	part := payload(1, 100)
	if _, err := c.e.UploadPart(ctx, old.UploadID, 1, engine.PutInput{Bucket: "lcb", Key: "tmp/big", Size: int64(len(part)), Body: bytes.NewReader(part)}); err != nil {
		t.Fatal(err)
	}
	other, err := c.e.CreateUpload(ctx, "lcb", "keep/big", "", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	setLifecycle(t, c.e, "lcb", `<Rule><ID>abort</ID><Filter><Prefix>tmp/</Prefix></Filter><Status>Enabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>`)
	waitFor(t, func() bool {
		_, err := c.e.ListParts(ctx, "lcb", "tmp/big", old.UploadID, 0, 0)
		return errors.Is(err, engine.ErrNoSuchUpload)
	})
	if _, err := c.e.ListParts(ctx, "lcb", "keep/big", other.UploadID, 0, 0); err != nil {
		t.Fatalf("an upload outside the rule was aborted: %v", err)
	}
	waitFor(t, func() bool { _, purges := c.e.Pending(); return purges == 0 })
}

// TestLifecycleRestartMidPass closes the engine while a pass expires many
// keys: after the next start every key is expired exactly once.
func TestLifecycleRestartMidPass(t *testing.T) {
	c, _ := lifecycleCluster(t, engine.VersioningEnabled)
	const n = 300
	for i := range n {
		put(t, c.e, "lcb", fmt.Sprintf("k%04d", i), payload(uint64(i), 10))
	}
	setLifecycle(t, c.e, "lcb", `<Rule><ID>r</ID><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>`)
	waitFor(t, func() bool {
		for i := range n {
			if !exists(c.e, "lcb", fmt.Sprintf("k%04d", i)) {
				return true
			}
		}
		return false
	})
	c.restart()
	waitFor(t, func() bool {
		for i := range n {
			if exists(c.e, "lcb", fmt.Sprintf("k%04d", i)) {
				return false
			}
		}
		return true
	})
	for _, v := range allVersions(t, c.e, "lcb", 1000) {
		if v.DeleteMarker && !v.IsLatest {
			t.Fatalf("a key got two delete markers: %+v", v)
		}
	}
	if got := len(allVersions(t, c.e, "lcb", 1000)); got != 2*n {
		t.Fatalf("%d versions, want %d (each key: its version and one marker)", got, 2*n)
	}
}

// TestLifecycleSparesLockedVersions: noncurrent versions under COMPLIANCE
// retention or a legal hold outlive a rule that expires them; the pass
// counts them as skipped, removes the unlocked one, and removes the held
// one once its hold is lifted.
func TestLifecycleSparesLockedVersions(t *testing.T) {
	c, ctx := lifecycleCluster(t, engine.VersioningEnabled)
	if err := c.e.SetObjectLockConfiguration(ctx, "lcb", engine.ObjectLockConfig{}); err != nil {
		t.Fatal(err)
	}
	plain := put(t, c.e, "lcb", "k", payload(1, 10)).VersionID
	kept := put(t, c.e, "lcb", "k", payload(2, 10)).VersionID
	held := put(t, c.e, "lcb", "k", payload(3, 10)).VersionID
	put(t, c.e, "lcb", "k", payload(4, 10))
	if err := c.e.SetObjectRetention(ctx, "lcb", "k", kept, engine.Retention{Mode: "COMPLIANCE", Until: time.Now().Add(time.Hour)}, false); err != nil {
		t.Fatal(err)
	}
	if err := c.e.SetObjectLegalHold(ctx, "lcb", "k", held, true); err != nil {
		t.Fatal(err)
	}
	setLifecycle(t, c.e, "lcb", `<Rule><ID>nc</ID><Filter><Prefix></Prefix></Filter><Status>Enabled</Status><NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays></NoncurrentVersionExpiration></Rule>`)
	has := func(id string) bool {
		for _, v := range versionsOf(t, c.e, "lcb", "k") {
			if v.VersionID == id {
				return true
			}
		}
		return false
	}
	waitFor(t, func() bool { return !has(plain) })
	res, err := c.e.RunLifecycle(ctx)
	if err != nil || res.Skipped < 2 || !has(kept) || !has(held) {
		t.Fatalf("pass %+v (%v): locked versions kept %v, held %v", res, err, has(kept), has(held))
	}
	if err := c.e.SetObjectLegalHold(ctx, "lcb", "k", held, false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return !has(held) })
	if !has(kept) {
		t.Fatal("the COMPLIANCE version was removed")
	}
}
