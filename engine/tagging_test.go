package engine_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"testing"

	"github.com/prismd/prismd/engine"
)

func headTags(t *testing.T, e *engine.Engine, bucket, key, id string) map[string]string {
	t.Helper()
	info, err := e.HeadObject(context.Background(), bucket, key, engine.GetOptions{VersionID: id})
	if err != nil {
		t.Fatalf("head %s/%s %s: %v", bucket, key, id, err)
	}
	return info.Tags
}

func putTagged(t *testing.T, e *engine.Engine, bucket, key string, data []byte, tags map[string]string) engine.ObjectInfo {
	t.Helper()
	info, err := e.PutObject(context.Background(), engine.PutInput{Bucket: bucket, Key: key, Size: int64(len(data)), Body: bytes.NewReader(data), Tags: tags})
	if err != nil {
		t.Fatal(err)
	}
	return info
}

// TestObjectTagsSurviveRestart: tags set by PUT and by SetObjectTags are
// there after a restart from the log and from a snapshot; an overwrite
// in an unversioned bucket brings its own tags (none).
func TestObjectTagsSurviveRestart(t *testing.T) {
	c, ctx := versionedCluster(t, "")
	putTagged(t, c.e, "vers", "a", []byte("a"), map[string]string{"put": "1"})
	putTagged(t, c.e, "vers", "b", []byte("b"), nil)
	info, err := c.e.SetObjectTags(ctx, "vers", "b", "", map[string]string{"set": "2", "x": ""})
	if err != nil || info.VersionID != "" {
		t.Fatalf("set tags: %+v %v", info, err)
	}
	check := func(when string) {
		t.Helper()
		if got := headTags(t, c.e, "vers", "a", ""); !maps.Equal(got, map[string]string{"put": "1"}) {
			t.Fatalf("%s: a has %v", when, got)
		}
		if got := headTags(t, c.e, "vers", "b", ""); !maps.Equal(got, map[string]string{"set": "2", "x": ""}) {
			t.Fatalf("%s: b has %v", when, got)
		}
	}
	check("before restart")
	c.restart()
	check("after restart")
	if _, err := c.e.Snapshot(); err != nil {
		t.Fatal(err)
	}
	c.restart()
	check("after snapshot")
	putTagged(t, c.e, "vers", "b", []byte("b2"), nil)
	if got := headTags(t, c.e, "vers", "b", ""); got != nil {
		t.Fatalf("overwritten object keeps tags %v", got)
	}
	if _, err := c.e.SetObjectTags(ctx, "vers", "a", "", nil); err != nil {
		t.Fatal(err)
	}
	if got := headTags(t, c.e, "vers", "a", ""); got != nil {
		t.Fatalf("deleted tags: %v", got)
	}
	if _, err := c.e.SetObjectTags(ctx, "vers", "absent", "", map[string]string{"k": "v"}); !errors.Is(err, engine.ErrNoSuchKey) {
		t.Fatalf("tags of a missing key: %v", err)
	}
	if _, err := c.e.SetObjectTags(ctx, "nobucket", "a", "", map[string]string{"k": "v"}); !errors.Is(err, engine.ErrNoSuchBucket) {
		t.Fatalf("tags in a missing bucket: %v", err)
	}
}

// TestObjectTagsFollowVersions: each version has its own tags; setting
// an old version's leaves the latest alone; a delete marker refuses.
func TestObjectTagsFollowVersions(t *testing.T) {
	c, ctx := versionedCluster(t, engine.VersioningEnabled)
	v1 := putTagged(t, c.e, "vers", "k", []byte("1"), map[string]string{"v": "1"})
	v2 := putTagged(t, c.e, "vers", "k", []byte("2"), map[string]string{"v": "2"})
	info, err := c.e.SetObjectTags(ctx, "vers", "k", v1.VersionID, map[string]string{"old": "yes"})
	if err != nil || info.VersionID != v1.VersionID {
		t.Fatalf("set old version's tags: %+v %v", info, err)
	}
	if info, err := c.e.SetObjectTags(ctx, "vers", "k", "", map[string]string{"v": "latest"}); err != nil || info.VersionID != v2.VersionID {
		t.Fatalf("set latest's tags: %+v %v", info, err)
	}
	c.restart()
	if got := headTags(t, c.e, "vers", "k", v1.VersionID); !maps.Equal(got, map[string]string{"old": "yes"}) {
		t.Fatalf("v1 tags %v", got)
	}
	if got := headTags(t, c.e, "vers", "k", ""); !maps.Equal(got, map[string]string{"v": "latest"}) {
		t.Fatalf("latest tags %v", got)
	}
	del, err := c.e.DeleteObjectVersion(ctx, "vers", "k", "")
	if err != nil || !del.DeleteMarker {
		t.Fatal(del, err)
	}
	if info, err := c.e.SetObjectTags(ctx, "vers", "k", "", map[string]string{"a": "b"}); !errors.Is(err, engine.ErrNoSuchKey) || !info.DeleteMarker {
		t.Fatalf("tags behind a delete marker: %+v %v", info, err)
	}
	if info, err := c.e.SetObjectTags(ctx, "vers", "k", del.VersionID, map[string]string{"a": "b"}); !errors.Is(err, engine.ErrDeleteMarker) || info.VersionID != del.VersionID {
		t.Fatalf("tags of a delete marker: %+v %v", info, err)
	}
	if _, err := c.e.SetObjectTags(ctx, "vers", "k", "0000000000abcdef", nil); !errors.Is(err, engine.ErrNoSuchVersion) {
		t.Fatalf("missing version: %v", err)
	}
	if _, err := c.e.SetObjectTags(ctx, "vers", "k", "nope", nil); !errors.Is(err, engine.ErrInvalidVersion) {
		t.Fatalf("invalid version: %v", err)
	}
	if got := headTags(t, c.e, "vers", "k", v2.VersionID); !maps.Equal(got, map[string]string{"v": "latest"}) {
		t.Fatalf("v2 tags after the refusals %v", got)
	}
}

