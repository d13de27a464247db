package s3

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
)

func docSigner(seed string) *chunkSigner {
	c := credential{AccessKey: docKey, Date: "20130524", Region: "us-east-1", Service: "s3"}
	return &chunkSigner{key: signingKey(docSecret, c), amzDate: "20130524T000000Z", scope: c.scope(), prev: seed}
}

// signedSeed frames "abcdefghi" as three signed chunks chained from seed.
func signedSeed(seed, trailer string) []byte {
	s := docSigner(seed)
	var b bytes.Buffer
	for _, c := range []string{"abcd", "efghi", ""} {
		sum := sha256.Sum256([]byte(c))
		s.prev = s.chunk(sum[:])
		fmt.Fprintf(&b, "%x;chunk-signature=%s\r\n%s", len(c), s.prev, c)
		if c != "" {
			b.WriteString("\r\n")
		}
	}
	if trailer != "" {
		b.WriteString(trailer + "\r\nx-amz-trailer-signature:" + s.trailer(trailer+"\n") + "\r\n")
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

// FuzzChunkedDecoder feeds arbitrary bodies to the aws-chunked decoder in
// each mode: it must never panic, only ever return *APIError failures, and
// succeed only with exactly the declared number of bytes.
func FuzzChunkedDecoder(f *testing.F) {
	// Small signed bodies (the 64 KiB doc example is too big to mutate well).
	f.Add(signedSeed("4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9", ""), uint8(0), int64(9))
	f.Add(signedSeed("106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e", "x-amz-checksum-crc32:AAAAAA=="), uint8(1), int64(9))
	f.Add([]byte("3\r\nabc\r\n0\r\nx-amz-checksum-crc32:NSRBwg==\r\n\r\n"), uint8(2), int64(3))
	f.Add([]byte("3;chunk-signature=x\r\nabc\r\n0\r\n\r\n"), uint8(2), int64(3))
	f.Add([]byte("0\r\n\r\n"), uint8(2), int64(0))
	f.Add([]byte("ffffffffffffffff\r\n"), uint8(2), int64(10))
	f.Fuzz(func(t *testing.T, body []byte, mode uint8, declared int64) {
		if declared < 0 || declared > 1<<20 {
			return
		}
		var signer *chunkSigner
		trailer := false
		switch mode % 3 {
		case 0:
			signer = docSigner("4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9")
		case 1:
			signer = docSigner("106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e")
			trailer = true
		case 2:
			trailer = true
		}
		cr := newChunkedReader(bytes.NewReader(body), signer, trailer, declared)
		var out bytes.Buffer
		_, err := io.Copy(&out, io.LimitReader(cr, 2<<20))
		if err != nil {
			var api *APIError
			if !errors.As(err, &api) {
				t.Fatalf("non-S3 error %T %v", err, err)
			}
			return
		}
		if int64(out.Len()) != declared {
			t.Fatalf("decoded %d bytes, declared %d", out.Len(), declared)
		}
		if _, err := cr.Read(make([]byte, 1)); err != io.EOF {
			t.Fatalf("read after EOF: %v", err)
		}
	})
}

// FuzzParseAuthorization checks the SigV4 header parser never panics and
// that what it accepts is well-formed.
func FuzzParseAuthorization(f *testing.F) {
	f.Add(docAuthz("host;range;x-amz-content-sha256;x-amz-date", "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"))
	f.Add("AWS4-HMAC-SHA256 Credential=a/20130524/r/s3/aws4_request, SignedHeaders=host, Signature=" + strings.Repeat("0", 64))
	f.Add("AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=")
	f.Add("AWS4-HMAC-SHA256 Credential=,,,=")
	f.Fuzz(func(t *testing.T, v string) {
		h, err := parseAuthorization(v)
		if err != nil {
			var api *APIError
			if !errors.As(err, &api) {
				t.Fatalf("non-S3 error %v", err)
			}
			return
		}
		if !isHexSignature(h.Signature) || h.Credential.Service != "s3" || len(h.SignedHeaders) == 0 {
			t.Fatalf("accepted malformed header: %+v", h)
		}
		hasHost := false
		for _, s := range h.SignedHeaders {
			hasHost = hasHost || s == "host"
		}
		if !hasHost {
			t.Fatal("accepted SignedHeaders without host")
		}
	})
}

// FuzzCompleteMultipartXML checks the CompleteMultipartUpload parser.
func FuzzCompleteMultipartXML(f *testing.F) {
	f.Add([]byte(`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"a"</ETag></Part></CompleteMultipartUpload>`))
	f.Add([]byte(`<?xml version="1.0"?><CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Part><ETag>x</ETag><PartNumber>2</PartNumber><ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part></CompleteMultipartUpload>`))
	f.Add([]byte(`<CompleteMultipartUpload><Part><PartNumber>-1</PartNumber></Part></CompleteMultipartUpload>trailing`))
	f.Add([]byte(`<!DOCTYPE x [<!ENTITY a "aaaa">]><CompleteMultipartUpload/>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		parts, err := parseCompleteRequest(b)
		if err != nil {
			var api *APIError
			if !errors.As(err, &api) {
				t.Fatalf("non-S3 error %v", err)
			}
			return
		}
		if len(parts) == 0 || len(parts) > maxParts {
			t.Fatalf("%d parts accepted", len(parts))
		}
		for _, p := range parts {
			if p.Number < 1 || p.Number > maxParts {
				t.Fatalf("part number %d accepted", p.Number)
			}
		}
	})
}

// FuzzDeleteObjectsXML checks the DeleteObjects parser.
func FuzzDeleteObjectsXML(f *testing.F) {
	f.Add([]byte(`<Delete><Quiet>true</Quiet><Object><Key>a</Key></Object><Object><Key>b</Key><VersionId>null</VersionId></Object></Delete>`))
	f.Add([]byte(`<?xml version="1.0" encoding="UTF-8"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>a&amp;b</Key></Object></Delete>`))
	f.Add([]byte(`<Delete><Object><Key>` + strings.Repeat("k", 2000) + `</Key></Object></Delete>`))
	f.Add([]byte(`<Delete></Delete><Delete/>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		req, err := parseDeleteRequest(b)
		if err != nil {
			var api *APIError
			if !errors.As(err, &api) {
				t.Fatalf("non-S3 error %v", err)
			}
			return
		}
		if len(req.Objects) == 0 || len(req.Objects) > maxDeleteObjects {
			t.Fatalf("%d objects accepted", len(req.Objects))
		}
	})
}

func TestSignedSeedsDecode(t *testing.T) {
	for i, tc := range []struct {
		seed, trailer string
	}{{"4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9", ""}, {"106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e", "x-amz-checksum-crc32:AAAAAA=="}} {
		cr := newChunkedReader(bytes.NewReader(signedSeed(tc.seed, tc.trailer)), docSigner(tc.seed), tc.trailer != "", 9)
		b, err := io.ReadAll(cr)
		if err != nil || string(b) != "abcdefghi" {
			t.Fatalf("seed %d: %q %v", i, b, err)
		}
	}
}

// FuzzParseACL: any AccessControlPolicy body gives grants that are all
// well-formed, or an error — never a panic.
func FuzzParseACL(f *testing.F) {
	owner := ownerOf("AKOWNER").ID
	f.Add([]byte(`<AccessControlPolicy><Owner><ID>` + owner + `</ID></Owner><AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group"><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>`))
	f.Add([]byte(`<AccessControlPolicy><Owner><ID>x</ID></Owner><AccessControlList><Grant><Grantee xsi:type="AmazonCustomerByEmail"><EmailAddress>a@b</EmailAddress></Grantee><Permission>WRITE</Permission></Grant></AccessControlList></AccessControlPolicy>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		grants, err := parseACL(body, owner)
		if err != nil {
			return
		}
		for _, g := range grants {
			ok := g.Grantee == "group:AllUsers" || g.Grantee == "group:AuthenticatedUsers" ||
				strings.HasPrefix(g.Grantee, "id:") && validCanonicalID(g.Grantee[3:])
			if !ok || !slices.Contains([]string{"FULL_CONTROL", "READ", "WRITE", "READ_ACP", "WRITE_ACP"}, g.Permission) {
				t.Fatalf("bad grant %+v", g)
			}
		}
	})
}
