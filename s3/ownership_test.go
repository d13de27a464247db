package s3

import (
	"strings"
	"testing"
)

// TestObjectWriterOwnership: under ObjectWriter a key writing into a
// bucket it does not own owns the object: the object's ACL and listings
// name it, it reads its object, and the bucket's owner reads it only when
// granted (bucket-owner-full-control), as on AWS. BucketOwnerPreferred
// gives the object to the bucket's owner on bucket-owner-full-control
// only; BucketOwnerEnforced makes the bucket's owner own everything.
func TestObjectWriterOwnership(t *testing.T) {
	e, _ := authzEnv(t) // bkt: AKOWNER's, ObjectWriter
	setPolicy(t, e, `{"Effect":"Allow","Principal":{"AWS":"AKOTHER"},"Action":["s3:PutObject","s3:GetObject","s3:GetObjectAcl","s3:ListBucket"],"Resource":["arn:aws:s3:::bkt","arn:aws:s3:::bkt/*"]},
	 {"Effect":"Allow","Principal":{"AWS":"AKOWNER"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*"}`)
	put := func(key string, hdr map[string]string) {
		t.Helper()
		if st, b := authzDo(t, e, callerOther, "PUT", "/bkt/"+key, []byte("data-"+key), hdr); st != 200 {
			t.Fatalf("PUT %s: %d %s", key, st, b)
		}
	}
	ownerID, otherID := ownerOf("AKOWNER").ID, ownerOf("AKOTHER").ID
	aclOwner := func(caller, key string) string {
		t.Helper()
		st, b := authzDo(t, e, caller, "GET", "/bkt/"+key+"?acl", nil, nil)
		if st != 200 {
			t.Fatalf("GetObjectAcl %s as %s: %d %s", key, caller, st, b)
		}
		return between(b, "<Owner><ID>", "</ID>")
	}
	get := func(caller, key string) int {
		t.Helper()
		st, _ := authzDo(t, e, caller, "GET", "/bkt/"+key, nil, nil)
		return st
	}

	put("mine", nil)
	if got := aclOwner(callerOther, "mine"); got != otherID {
		t.Fatalf("owner of an object other wrote: %q, want other's %q", got, otherID)
	}
	if st, b := authzDo(t, e, callerOther, "GET", "/bkt/mine?acl", nil, nil); !strings.Contains(b, "<ID>"+otherID+"</ID>") || strings.Contains(b, "<ID>"+ownerID+"</ID></Grantee>") || st != 200 {
		t.Fatalf("default ACL of other's object: %s", b)
	}
	if st := get(callerOther, "mine"); st != 200 {
		t.Fatalf("other reading its object: %d", st)
	}
	// The bucket's owner is not granted: its own policy's Allow does not
	// reach an object it does not own.
	if st := get(callerOwner, "mine"); st != 403 {
		t.Fatalf("bucket owner reading other's private object: %d", st)
	}
	if st, b := authzDo(t, e, callerOther, "GET", "/bkt?list-type=2&fetch-owner=true&prefix=mine", nil, nil); st != 200 || between(b, "<Owner><ID>", "</ID>") != otherID {
		t.Fatalf("listing's owner of other's object: %d %s", st, b)
	}

	// A copy is its copier's, whoever owns the source.
	if st, b := authzDo(t, e, callerOther, "PUT", "/bkt/copied", nil, map[string]string{"x-amz-copy-source": "/bkt/obj"}); st != 200 {
		t.Fatalf("copy by other: %d %s", st, b)
	}
	if got := aclOwner(callerOther, "copied"); got != otherID {
		t.Fatalf("owner of other's copy of the bucket owner's object: %q", got)
	}

	// An upload other starts is other's object to be.
	setPolicy(t, e, `{"Effect":"Allow","Principal":{"AWS":"AKOTHER"},"Action":["s3:PutObject","s3:GetObject","s3:GetObjectAcl","s3:ListBucket","s3:ListBucketMultipartUploads"],"Resource":["arn:aws:s3:::bkt","arn:aws:s3:::bkt/*"]},
	 {"Effect":"Allow","Principal":{"AWS":"AKOWNER"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*"}`)
	if st, b := authzDo(t, e, callerOther, "POST", "/bkt/upload?uploads", nil, nil); st != 200 {
		t.Fatalf("CreateMultipartUpload: %d %s", st, b)
	}
	if st, b := authzDo(t, e, callerOther, "GET", "/bkt?uploads&prefix=upload", nil, nil); st != 200 || between(b, "<Owner><ID>", "</ID>") != otherID {
		t.Fatalf("owner of other's upload: %d %s", st, b)
	}

	put("shared", map[string]string{"x-amz-acl": "bucket-owner-full-control"})
	if got := aclOwner(callerOther, "shared"); got != otherID {
		t.Fatalf("owner under ObjectWriter with bucket-owner-full-control: %q", got)
	}
	if st := get(callerOwner, "shared"); st != 200 {
		t.Fatalf("bucket owner reading an object granted to it: %d", st)
	}

	// BucketOwnerPreferred: bucket-owner-full-control gives the bucket's
	// owner the object; without it, the writer keeps it.
	ctl := func(ownership string) {
		t.Helper()
		doc := "<OwnershipControls><Rule><ObjectOwnership>" + ownership + "</ObjectOwnership></Rule></OwnershipControls>"
		if st, b := authzDo(t, e, callerOwner, "PUT", "/bkt?ownershipControls", []byte(doc), nil); st != 200 {
			t.Fatalf("PutBucketOwnershipControls %s: %d %s", ownership, st, b)
		}
	}
	ctl("BucketOwnerPreferred")
	put("preferred", map[string]string{"x-amz-acl": "bucket-owner-full-control"})
	put("kept", nil)
	if got := aclOwner(callerOwner, "preferred"); got != ownerID {
		t.Fatalf("owner under BucketOwnerPreferred with bucket-owner-full-control: %q", got)
	}
	if got := aclOwner(callerOther, "kept"); got != otherID {
		t.Fatalf("owner under BucketOwnerPreferred without it: %q", got)
	}

	// BucketOwnerEnforced: the bucket's owner owns every object, those
	// written before included, and its policy governs them.
	if st, b := authzDo(t, e, callerOwner, "PUT", "/bkt?acl", nil, map[string]string{"x-amz-acl": "private"}); st != 200 {
		t.Fatalf("PutBucketAcl private: %d %s", st, b)
	}
	ctl("BucketOwnerEnforced")
	if got := aclOwner(callerOwner, "mine"); got != ownerID {
		t.Fatalf("owner under BucketOwnerEnforced: %q", got)
	}
	if st := get(callerOwner, "mine"); st != 200 {
		t.Fatalf("bucket owner reading under BucketOwnerEnforced: %d", st)
	}
}

// between is the text of s between the first start and the next end.
func between(s, start, end string) string {
	_, rest, ok := strings.Cut(s, start)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, end)
	return v
}
