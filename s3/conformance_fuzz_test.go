package s3

import (
	"errors"
	"net/http"
	"net/url"
	"testing"

	"github.com/prismd/prismd/engine"
)

// FuzzConformanceHeaders feeds arbitrary values to the decoders of
// x-amz-object-attributes, x-amz-checksum-algorithm / -type and
// encoding-type=url: errors are S3 errors, accepted values are sound, and
// an encoded listing name decodes back to itself.
func FuzzConformanceHeaders(f *testing.F) {
	f.Add("ETag,Checksum, ObjectParts", "CRC32", "FULL_OBJECT", "a b+c/d é")
	f.Add("", "crc64nvme", "", "\x01%")
	f.Add(",,Colour", "", "COMPOSITE", "")
	f.Add("StorageClass,ObjectSize", "SHA256", "full_object", "~._-/")
	f.Fuzz(func(t *testing.T, attrs, alg, typ, name string) {
		isAPI := func(err error) {
			var api *APIError
			if !errors.As(err, &api) {
				t.Fatalf("non-S3 error %v", err)
			}
		}
		h := http.Header{}
		h.Set("X-Amz-Object-Attributes", attrs)
		if want, err := parseObjectAttributes(h); err != nil {
			isAPI(err)
		} else {
			for n := range want {
				if !objectAttributeNames[n] {
					t.Fatalf("accepted attribute %q", n)
				}
			}
		}
		h = http.Header{}
		h.Set("X-Amz-Checksum-Algorithm", alg)
		h.Set("X-Amz-Checksum-Type", typ)
		if sums, err := uploadChecksumRequest(h); err != nil {
			isAPI(err)
		} else {
			for _, s := range sums {
				if !engine.ChecksumTypeAllowed(s.Algorithm, s.Type) {
					t.Fatalf("accepted %s %s", s.Algorithm, s.Type)
				}
			}
		}
		enc := string(listEncoder(true).enc(name))
		for i := 0; i < len(enc); i++ {
			c := enc[i]
			if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' || c == '/' || c == '%') {
				t.Fatalf("%q encodes to %q", name, enc)
			}
		}
		if dec, err := url.PathUnescape(enc); err != nil || dec != name {
			t.Fatalf("%q encodes to %q, decodes to %q (%v)", name, enc, dec, err)
		}
	})
}
