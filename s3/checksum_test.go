package s3

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"net/http"
	"testing"
)

func TestChecksumVectors(t *testing.T) {
	in := []byte("123456789")
	u32 := func(v uint32) string { b := binary.BigEndian.AppendUint32(nil, v); return hex.EncodeToString(b) }
	want := map[string]string{
		"CRC32":     u32(0xcbf43926),
		"CRC32C":    u32(0xe3069283),
		"CRC64NVME": "ae8b14860a799888",
		"SHA1":      "f7c3bc1d808e04732adf679965ccc34ca7ae3441",
		"SHA256":    "15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225",
	}
	for alg, w := range want {
		h := newChecksum(alg)
		h.Write(in)
		if got := hex.EncodeToString(h.Sum(nil)); got != w {
			t.Errorf("%s = %s, want %s", alg, got, w)
		}
	}
	if newChecksum("MD5") != nil {
		t.Fatal("MD5 is not an additional checksum")
	}
}

func TestParseChecksumRequest(t *testing.T) {
	crc := base64.StdEncoding.EncodeToString([]byte{1, 2, 3, 4})
	ok := []http.Header{
		{},
		{"X-Amz-Checksum-Crc32": {crc}},
		{"X-Amz-Sdk-Checksum-Algorithm": {"crc32"}, "X-Amz-Checksum-Crc32": {crc}},
		{"X-Amz-Trailer": {"x-amz-checksum-sha256"}},
		{"X-Amz-Checksum-Mode": {"ENABLED"}},
	}
	for _, h := range ok {
		if _, err := parseChecksumRequest(h); err != nil {
			t.Errorf("%v: %v", h, err)
		}
	}
	bad := []http.Header{
		{"X-Amz-Checksum-Crc32": {"not base64!"}},
		{"X-Amz-Checksum-Crc32": {base64.StdEncoding.EncodeToString([]byte{1, 2, 3})}},
		{"X-Amz-Checksum-Crc32": {crc}, "X-Amz-Checksum-Crc32c": {crc}},
		{"X-Amz-Sdk-Checksum-Algorithm": {"CRC32C"}, "X-Amz-Checksum-Crc32": {crc}},
		{"X-Amz-Sdk-Checksum-Algorithm": {"MD5"}},
		{"X-Amz-Checksum-Md5": {crc}},
		{"X-Amz-Trailer": {"x-amz-meta-foo"}},
	}
	for _, h := range bad {
		if _, err := parseChecksumRequest(h); err == nil {
			t.Errorf("%v accepted", h)
		}
	}
}
