package engine_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash/crc64"
	"strconv"
	"testing"

	"github.com/prismd/prismd/engine"
	plog "github.com/prismd/prismd/log"
)

func sumOf(alg string, b []byte) string {
	h := engine.NewChecksum(alg)
	h.Write(b)
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// TestMultipartChecksum: a FULL_OBJECT checksum combined from the parts'
// CRCs equals the CRC of the whole object, for every split (empty parts
// included); a COMPOSITE one is the digest of the part digests with "-N".
func TestMultipartChecksum(t *testing.T) {
	h := engine.NewChecksum("CRC64NVME")
	h.Write([]byte("123456789"))
	if got := hex.EncodeToString(h.Sum(nil)); got != "ae8b14860a799888" {
		t.Fatalf("CRC-64/NVME check value %s", got)
	}
	data := payload(7, 100_000)
	ref := crc64.Checksum(data, crc64.MakeTable(0x9a6c9329ac4bc9b5))
	if got := sumOf("CRC64NVME", data); got != base64.StdEncoding.EncodeToString(binary.BigEndian.AppendUint64(nil, ref)) {
		t.Fatalf("CRC64NVME %s differs from hash/crc64's %x", got, ref)
	}
	for _, alg := range []string{"CRC32", "CRC32C", "CRC64NVME"} {
		for _, cuts := range [][]int{{100_000}, {1, 99_999}, {0, 50_000, 50_000}, {33_333, 33_333, 33_334}, {99_999, 0, 1}} {
			var sums []map[string]string
			var sizes []int64
			off := 0
			for _, n := range cuts {
				sums = append(sums, map[string]string{alg: sumOf(alg, data[off:off+n])})
				sizes = append(sizes, int64(n))
				off += n
			}
			got, ok := engine.MultipartChecksum(alg, engine.ChecksumFullObject, sums, sizes)
			if want := sumOf(alg, data); !ok || got != want {
				t.Errorf("%s full object of %v: %s %v, want %s", alg, cuts, got, ok, want)
			}
		}
	}
	parts := [][]byte{data[:60_000], data[60_000:]}
	for _, alg := range []string{"CRC32", "CRC32C", "SHA1", "SHA256"} {
		h := engine.NewChecksum(alg)
		var sums []map[string]string
		for _, p := range parts {
			s := sumOf(alg, p)
			raw, _ := base64.StdEncoding.DecodeString(s)
			h.Write(raw)
			sums = append(sums, map[string]string{alg: s})
		}
		want := base64.StdEncoding.EncodeToString(h.Sum(nil)) + "-" + strconv.Itoa(len(parts))
		if got, ok := engine.MultipartChecksum(alg, engine.ChecksumComposite, sums, []int64{60_000, 40_000}); !ok || got != want {
			t.Errorf("%s composite: %s %v, want %s", alg, got, ok, want)
		}
	}
	for _, bad := range []struct{ alg, typ string }{{"SHA256", engine.ChecksumFullObject}, {"CRC64NVME", engine.ChecksumComposite}, {"MD5", engine.ChecksumComposite}} {
		if _, ok := engine.MultipartChecksum(bad.alg, bad.typ, []map[string]string{{bad.alg: "AAAAAA=="}}, []int64{1}); ok {
			t.Errorf("%s %s accepted", bad.alg, bad.typ)
		}
	}
	if _, ok := engine.MultipartChecksum("CRC32", engine.ChecksumFullObject, []map[string]string{{"CRC32": sumOf("CRC32", data)}, nil}, []int64{1, 2}); ok {
		t.Error("a part without a checksum gave an object checksum")
	}
}

// TestUploadChecksumSurvivesRestart: the checksum an upload was created
// with is in its event, so a restart (replay of the log) keeps it, and the
// completed object gets it; an impossible pair is refused.
func TestUploadChecksumSurvivesRestart(t *testing.T) {
	c := newCluster(t, 3, plog.Policy{Mode: "erasure", DataShards: 2, ParityShards: 1, Placement: "shuffle"})
	ctx := context.Background()
	c.e.CreateBucket(ctx, "bkt", "")
	if _, err := c.e.CreateUpload(ctx, "bkt", "k", "", nil, nil, engine.UploadChecksum{Algorithm: "SHA256", Type: engine.ChecksumFullObject}); !errors.Is(err, engine.ErrInvalidArgument) {
		t.Fatalf("SHA256 FULL_OBJECT: %v", err)
	}
	up, err := c.e.CreateUpload(ctx, "bkt", "k", "", nil, nil, engine.UploadChecksum{Algorithm: "CRC32C", Type: engine.ChecksumFullObject})
	if err != nil || up.ChecksumAlgorithm != "CRC32C" || up.ChecksumType != engine.ChecksumFullObject {
		t.Fatalf("create: %+v %v", up, err)
	}
	data := payload(3, 6<<20)
	var parts []engine.CompletePart
	for i, p := range [][]byte{data[:5<<20], data[5<<20:]} {
		pi, err := c.e.UploadPart(ctx, up.UploadID, i+1, engine.PutInput{Bucket: "bkt", Key: "k", Size: int64(len(p)), Body: bytes.NewReader(p),
			BeforeCommit: func() (map[string]string, error) { return map[string]string{"CRC32C": sumOf("CRC32C", p)}, nil }})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, engine.CompletePart{Number: i + 1, ETag: pi.ETag})
	}
	c.restart()
	lp, err := c.e.ListParts(ctx, "bkt", "k", up.UploadID, 0, 0)
	if err != nil || lp.Upload.ChecksumAlgorithm != "CRC32C" || lp.Upload.ChecksumType != engine.ChecksumFullObject {
		t.Fatalf("after restart: %+v %v", lp.Upload, err)
	}
	info, err := c.e.CompleteUpload(ctx, "bkt", "k", up.UploadID, parts, engine.Conditions{})
	if err != nil || info.Checksums["CRC32C"] != sumOf("CRC32C", data) || len(info.Checksums) != 1 {
		t.Fatalf("complete: %v %v, want CRC32C %s", info.Checksums, err, sumOf("CRC32C", data))
	}
	c.restart()
	h, err := c.e.HeadObject(ctx, "bkt", "k", engine.GetOptions{})
	if err != nil || h.Checksums["CRC32C"] != sumOf("CRC32C", data) || len(h.PartSizes) != 2 || h.PartSums[1]["CRC32C"] != sumOf("CRC32C", data[5<<20:]) {
		t.Fatalf("after restart: %+v %v", h, err)
	}
}

