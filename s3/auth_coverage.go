package s3

import (
	"net/http"
	"slices"
	"strings"
)

// checkSignedCoverage refuses a request carrying a header that changes its
// meaning but that the signature does not cover. It runs after the
// signature verified, for header-signed and presigned requests alike, so
// that a captured or shared request cannot be replayed with a new meaning
// (an unsigned x-amz-copy-source turning a presigned PUT into a copy of
// another object).
//
// AWS refuses every x-amz-* header missing from SignedHeaders with 403
// AccessDenied "There were headers present in the request which were not
// signed" and a HeadersNotSigned element listing them ("a, b"); it does the
// same for Content-MD5, presigned URLs included (aws/aws-sdk-ruby#543,
// aws/aws-sdk-php#1392: a SigV4 presigned PUT signed for "host" and sent
// with Content-MD5 gets HeadersNotSigned content-md5). Content-Type may stay
// unsigned on a presigned URL: AWS then stores whatever type is sent
// (aws/aws-sdk-php#1521, aws/aws-sdk-go-v2#1475), and so does prismd.
//
// x-amz-content-sha256 is exempt: on a header-signed request its value is
// the payload hash of the canonical request, so the signature covers it
// whether or not it is listed, and a presigned request takes its payload
// hash from the query (or from the header only when the header is signed).
// x-amzn-trace-id, which the SDKs add unsigned, is not an x-amz- header.
func checkSignedCoverage(h http.Header, signed []string) error {
	var missing []string
	for k := range h {
		name := strings.ToLower(k)
		if mustBeSigned(name) && !slices.Contains(signed, name) {
			missing = append(missing, name)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	slices.Sort(missing)
	return headersNotSigned(missing)
}

// mustBeSigned reports whether a (lower-case) header must be in
// SignedHeaders when it is present.
func mustBeSigned(name string) bool {
	if name == "x-amz-content-sha256" {
		return false
	}
	return strings.HasPrefix(name, "x-amz-") || name == "content-md5"
}
