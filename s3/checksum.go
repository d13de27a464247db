package s3

import (
	"encoding/base64"
	"hash"
	"net/http"
	"strings"

	"github.com/prismd/prismd/engine"
)

// checksumAlgorithms are the S3 "additional checksums", by the name S3 uses
// in x-amz-sdk-checksum-algorithm and in engine.ObjectInfo.Checksums.
var checksumAlgorithms = engine.ChecksumAlgorithms

// newChecksum returns the hash for an algorithm name, or nil if unknown.
func newChecksum(alg string) hash.Hash { return engine.NewChecksum(alg) }

// checksumSize is the digest length of alg in bytes.
func checksumSize(alg string) int {
	if h := newChecksum(alg); h != nil {
		return h.Size()
	}
	return 0
}

// checksumHeader is the header (and trailer) name carrying alg's value.
func checksumHeader(alg string) string { return "x-amz-checksum-" + strings.ToLower(alg) }

// checksumAlgFromHeader returns the algorithm named by a header such as
// "x-amz-checksum-crc32c", or "".
func checksumAlgFromHeader(name string) string {
	name = strings.ToLower(strings.TrimSpace(name))
	rest, ok := strings.CutPrefix(name, "x-amz-checksum-")
	if !ok {
		return ""
	}
	up := strings.ToUpper(rest)
	for _, a := range checksumAlgorithms {
		if a == up {
			return a
		}
	}
	return ""
}

// checksumRequest is what a request says about additional checksums.
type checksumRequest struct {
	alg      string // algorithm to compute ("" for none)
	expected string // base64 value from a header; "" when absent or trailing
	trailing bool   // the value arrives in the aws-chunked trailer
}

