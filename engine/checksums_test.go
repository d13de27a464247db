package engine_test

import (
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"testing"

	"github.com/prismd/prismd/engine"
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
