package s3

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/prismd/prismd/engine"
)

func b64sum(alg string, b []byte) string {
	h := engine.NewChecksum(alg)
	h.Write(b)
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// TestDefaultCRC64NVME: a PUT that names no checksum gets a full-object
// CRC64NVME, answered on the PUT and on HEAD and GET in checksum mode; it is
// the value aws-sdk-go-v2 computes for ChecksumAlgorithm CRC64NVME.
func TestDefaultCRC64NVME(t *testing.T) {
	_, _, c := newEngineServer(t)
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3sdk.CreateBucketInput{Bucket: aws.String("sums")}); err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("default checksum "), 3000)
	want := b64sum("CRC64NVME", data)
	po, err := c.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: aws.String("sums"), Key: aws.String("plain"), Body: bytes.NewReader(data)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(po.ChecksumCRC64NVME) != want || po.ChecksumType != types.ChecksumTypeFullObject {
		t.Fatalf("PUT answer: crc64nvme %q type %q, want %q FULL_OBJECT", aws.ToString(po.ChecksumCRC64NVME), po.ChecksumType, want)
	}
	sdk, err := c.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: aws.String("sums"), Key: aws.String("sdk"), Body: bytes.NewReader(data),
		ChecksumAlgorithm: types.ChecksumAlgorithmCrc64nvme})
	if err != nil || aws.ToString(sdk.ChecksumCRC64NVME) != want {
		t.Fatalf("the SDK's CRC64NVME: %v %v, want %s", aws.ToString(sdk.ChecksumCRC64NVME), err, want)
	}
	h, err := c.HeadObject(ctx, &s3sdk.HeadObjectInput{Bucket: aws.String("sums"), Key: aws.String("plain"), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil || aws.ToString(h.ChecksumCRC64NVME) != want || h.ChecksumType != types.ChecksumTypeFullObject {
		t.Fatalf("HEAD: %q %q %v", aws.ToString(h.ChecksumCRC64NVME), h.ChecksumType, err)
	}
	h, err = c.HeadObject(ctx, &s3sdk.HeadObjectInput{Bucket: aws.String("sums"), Key: aws.String("plain")})
	if err != nil || h.ChecksumCRC64NVME != nil || h.ChecksumType != "" {
		t.Fatalf("HEAD without checksum mode: %v %q %v", h.ChecksumCRC64NVME, h.ChecksumType, err)
	}
	g, err := c.GetObject(ctx, &s3sdk.GetObjectInput{Bucket: aws.String("sums"), Key: aws.String("plain"), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil || aws.ToString(g.ChecksumCRC64NVME) != want {
		t.Fatalf("GET: %v", err)
	}
	io.Copy(io.Discard, g.Body)
	g.Body.Close()
}

// TestMultipartChecksumTypes: CreateMultipartUpload with a checksum
// algorithm and type answers both; the completed object carries the
// COMPOSITE ("-N") or FULL_OBJECT checksum of its parts, in the completion,
// HEAD and ListParts; an upload naming none gets the full-object CRC64NVME;
// impossible pairs are InvalidRequest; a wrong full-object value sent with
// the completion is BadDigest.
func TestMultipartChecksumTypes(t *testing.T) {
	_, _, c := newEngineServer(t)
	ctx := context.Background()
	b := aws.String("mpsums")
	if _, err := c.CreateBucket(ctx, &s3sdk.CreateBucketInput{Bucket: b}); err != nil {
		t.Fatal(err)
	}
	parts := [][]byte{bytes.Repeat([]byte{'p'}, engine.MinPartSize), []byte("the last part")}
	whole := append(append([]byte(nil), parts[0]...), parts[1]...)
	for _, tc := range []struct {
		alg       types.ChecksumAlgorithm
		typ       types.ChecksumType
		name      string // engine algorithm
		wantType  types.ChecksumType
		composite bool
	}{
		{types.ChecksumAlgorithmCrc32, "", "CRC32", types.ChecksumTypeComposite, true},
		{types.ChecksumAlgorithmCrc32c, types.ChecksumTypeFullObject, "CRC32C", types.ChecksumTypeFullObject, false},
		{types.ChecksumAlgorithmSha256, types.ChecksumTypeComposite, "SHA256", types.ChecksumTypeComposite, true},
		{types.ChecksumAlgorithmCrc64nvme, "", "CRC64NVME", types.ChecksumTypeFullObject, false},
		{"", "", "CRC64NVME", types.ChecksumTypeFullObject, false},
	} {
		key := aws.String("obj-" + tc.name + "-" + string(tc.typ))
		up, err := c.CreateMultipartUpload(ctx, &s3sdk.CreateMultipartUploadInput{Bucket: b, Key: key, ChecksumAlgorithm: tc.alg, ChecksumType: tc.typ})
		if err != nil {
			t.Fatal(err)
		}
		if up.ChecksumAlgorithm != tc.alg || (tc.alg != "" && up.ChecksumType != tc.wantType) {
			t.Fatalf("%s: CreateMultipartUpload answered %q %q", *key, up.ChecksumAlgorithm, up.ChecksumType)
		}
		var done []types.CompletedPart
		var raws []byte
		for i, p := range parts {
			n := aws.Int32(int32(i + 1))
			in := &s3sdk.UploadPartInput{Bucket: b, Key: key, UploadId: up.UploadId, PartNumber: n, Body: bytes.NewReader(p), ChecksumAlgorithm: tc.alg}
			out, err := c.UploadPart(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			sum := b64sum(tc.name, p)
			raw, _ := base64.StdEncoding.DecodeString(sum)
			raws = append(raws, raw...)
			cp := types.CompletedPart{PartNumber: n, ETag: out.ETag}
			switch tc.alg {
			case types.ChecksumAlgorithmCrc32:
				cp.ChecksumCRC32 = out.ChecksumCRC32
			case types.ChecksumAlgorithmCrc32c:
				cp.ChecksumCRC32C = out.ChecksumCRC32C
			case types.ChecksumAlgorithmSha256:
				cp.ChecksumSHA256 = out.ChecksumSHA256
			}
			done = append(done, cp)
		}
		want := b64sum(tc.name, whole)
		if tc.composite {
			want = b64sum(tc.name, raws) + "-2"
		}
		lu, err := c.ListMultipartUploads(ctx, &s3sdk.ListMultipartUploadsInput{Bucket: b, Prefix: key})
		if err != nil || len(lu.Uploads) != 1 || lu.Uploads[0].ChecksumAlgorithm != tc.alg || (tc.alg != "" && lu.Uploads[0].ChecksumType != tc.wantType) {
			t.Fatalf("%s: ListMultipartUploads %+v %v", *key, lu.Uploads, err)
		}
		lp, err := c.ListParts(ctx, &s3sdk.ListPartsInput{Bucket: b, Key: key, UploadId: up.UploadId})
		if err != nil || lp.ChecksumAlgorithm != tc.alg || (tc.alg != "" && lp.ChecksumType != tc.wantType) {
			t.Fatalf("%s: ListParts %q %q %v", *key, lp.ChecksumAlgorithm, lp.ChecksumType, err)
		}
		comp := &s3sdk.CompleteMultipartUploadInput{Bucket: b, Key: key, UploadId: up.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: done}}
		if tc.name == "CRC32C" {
			bad := *comp
			bad.ChecksumCRC32C = aws.String(b64sum("CRC32C", []byte("something else")))
			if _, err := c.CompleteMultipartUpload(ctx, &bad); apiCode(err) != "BadDigest" {
				t.Fatalf("completion with a wrong full-object CRC32C: %v", err)
			}
			comp.ChecksumCRC32C = aws.String(want)
		}
		switch tc.name {
		case "CRC32": // as minio-go sends it: no "-N", the type in a header
			comp.ChecksumCRC32, comp.ChecksumType = aws.String(strings.TrimSuffix(want, "-2")), types.ChecksumTypeComposite
		case "SHA256":
			comp.ChecksumSHA256 = aws.String(want)
		}
		co, err := c.CompleteMultipartUpload(ctx, comp)
		if err != nil {
			t.Fatalf("%s: %v", *key, err)
		}
		if co.ChecksumType != tc.wantType {
			t.Fatalf("%s: completion type %q", *key, co.ChecksumType)
		}
		h, err := c.HeadObject(ctx, &s3sdk.HeadObjectInput{Bucket: b, Key: key, ChecksumMode: types.ChecksumModeEnabled})
		if err != nil || h.ChecksumType != tc.wantType {
			t.Fatalf("%s: HEAD %q %v", *key, h.ChecksumType, err)
		}
		got := map[string]*string{"CRC32": h.ChecksumCRC32, "CRC32C": h.ChecksumCRC32C, "SHA256": h.ChecksumSHA256, "CRC64NVME": h.ChecksumCRC64NVME}[tc.name]
		if aws.ToString(got) != want {
			t.Fatalf("%s: HEAD checksum %q, want %q", *key, aws.ToString(got), want)
		}
	}
	for _, bad := range []struct {
		alg types.ChecksumAlgorithm
		typ types.ChecksumType
	}{{types.ChecksumAlgorithmSha256, types.ChecksumTypeFullObject}, {types.ChecksumAlgorithmCrc64nvme, types.ChecksumTypeComposite}, {"", types.ChecksumTypeComposite}, {"MD5", ""}} {
		_, err := c.CreateMultipartUpload(ctx, &s3sdk.CreateMultipartUploadInput{Bucket: b, Key: aws.String("bad"), ChecksumAlgorithm: bad.alg, ChecksumType: bad.typ})
		if apiCode(err) != "InvalidRequest" {
			t.Errorf("CreateMultipartUpload %q %q: %v", bad.alg, bad.typ, err)
		}
	}
}

// TestPartWithoutChecksum: a part sent without any checksum (a client
// computing none) gets one of the algorithm its upload was created with,
// so the completed object still has its checksum, as on S3.
func TestPartWithoutChecksum(t *testing.T) {
	_, _, c := newEngineServer(t)
	ctx := context.Background()
	b, key := aws.String("nosums"), aws.String("obj")
	if _, err := c.CreateBucket(ctx, &s3sdk.CreateBucketInput{Bucket: b}); err != nil {
		t.Fatal(err)
	}
	up, err := c.CreateMultipartUpload(ctx, &s3sdk.CreateMultipartUploadInput{Bucket: b, Key: key,
		ChecksumAlgorithm: types.ChecksumAlgorithmCrc32c, ChecksumType: types.ChecksumTypeFullObject})
	if err != nil {
		t.Fatal(err)
	}
	noSums := func(o *s3sdk.Options) { o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired }
	parts := [][]byte{bytes.Repeat([]byte{'q'}, engine.MinPartSize), []byte("tail")}
	var done []types.CompletedPart
	for i, p := range parts {
		out, err := c.UploadPart(ctx, &s3sdk.UploadPartInput{Bucket: b, Key: key, UploadId: up.UploadId,
			PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(p)}, noSums)
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(out.ChecksumCRC32C) != b64sum("CRC32C", p) {
			t.Fatalf("part %d answered CRC32C %q, want the upload's algorithm computed", i+1, aws.ToString(out.ChecksumCRC32C))
		}
		done = append(done, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: out.ETag})
	}
	if _, err := c.CompleteMultipartUpload(ctx, &s3sdk.CompleteMultipartUploadInput{Bucket: b, Key: key, UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: done}}, noSums); err != nil {
		t.Fatal(err)
	}
	h, err := c.HeadObject(ctx, &s3sdk.HeadObjectInput{Bucket: b, Key: key, ChecksumMode: types.ChecksumModeEnabled})
	whole := append(append([]byte(nil), parts[0]...), parts[1]...)
	if err != nil || aws.ToString(h.ChecksumCRC32C) != b64sum("CRC32C", whole) || h.ChecksumType != types.ChecksumTypeFullObject {
		t.Fatalf("HEAD: CRC32C %q type %q (%v), want %q", aws.ToString(h.ChecksumCRC32C), h.ChecksumType, err, b64sum("CRC32C", whole))
	}
}
