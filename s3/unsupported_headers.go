package s3

import (
	"net/http"
	"strings"
)

// unsupportedHeader is a request header asking for a feature prismd does
// not have. Ignoring it would answer 200 for a request that did not do
// what the client asked (an object stored without its lock, encryption,
// tags or grants), so every write carrying it is refused with 501
// NotImplemented — S3's "A header you provided implies functionality that
// is not implemented" — naming the header.
type unsupportedHeader struct {
	name    string // lower case
	feature string // what the header asks for, for the message
	// harmless is the one value that asks for nothing prismd lacks
	// (compared without case); "" when every value is refused.
	harmless string
}

// unsupportedHeaders is the one list of such headers.
var unsupportedHeaders = []unsupportedHeader{
	{"x-amz-server-side-encryption", "server-side encryption", ""},
	{"x-amz-server-side-encryption-aws-kms-key-id", "server-side encryption with KMS keys", ""},
	{"x-amz-server-side-encryption-context", "server-side encryption with KMS keys", ""},
	{"x-amz-server-side-encryption-bucket-key-enabled", "server-side encryption with KMS keys", ""},
	{"x-amz-server-side-encryption-customer-algorithm", "server-side encryption with customer keys (SSE-C)", ""},
	{"x-amz-server-side-encryption-customer-key", "server-side encryption with customer keys (SSE-C)", ""},
	{"x-amz-server-side-encryption-customer-key-md5", "server-side encryption with customer keys (SSE-C)", ""},
	{"x-amz-copy-source-server-side-encryption-customer-algorithm", "server-side encryption with customer keys (SSE-C)", ""},
	{"x-amz-copy-source-server-side-encryption-customer-key", "server-side encryption with customer keys (SSE-C)", ""},
	{"x-amz-copy-source-server-side-encryption-customer-key-md5", "server-side encryption with customer keys (SSE-C)", ""},
	{"x-amz-website-redirect-location", "website redirects", ""},
	{"x-amz-storage-class", "storage classes other than STANDARD", "STANDARD"},
}

// checkUnsupportedHeaders refuses a write carrying one of
// unsupportedHeaders with a value that is not harmless.
func checkUnsupportedHeaders(h http.Header) error {
	for _, u := range unsupportedHeaders {
		vals := h.Values(u.name)
		if len(vals) == 0 {
			continue
		}
		if len(vals) == 1 && u.harmless != "" && strings.EqualFold(strings.TrimSpace(vals[0]), u.harmless) {
			continue
		}
		return detail(ErrNotImplemented, "The %s header is not implemented: prismd has no %s.", u.name, u.feature)
	}
	return nil
}
