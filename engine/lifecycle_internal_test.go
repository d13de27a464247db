package engine

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prismd/prismd/backends/mem"
	"github.com/prismd/prismd/lifecycle"
	plog "github.com/prismd/prismd/log"
)

// lifecycleEngine opens a stepped engine (no background) whose clock the
// test moves, with a bucket "lcb".
func lifecycleEngine(t *testing.T, now *time.Time) *Engine {
	t.Helper()
	e, err := Open(Config{DataDir: t.TempDir(), Regions: []Region{{Name: "a", Backend: mem.New()}, {Name: "b", Backend: mem.New()}},
		Policy: plog.Policy{Mode: "replica", ParityShards: 1, Placement: "shuffle"}, NoSync: true, NoBackground: true,
		SnapshotEvery: -1, Now: func() time.Time { return *now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	if err := e.CreateBucket(context.Background(), "lcb", ""); err != nil {
		t.Fatal(err)
	}
	return e
}

func lcPut(t *testing.T, e *Engine, key string, data []byte) ObjectInfo {
	t.Helper()
	info, err := e.PutObject(context.Background(), PutInput{Bucket: "lcb", Key: key, Size: int64(len(data)), Body: bytes.NewReader(data)})
	if err != nil {
		t.Fatal(err)
	}
	return info
}

func lcSet(t *testing.T, e *Engine, rules string) {
	t.Helper()
	cfg, err := lifecycle.Parse([]byte("<LifecycleConfiguration>" + rules + "</LifecycleConfiguration>"))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.SetBucketConfig(context.Background(), "lcb", ConfigLifecycle, cfg.Canonical()); err != nil {
		t.Fatal(err)
	}
}

// tag gives key's current version the tags, the way a tagged copy onto
// itself would (the tagging API is not needed for the rule's filter).
func tag(t *testing.T, e *Engine, key string, tags map[string]string) {
	t.Helper()
	x, ok := e.view().Object("lcb", key)
	if !ok {
		t.Fatalf("no %s", key)
	}
	meta := x.Meta
	meta.Tags = tags
	if _, err := e.append(context.Background(), plog.ObjectCopied{Bucket: "lcb", Key: key, SrcBucket: "lcb", SrcKey: key, Extents: x.Extents, Meta: meta}); err != nil {
		t.Fatal(err)
	}
}

func TestLifecycleTagFilter(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	e := lifecycleEngine(t, &now)
	for _, k := range []string{"scratch", "keep", "other", "untagged"} {
		lcPut(t, e, k, []byte("data of "+k))
	}
	tag(t, e, "scratch", map[string]string{"class": "scratch", "team": "a"})
	tag(t, e, "keep", map[string]string{"class": "keep"})
	tag(t, e, "other", map[string]string{"team": "a"})
	lcSet(t, e, `<Rule><ID>t</ID><Filter><And><Tag><Key>class</Key><Value>scratch</Value></Tag><Tag><Key>team</Key><Value>a</Value></Tag></And></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>`)
	now = now.Add(48 * time.Hour)
	res, err := e.RunLifecycle(context.Background())
	if err != nil || res.Expired != 1 {
		t.Fatalf("pass = %+v, %v; want 1 expired", res, err)
	}
	for _, k := range []string{"keep", "other", "untagged"} {
		if _, ok := e.view().Object("lcb", k); !ok {
			t.Errorf("%s expired without both tags", k)
		}
	}
	if _, ok := e.view().Object("lcb", "scratch"); ok {
		t.Error("the tagged object is still there")
	}
}

// TestLifecycleRewrittenKeyNotExpired: an expiry decided on the old
// version of a key that a client writes again before the expiry is
// appended is refused, and the pass counts it as skipped — in an
// unversioned bucket (both versions are "null") and in a versioned one.
func TestLifecycleRewrittenKeyNotExpired(t *testing.T) {
	for _, status := range []string{"", VersioningEnabled} {
		t.Run("versioning="+status, func(t *testing.T) {
			now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
			e := lifecycleEngine(t, &now)
			ctx := context.Background()
			if status != "" {
				if err := e.SetBucketVersioning(ctx, "lcb", status); err != nil {
					t.Fatal(err)
				}
			}
			lcPut(t, e, "k", []byte("old"))
			lcSet(t, e, `<Rule><ID>r</ID><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>`)
			now = now.Add(72 * time.Hour)
			old, _ := e.view().Latest("lcb", "k")
			stale := lifecycleAction{ev: plog.ObjectExpired{Bucket: "lcb", Key: "k", VersionID: old.VersionID, ModTime: old.Meta.ModTime, Rule: "r"}}
			lcPut(t, e, "k", []byte("new")) // the client's write lands first
			var res LifecycleResult
			stale.kind = &res.Expired
			e.lifecycleApply(ctx, []lifecycleAction{stale}, &res)
			if res.Expired != 0 || res.Skipped != 1 {
				t.Fatalf("stale expiry: %+v", res)
			}
			obj, err := e.GetObject(ctx, "lcb", "k", GetOptions{})
			if err != nil {
				t.Fatalf("the rewritten key was expired: %v", err)
			}
			obj.Close()
			if _, err := e.append(ctx, stale.ev); !errors.Is(err, ErrPreconditionFailed) {
				t.Fatalf("stale ObjectExpired appended: %v, want ErrPreconditionFailed", err)
			}
			// The fresh version is young: a pass leaves it.
			if res, _ := e.RunLifecycle(ctx); res.Expired != 0 {
				t.Fatalf("the fresh version expired: %+v", res)
			}
		})
	}
}

// TestLifecycleNullNoncurrentRewritten: in a suspended bucket the null
// version can be written again under the same id; a removal decided on
// the old noncurrent null version is not carried out on the new one.
func TestLifecycleNullNoncurrentRewritten(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	e := lifecycleEngine(t, &now)
	ctx := context.Background()
	lcPut(t, e, "k", []byte("null version"))
	if err := e.SetBucketVersioning(ctx, "lcb", VersioningEnabled); err != nil {
		t.Fatal(err)
	}
	lcPut(t, e, "k", []byte("v2"))
	old, ok := e.view().ObjectVersion("lcb", "k", NullVersion)
	if !ok || old.IsLatest {
		t.Fatal("no noncurrent null version")
	}
	if err := e.SetBucketVersioning(ctx, "lcb", VersioningSuspended); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Second)
	lcPut(t, e, "k", []byte("new null")) // replaces the null version: now current
	var res LifecycleResult
	e.lifecycleApply(ctx, []lifecycleAction{{ev: plog.ObjectVersionDeleted{Bucket: "lcb", Key: "k", VersionID: NullVersion},
		kind: &res.Noncurrent, nullCheck: old.Meta.ModTime}}, &res)
	if res.Skipped != 1 || res.Noncurrent != 0 {
		t.Fatalf("stale removal: %+v", res)
	}
	if x, ok := e.view().ObjectVersion("lcb", "k", NullVersion); !ok || !x.IsLatest {
		t.Fatal("the new null version was removed")
	}
}

// TestLifecyclePages: with pages of 2 versions, a key's versions split
// over pages keep their count (NewerNoncurrentVersions) and successor
// times, and a lone marker at a page's end is still seen as alone.
func TestLifecyclePages(t *testing.T) {
	defer func(n int) { lifecyclePage = n }(lifecyclePage)
	lifecyclePage = 2
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	e := lifecycleEngine(t, &now)
	ctx := context.Background()
	if err := e.SetBucketVersioning(ctx, "lcb", VersioningEnabled); err != nil {
		t.Fatal(err)
	}
	var aIDs []string
	for i := range 5 {
		aIDs = append(aIDs, lcPut(t, e, "a", []byte{byte(i)}).VersionID)
		now = now.Add(time.Minute)
	}
	b := lcPut(t, e, "b", []byte("b"))
	if _, err := e.DeleteObjectVersion(ctx, "lcb", "b", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := e.DeleteObjectVersion(ctx, "lcb", "b", b.VersionID); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		lcPut(t, e, "c", []byte{byte(i)})
	}
	lcSet(t, e, `<Rule><ID>nc</ID><Filter/><Status>Enabled</Status><NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays><NewerNoncurrentVersions>1</NewerNoncurrentVersions></NoncurrentVersionExpiration></Rule>`+
		`<Rule><ID>dm</ID><Filter/><Status>Enabled</Status><Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration></Rule>`)
	now = now.Add(72 * time.Hour)
	res, err := e.RunLifecycle(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Noncurrent != 3+1 || res.Markers != 1 || res.Skipped != 0 {
		t.Fatalf("pass = %+v, want 4 noncurrent and 1 marker removed", res)
	}
	page, err := e.ListObjectVersions(ctx, ListVersionsInput{Bucket: "lcb"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range page.Versions {
		got = append(got, v.Key+"/"+v.VersionID)
	}
	if len(got) != 4 || got[0] != "a/"+aIDs[4] || got[1] != "a/"+aIDs[3] || got[2][:2] != "c/" {
		t.Fatalf("left %v, want a's 2 newest and c's 2 newest", got)
	}
	if res, _ := e.RunLifecycle(ctx); res != (LifecycleResult{}) {
		t.Fatalf("second pass did %+v", res)
	}
}