// parseChecksumRequest reads x-amz-sdk-checksum-algorithm, x-amz-checksum-*
// and x-amz-trailer. At most one algorithm may be used.
func parseChecksumRequest(h http.Header) (checksumRequest, error) {
	var cr checksumRequest
	if sdk := h.Get("X-Amz-Sdk-Checksum-Algorithm"); sdk != "" {
		cr.alg = strings.ToUpper(sdk)
		if newChecksum(cr.alg) == nil {
			return cr, detail(ErrInvalidRequest, "Value for x-amz-sdk-checksum-algorithm header is invalid.")
		}
	}
	found := ""
	for name, vals := range h {
		alg := checksumAlgFromHeader(name)
		if alg == "" {
			if strings.HasPrefix(strings.ToLower(name), "x-amz-checksum-") && !strings.EqualFold(name, "x-amz-checksum-type") && !strings.EqualFold(name, "x-amz-checksum-mode") && !strings.EqualFold(name, "x-amz-checksum-algorithm") {
				return cr, detail(ErrInvalidRequest, "Unknown checksum header %s.", name)
			}
			continue
		}
		if found != "" {
			return cr, detail(ErrInvalidRequest, "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
		}
		found = alg
		cr.expected = vals[0]
	}
	if tr := h.Get("X-Amz-Trailer"); tr != "" {
		alg := checksumAlgFromHeader(tr)
		if alg == "" || strings.Contains(tr, ",") {
			return cr, detail(ErrInvalidRequest, "The value specified in the x-amz-trailer header is not supported.")
		}
		if found != "" {
			return cr, detail(ErrInvalidRequest, "Expecting a single x-amz-checksum- header.")
		}
		found = alg
		cr.trailing = true
	}
	if found != "" {
		if cr.alg != "" && cr.alg != found {
			return cr, detail(ErrInvalidRequest, "Value for x-amz-sdk-checksum-algorithm header is invalid.")
		}
		cr.alg = found
	}
	if cr.expected != "" {
		if err := checkChecksumValue(cr.alg, cr.expected); err != nil {
			return cr, err
		}
	}
	return cr, nil
}

// checkChecksumValue verifies that v is the base64 of a digest of alg's size.
func checkChecksumValue(alg, v string) error {
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil || len(b) != checksumSize(alg) {
		return detail(ErrInvalidRequest, "Value for %s header is invalid.", checksumHeader(alg))
	}
	return nil
}

// checksumMismatch is the BadDigest AWS answers when a checksum fails.
func checksumMismatch(alg string) error {
	return detail(ErrBadDigest, "The %s you specified did not match the calculated checksum.", alg)
}

// setChecksumHeaders writes x-amz-checksum-* response headers.
func setChecksumHeaders(h http.Header, sums map[string]string) {
	for _, alg := range checksumAlgorithms {
		if v, ok := sums[alg]; ok && v != "" {
			h.Set(checksumHeader(alg), v)
		}
	}
}

// setObjectChecksumHeaders writes an object's x-amz-checksum-* headers and
// x-amz-checksum-type.
func setObjectChecksumHeaders(h http.Header, sums map[string]string) {
	setChecksumHeaders(h, sums)
	if alg, v := objectChecksum(sums); alg != "" {
		h.Set("x-amz-checksum-type", engine.ChecksumType(v))
	}
}

// objectChecksum returns the algorithm and value of an object's checksum
// ("" when it has none).
func objectChecksum(sums map[string]string) (alg, value string) {
	for _, a := range checksumAlgorithms {
		if v := sums[a]; v != "" {
			return a, v
		}
	}
	return "", ""
}

// checksumElements are the Checksum* elements of an XML answer.
type checksumElements struct {
	ChecksumCRC32     string `xml:"ChecksumCRC32,omitempty"`
	ChecksumCRC32C    string `xml:"ChecksumCRC32C,omitempty"`
	ChecksumCRC64NVME string `xml:"ChecksumCRC64NVME,omitempty"`
	ChecksumSHA1      string `xml:"ChecksumSHA1,omitempty"`
	ChecksumSHA256    string `xml:"ChecksumSHA256,omitempty"`
}

func newChecksumElements(sums map[string]string) checksumElements {
	return checksumElements{ChecksumCRC32: sums["CRC32"], ChecksumCRC32C: sums["CRC32C"], ChecksumCRC64NVME: sums["CRC64NVME"],
		ChecksumSHA1: sums["SHA1"], ChecksumSHA256: sums["SHA256"]}
}

// uploadChecksumRequest reads x-amz-checksum-algorithm and
// x-amz-checksum-type of a CreateMultipartUpload.
func uploadChecksumRequest(h http.Header) ([]engine.UploadChecksum, error) {
	alg := strings.ToUpper(strings.TrimSpace(h.Get("X-Amz-Checksum-Algorithm")))
	typ := strings.ToUpper(strings.TrimSpace(h.Get("X-Amz-Checksum-Type")))
	switch {
	case alg == "" && typ == "":
		return nil, nil
	case alg == "":
		return nil, detail(ErrInvalidRequest, "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.")
	case newChecksum(alg) == nil:
		return nil, detail(ErrInvalidRequest, "Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]")
	case typ != "" && typ != engine.ChecksumComposite && typ != engine.ChecksumFullObject:
		return nil, detail(ErrInvalidRequest, "Value for x-amz-checksum-type header is invalid.")
	}
	if typ == "" {
		typ = engine.DefaultChecksumType(alg)
	}
	if !engine.ChecksumTypeAllowed(alg, typ) {
		return nil, detail(ErrInvalidRequest, "The %s checksum type cannot be used with the %s checksum algorithm.", typ, strings.ToLower(alg))
	}
	return []engine.UploadChecksum{{Algorithm: alg, Type: typ}}, nil
}

// requireIntegrity makes a request carry Content-MD5 or an x-amz-checksum
// value (header or trailer), as S3 does for the configuration PUTs
// (CORS, lifecycle, tagging, object lock) and locked writes.
func requireIntegrity(h http.Header) error {
	if _, ok := h["Content-Md5"]; ok {
		return nil
	}
	ck, err := parseChecksumRequest(h)
	if err != nil {
		return err
	}
	if ck.expected == "" && !ck.trailing {
		return ErrMissingContentMD5
	}
	return nil
}