// TestObjectTagsCopyAndMultipart: a copy keeps the source's tags unless
// it replaces them; a multipart upload's tags land at completion.
func TestObjectTagsCopyAndMultipart(t *testing.T) {
	c, ctx := versionedCluster(t, "")
	src := map[string]string{"from": "src"}
	putTagged(t, c.e, "vers", "src", []byte("data"), src)
	for _, tc := range []struct {
		name string
		in   engine.CopyInput
		want map[string]string
	}{
		{"copy", engine.CopyInput{}, src},
		{"replace", engine.CopyInput{ReplaceTags: true, Tags: map[string]string{"new": "1"}}, map[string]string{"new": "1"}},
		{"replace-none", engine.CopyInput{ReplaceTags: true}, nil},
	} {
		in := tc.in
		in.SrcBucket, in.SrcKey, in.Bucket, in.Key = "vers", "src", "vers", tc.name
		if _, err := c.e.CopyObject(ctx, in); err != nil {
			t.Fatal(err)
		}
		if got := headTags(t, c.e, "vers", tc.name, ""); !maps.Equal(got, tc.want) {
			t.Fatalf("%s: tags %v, want %v", tc.name, got, tc.want)
		}
	}
	u, err := c.e.CreateUploadWith(ctx, engine.CreateUploadInput{Bucket: "vers", Key: "mp", Tags: map[string]string{"mp": "yes"}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.e.UploadPart(ctx, u.UploadID, 1, engine.PutInput{Bucket: "vers", Key: "mp", Size: 3, Body: bytes.NewReader([]byte("abc"))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.e.HeadObject(ctx, "vers", "mp", engine.GetOptions{}); !errors.Is(err, engine.ErrNoSuchKey) {
		t.Fatalf("upload visible before completion: %v", err)
	}
	c.restart()
	if _, err := c.e.CompleteUpload(ctx, "vers", "mp", u.UploadID, []engine.CompletePart{{Number: 1, ETag: p.ETag}}, engine.Conditions{}); err != nil {
		t.Fatal(err)
	}
	if got := headTags(t, c.e, "vers", "mp", ""); !maps.Equal(got, map[string]string{"mp": "yes"}) {
		t.Fatalf("multipart tags %v", got)
	}
}

// TestObjectTagsRace: two PutObjectTagging racing on one key end with
// one of the two sets, whole.
func TestObjectTagsRace(t *testing.T) {
	c, ctx := versionedCluster(t, "")
	putTagged(t, c.e, "vers", "k", []byte("x"), nil)
	a := map[string]string{"a1": "1", "a2": "2", "a3": "3"}
	b := map[string]string{"b1": "1", "b2": "2"}
	for i := range 50 {
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for j, tags := range []map[string]string{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[j] = c.e.SetObjectTags(ctx, "vers", "k", "", tags)
			}()
		}
		wg.Wait()
		if errs[0] != nil || errs[1] != nil {
			t.Fatal(errs)
		}
		if got := headTags(t, c.e, "vers", "k", ""); !maps.Equal(got, a) && !maps.Equal(got, b) {
			t.Fatalf("round %d: tags %v are neither set", i, got)
		}
	}
	c.restart()
	if got := headTags(t, c.e, "vers", "k", ""); !maps.Equal(got, a) && !maps.Equal(got, b) {
		t.Fatalf("after restart: tags %v", fmt.Sprint(got))
	}
}
