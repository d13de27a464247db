package s3

import (
	"bytes"
	"context"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestMultipartUploadACL: x-amz-acl on CreateMultipartUpload gives the
// completed object that ACL with the completion itself (an anonymous GET
// reads a public-read object); an upload without one leaves the object
// private; under
// BucketOwnerEnforced a public ACL is refused at creation, as AWS does.
func TestMultipartUploadACL(t *testing.T) {
	e, srv, c := newEngineServer(t)
	ctx := context.Background()
	b := aws.String("mpacl")
	if _, err := c.CreateBucket(ctx, &s3sdk.CreateBucketInput{Bucket: b, ObjectOwnership: types.ObjectOwnershipBucketOwnerPreferred}); err != nil {
		t.Fatal(err)
	}
	upload := func(key string, acl types.ObjectCannedACL) error {
		up, err := c.CreateMultipartUpload(ctx, &s3sdk.CreateMultipartUploadInput{Bucket: b, Key: aws.String(key), ACL: acl})
		if err != nil {
			return err
		}
		part, err := c.UploadPart(ctx, &s3sdk.UploadPartInput{Bucket: b, Key: aws.String(key), UploadId: up.UploadId,
			PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("multipart " + key))})
		if err != nil {
			return err
		}
		_, err = c.CompleteMultipartUpload(ctx, &s3sdk.CompleteMultipartUploadInput{Bucket: b, Key: aws.String(key), UploadId: up.UploadId,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: part.ETag}}}})
		return err
	}
	if err := upload("open", types.ObjectCannedACLPublicRead); err != nil {
		t.Fatal(err)
	}
	if err := upload("closed", ""); err != nil {
		t.Fatal(err)
	}
	anon := func(key string) int {
		resp, err := srv.Client().Get(srv.URL + "/mpacl/" + key)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if st := anon("open"); st != http.StatusOK {
		t.Fatalf("anonymous GET of a public-read multipart object: %d", st)
	}
	if st := anon("closed"); st != http.StatusForbidden {
		t.Fatalf("anonymous GET of a private multipart object: %d", st)
	}
	acl, err := c.GetObjectAcl(ctx, &s3sdk.GetObjectAclInput{Bucket: b, Key: aws.String("open")})
	public := false
	for _, g := range acl.Grants {
		public = public || g.Grantee != nil && aws.ToString(g.Grantee.URI) == "http://acs.amazonaws.com/groups/global/AllUsers" && g.Permission == types.PermissionRead
	}
	if err != nil || !public {
		t.Fatalf("GetObjectAcl of the public-read multipart object: %+v %v", acl, err)
	}
	if g, ok, err := e.ObjectACL("mpacl", "open"); err != nil || !ok || len(g) == 0 {
		t.Fatalf("engine ACL %v %v %v", g, ok, err)
	}
	if _, err := c.CreateBucket(ctx, &s3sdk.CreateBucketInput{Bucket: aws.String("enforced")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateMultipartUpload(ctx, &s3sdk.CreateMultipartUploadInput{Bucket: aws.String("enforced"), Key: aws.String("k"), ACL: types.ObjectCannedACLPublicRead})
	if apiCode(err) != "AccessControlListNotSupported" {
		t.Fatalf("public-read upload under BucketOwnerEnforced: %v", err)
	}
}
