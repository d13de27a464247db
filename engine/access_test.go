package engine

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/prismd/prismd/access"
	"github.com/prismd/prismd/backends/mem"
	plog "github.com/prismd/prismd/log"
)

// TestBucketAccessSurvivesReopen: owners, ACLs, policies, blocks and
// ownership come back from the log (and from a snapshot) after a restart;
// a malformed policy is refused before it reaches the log.
func TestBucketAccessSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	backend := mem.New()
	cfg := func(snap int) Config {
		return Config{DataDir: dir, Regions: []Region{{Name: "a", Backend: backend}},
			Policy: plog.Policy{Mode: "replica", Placement: "shuffle"}, NoSync: true, NoBackground: true, SnapshotEvery: snap, MasterKey: bytes.Repeat([]byte{3}, 32)}
	}
	e, err := Open(cfg(-1))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	grants := []plog.Grant{{Grantee: "group:AllUsers", Permission: "READ"}}
	pol := `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*"}]}`
	if err := e.CreateBucketFor(ctx, CreateBucketInput{Name: "bkt", Owner: "ALICE", Ownership: "ObjectWriter", Grants: grants}); err != nil {
		t.Fatal(err)
	}
	if err := e.SetBucketAccessPolicy(ctx, "bkt", `{"Statement":[]}`); !errors.Is(err, access.ErrMalformedPolicy) {
		t.Fatalf("malformed policy: %v", err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(e.SetBucketAccessPolicy(ctx, "bkt", pol))
	must(e.SetPublicAccessBlock(ctx, "bkt", &plog.PublicAccessBlock{IgnorePublicAcls: true}))
	if _, err := e.PutObject(ctx, PutInput{Bucket: "bkt", Key: "k", Size: 1, Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	must(e.SetObjectACL(ctx, "bkt", "k", grants))
	if err := e.SetObjectACL(ctx, "bkt", "nope", grants); !errors.Is(err, ErrNoSuchKey) {
		t.Fatalf("acl of a missing object: %v", err)
	}
	if err := e.SetOwnershipControls(ctx, "bkt", "Nonsense"); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("bad ownership: %v", err)
	}
	// Objects BOB wrote into ALICE's ObjectWriter bucket are BOB's; a copy
	// is its copier's, not its source's owner's.
	if _, err := e.PutObject(ctx, PutInput{Bucket: "bkt", Key: "bobs", Size: 1, Body: strings.NewReader("b"), Owner: "BOB"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.CopyObject(ctx, CopyInput{SrcBucket: "bkt", SrcKey: "bobs", Bucket: "bkt", Key: "copied"}); err != nil {
		t.Fatal(err)
	}
	up, err := e.CreateUploadWith(ctx, CreateUploadInput{Bucket: "bkt", Key: "multi", Owner: "BOB"})
	must(err)
	p, err := e.UploadPart(ctx, up.UploadID, 1, PutInput{Bucket: "bkt", Key: "multi", Size: 1, Body: strings.NewReader("m")})
	must(err)
	if _, err := e.CompleteUpload(ctx, "bkt", "multi", up.UploadID, []CompletePart{{Number: 1, ETag: p.ETag}}, Conditions{}); err != nil {
		t.Fatal(err)
	}
	check := func(e *Engine) {
		t.Helper()
		a, err := e.BucketAccess("bkt")
		if err != nil || a.Owner != "ALICE" || a.Ownership != "ObjectWriter" || len(a.Grants) != 1 || a.Policy != pol || a.Block == nil || !a.Block.IgnorePublicAcls {
			t.Fatalf("access %+v %v", a, err)
		}
		if g, ok, err := e.ObjectACL("bkt", "k"); err != nil || !ok || len(g) != 1 {
			t.Fatalf("object acl %v %v %v", g, ok, err)
		}
		if bs, _ := e.ListBuckets(ctx); len(bs) != 1 || bs[0].Owner != "ALICE" {
			t.Fatalf("buckets %+v", bs)
		}
		for key, want := range map[string]string{"k": "", "bobs": "BOB", "copied": "", "multi": "BOB"} {
			if info, err := e.HeadObject(ctx, "bkt", key, GetOptions{}); err != nil || info.Owner != want {
				t.Fatalf("owner of %s: %q %v, want %q", key, info.Owner, err, want)
			}
		}
	}
	check(e)
	must(e.Close())
	for _, snap := range []int{-1, 1} { // from the log, then from a snapshot
		if e, err = Open(cfg(snap)); err != nil {
			t.Fatal(err)
		}
		check(e)
		must(e.Close())
	}
	if CanonicalID("ALICE") != CanonicalID("ALICE") || len(CanonicalID("ALICE")) != 64 || CanonicalID("ALICE") == CanonicalID("BOB") {
		t.Fatal("canonical ids")
	}
}
