package s3

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/prismd/prismd/engine"
)

// TestGetObjectAttributes: GetObjectAttributes through aws-sdk-go-v2
// answers the ETag (unquoted), checksum and type, size, storage class, and
// for a multipart object its parts with sizes and checksums, page by page
// with max-parts and part-number-marker; a bad or missing attribute list is
// InvalidArgument; an absent key NoSuchKey.
func TestGetObjectAttributes(t *testing.T) {
	_, srv, c := newEngineServer(t)
	ctx := context.Background()
	b := aws.String("attrs")
	if _, err := c.CreateBucket(ctx, &s3sdk.CreateBucketInput{Bucket: b}); err != nil {
		t.Fatal(err)
	}
	all := []types.ObjectAttributes{types.ObjectAttributesEtag, types.ObjectAttributesChecksum, types.ObjectAttributesObjectParts,
		types.ObjectAttributesStorageClass, types.ObjectAttributesObjectSize}
	data := []byte("single part body")
	if _, err := c.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: b, Key: aws.String("single"), Body: bytes.NewReader(data)}); err != nil {
		t.Fatal(err)
	}
	a, err := c.GetObjectAttributes(ctx, &s3sdk.GetObjectAttributesInput{Bucket: b, Key: aws.String("single"), ObjectAttributes: all})
	if err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum(data)
	if aws.ToString(a.ETag) != hex.EncodeToString(sum[:]) || aws.ToInt64(a.ObjectSize) != int64(len(data)) || a.StorageClass != types.StorageClassStandard ||
		a.ObjectParts != nil || a.Checksum == nil || aws.ToString(a.Checksum.ChecksumCRC64NVME) != b64sum("CRC64NVME", data) ||
		a.Checksum.ChecksumType != types.ChecksumTypeFullObject || a.LastModified == nil {
		t.Fatalf("single-part attributes: %+v %+v", a, a.Checksum)
	}
	a, err = c.GetObjectAttributes(ctx, &s3sdk.GetObjectAttributesInput{Bucket: b, Key: aws.String("single"), ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesObjectSize}})
	if err != nil || a.ETag != nil || a.Checksum != nil || a.StorageClass != "" || aws.ToInt64(a.ObjectSize) != int64(len(data)) {
		t.Fatalf("ObjectSize only: %+v %v", a, err)
	}

	key := aws.String("multi")
	up, err := c.CreateMultipartUpload(ctx, &s3sdk.CreateMultipartUploadInput{Bucket: b, Key: key, ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
	if err != nil {
		t.Fatal(err)
	}
	sizes := []int{engine.MinPartSize, engine.MinPartSize + 1, 7}
	var done []types.CompletedPart
	var sums []string
	for i, n := range sizes {
		body := bytes.Repeat([]byte{byte('a' + i)}, n)
		out, err := c.UploadPart(ctx, &s3sdk.UploadPartInput{Bucket: b, Key: key, UploadId: up.UploadId, PartNumber: aws.Int32(int32(i + 1)),
			Body: bytes.NewReader(body), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
		if err != nil {
			t.Fatal(err)
		}
		sums = append(sums, aws.ToString(out.ChecksumCRC32))
		done = append(done, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: out.ETag, ChecksumCRC32: out.ChecksumCRC32})
	}
	co, err := c.CompleteMultipartUpload(ctx, &s3sdk.CompleteMultipartUploadInput{Bucket: b, Key: key, UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: done}})
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	marker := ""
	for page := 0; ; page++ {
		in := &s3sdk.GetObjectAttributesInput{Bucket: b, Key: key, ObjectAttributes: all, MaxParts: aws.Int32(2)}
		if marker != "" {
			in.PartNumberMarker = aws.String(marker)
		}
		a, err := c.GetObjectAttributes(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if `"`+aws.ToString(a.ETag)+`"` != aws.ToString(co.ETag) || a.Checksum == nil || aws.ToString(a.Checksum.ChecksumCRC32) != aws.ToString(co.ChecksumCRC32) ||
			a.Checksum.ChecksumType != types.ChecksumTypeComposite || !strings.HasSuffix(aws.ToString(a.Checksum.ChecksumCRC32), "-3") {
			t.Fatalf("multipart attributes: %+v %+v", a, a.Checksum)
		}
		op := a.ObjectParts
		if op == nil || aws.ToInt32(op.TotalPartsCount) != 3 || aws.ToInt32(op.MaxParts) != 2 {
			t.Fatalf("page %d: ObjectParts %+v", page, op)
		}
		for _, p := range op.Parts {
			n := int(aws.ToInt32(p.PartNumber))
			if aws.ToInt64(p.Size) != int64(sizes[n-1]) || aws.ToString(p.ChecksumCRC32) != sums[n-1] {
				t.Fatalf("part %d: size %d crc32 %s", n, aws.ToInt64(p.Size), aws.ToString(p.ChecksumCRC32))
			}
			got = append(got, n)
		}
		if !aws.ToBool(op.IsTruncated) {
			break
		}
		marker = aws.ToString(op.NextPartNumberMarker)
	}
	if len(got) != 3 || got[0] != 1 || got[2] != 3 {
		t.Fatalf("parts listed: %v", got)
	}

	_, err = c.GetObjectAttributes(ctx, &s3sdk.GetObjectAttributesInput{Bucket: b, Key: aws.String("absent"), ObjectAttributes: all})
	if apiCode(err) != "NoSuchKey" {
		t.Fatalf("absent key: %v", err)
	}
	for _, hdr := range []map[string]string{nil, {"X-Amz-Object-Attributes": "ETag,Colour"}, {"X-Amz-Object-Attributes": "ETag", "X-Amz-Max-Parts": "-1"}} {
		resp, body := send(t, signedRequest(t, "GET", srv.URL+"/attrs/single?attributes", nil, unsignedPayload, hdr))
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "<Code>InvalidArgument</Code>") {
			t.Errorf("headers %v: %d\n%s", hdr, resp.StatusCode, body)
		}
	}
}