// TestUploadPartCopyChecksum: a part copied from an object gets the
// upload's checksum as it is copied, so an upload of copied and uploaded
// parts still gets its full-object CRC64NVME.
func TestUploadPartCopyChecksum(t *testing.T) {
	c := newCluster(t, 3, plog.Policy{Mode: "erasure", DataShards: 2, ParityShards: 1, Placement: "shuffle"})
	ctx := context.Background()
	c.e.CreateBucket(ctx, "bkt", "")
	src := payload(4, 5<<20)
	put(t, c.e, "bkt", "src", src)
	up, _ := c.e.CreateUpload(ctx, "bkt", "k", "", nil, nil)
	p1, err := c.e.UploadPartCopy(ctx, up.UploadID, 1, "bkt", "k", "bkt", "src", "", engine.Conditions{}, nil)
	if err != nil || p1.Checksums["CRC64NVME"] != sumOf("CRC64NVME", src) {
		t.Fatalf("copied part: %v %v", p1.Checksums, err)
	}
	tail := []byte("tail")
	p2, err := c.e.UploadPart(ctx, up.UploadID, 2, engine.PutInput{Bucket: "bkt", Key: "k", Size: int64(len(tail)), Body: bytes.NewReader(tail),
		BeforeCommit: func() (map[string]string, error) {
			return map[string]string{"CRC64NVME": sumOf("CRC64NVME", tail)}, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.e.CompleteUpload(ctx, "bkt", "k", up.UploadID, []engine.CompletePart{{Number: 1, ETag: p1.ETag}, {Number: 2, ETag: p2.ETag}}, engine.Conditions{})
	if want := sumOf("CRC64NVME", append(append([]byte(nil), src...), tail...)); err != nil || info.Checksums["CRC64NVME"] != want {
		t.Fatalf("object checksum %v %v, want %s", info.Checksums, err, want)
	}
}

// BenchmarkDefaultChecksum: the cost every PUT without a checksum now pays
// (CRC64NVME over the body), per byte.
func BenchmarkDefaultChecksum(b *testing.B) {
	data := payload(1, 1<<20)
	h := engine.NewChecksum(engine.DefaultChecksum)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		h.Write(data)
	}
}

// TestCopyReencodedChecksum: a copy into a bucket of another policy is one
// part; a source with a COMPOSITE checksum gives it the full-object
// CRC64NVME of its bytes, a full-object checksum is kept.
func TestCopyReencodedChecksum(t *testing.T) {
	c := newCluster(t, 3, plog.Policy{Mode: "erasure", DataShards: 2, ParityShards: 1, Placement: "shuffle"})
	ctx := context.Background()
	c.e.CreateBucket(ctx, "bkt", "")
	c.e.CreateBucket(ctx, "rep", "")
	if err := c.e.SetBucketPolicy(ctx, "rep", plog.Policy{Mode: "replica", DataShards: 1, ParityShards: 1, Placement: "shuffle"}); err != nil {
		t.Fatal(err)
	}
	data := payload(5, 5<<20+10)
	up, _ := c.e.CreateUpload(ctx, "bkt", "mp", "", nil, nil, engine.UploadChecksum{Algorithm: "SHA256"})
	var parts []engine.CompletePart
	for i, p := range [][]byte{data[:5<<20], data[5<<20:]} {
		pi, err := c.e.UploadPart(ctx, up.UploadID, i+1, engine.PutInput{Bucket: "bkt", Key: "mp", Size: int64(len(p)), Body: bytes.NewReader(p),
			BeforeCommit: func() (map[string]string, error) { return map[string]string{"SHA256": sumOf("SHA256", p)}, nil }})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, engine.CompletePart{Number: i + 1, ETag: pi.ETag})
	}
	mp, err := c.e.CompleteUpload(ctx, "bkt", "mp", up.UploadID, parts, engine.Conditions{})
	if err != nil || engine.ChecksumType(mp.Checksums["SHA256"]) != engine.ChecksumComposite {
		t.Fatalf("complete: %v %v", mp.Checksums, err)
	}
	cp, err := c.e.CopyObject(ctx, engine.CopyInput{SrcBucket: "bkt", SrcKey: "mp", Bucket: "rep", Key: "copy"})
	if err != nil || len(cp.Checksums) != 1 || cp.Checksums["CRC64NVME"] != sumOf("CRC64NVME", data) {
		t.Fatalf("re-encoded copy of a composite object: %v %v", cp.Checksums, err)
	}
	single := map[string]string{"CRC32": sumOf("CRC32", data)}
	if _, err := c.e.PutObject(ctx, engine.PutInput{Bucket: "bkt", Key: "one", Size: int64(len(data)), Body: bytes.NewReader(data),
		BeforeCommit: func() (map[string]string, error) { return single, nil }}); err != nil {
		t.Fatal(err)
	}
	cp, err = c.e.CopyObject(ctx, engine.CopyInput{SrcBucket: "bkt", SrcKey: "one", Bucket: "rep", Key: "copy1"})
	if err != nil || len(cp.Checksums) != 1 || cp.Checksums["CRC32"] != single["CRC32"] {
		t.Fatalf("re-encoded copy of a full-object checksum: %v %v", cp.Checksums, err)
	}
}
