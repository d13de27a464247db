package s3

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prismd/prismd/engine"
)

// The examples of the AWS docs ("Signature Calculations for the
// Authorization Header", "Query string authentication", chunked uploads)
// use this key, 20130524T000000Z, us-east-1 and examplebucket.
const (
	docKey    = "AKIAIOSFODNN7EXAMPLE"
	docSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

var docTime = time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC)

func docServer(now time.Time) (*Server, *fakeEngine) {
	f := newFakeEngine()
	f.keys[docKey] = engine.AccessKey{AccessKey: docKey, Secret: docSecret, Root: true}
	return New(Config{Engine: f, Now: func() time.Time { return now }, Domain: "s3.amazonaws.com"}), f
}

func docAuthz(signed, sig string) string {
	return "AWS4-HMAC-SHA256 Credential=" + docKey + "/20130524/us-east-1/s3/aws4_request,SignedHeaders=" + signed + ",Signature=" + sig
}

func TestSigV4DocExamples(t *testing.T) {
	tests := []struct {
		name    string
		method  string
		target  string
		headers map[string]string
		body    string
		signed  string
		sig     string
	}{
		{
			name: "GET object", method: "GET", target: "/test.txt",
			headers: map[string]string{"Range": "bytes=0-9", "X-Amz-Content-Sha256": emptySHA256, "X-Amz-Date": "20130524T000000Z"},
			signed:  "host;range;x-amz-content-sha256;x-amz-date",
			sig:     "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
		},
		{
			name: "PUT object", method: "PUT", target: "/test%24file.text",
			headers: map[string]string{
				"Date": "Fri, 24 May 2013 00:00:00 GMT", "X-Amz-Date": "20130524T000000Z",
				"X-Amz-Storage-Class":  "REDUCED_REDUNDANCY",
				"X-Amz-Content-Sha256": "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
			},
			body:   "Welcome to Amazon S3.",
			signed: "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
			sig:    "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd",
		},
		{
			name: "GET bucket lifecycle", method: "GET", target: "/?lifecycle",
			headers: map[string]string{"X-Amz-Content-Sha256": emptySHA256, "X-Amz-Date": "20130524T000000Z"},
			signed:  "host;x-amz-content-sha256;x-amz-date",
			sig:     "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543",
		},
		{
			name: "GET bucket list", method: "GET", target: "/?max-keys=2&prefix=J",
			headers: map[string]string{"X-Amz-Content-Sha256": emptySHA256, "X-Amz-Date": "20130524T000000Z"},
			signed:  "host;x-amz-content-sha256;x-amz-date",
			sig:     "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := docServer(docTime)
			r := httptest.NewRequest(tc.method, "http://examplebucket.s3.amazonaws.com"+tc.target, strings.NewReader(tc.body))
			for k, v := range tc.headers {
				r.Header.Set(k, v)
			}
			a, err := s.verifyHeaderAuth(r, docAuthz(tc.signed, tc.sig))
			if err != nil {
				t.Fatalf("doc signature rejected: %v", err)
			}
			if a.Key.AccessKey != docKey {
				t.Fatalf("key = %q", a.Key.AccessKey)
			}
			// Any change to the signature, method or a signed header fails.
			bad := []byte(tc.sig)
			bad[0] = "01"[bytesIndex(bad[0] == '0')]
			if _, err := s.verifyHeaderAuth(r, docAuthz(tc.signed, string(bad))); !errors.Is(err, ErrSignatureDoesNotMatch) {
				t.Fatalf("flipped signature: %v", err)
			}
			r.Method = "DELETE"
			if _, err := s.verifyHeaderAuth(r, docAuthz(tc.signed, tc.sig)); !errors.Is(err, ErrSignatureDoesNotMatch) {
				t.Fatalf("changed method: %v", err)
			}
		})
	}
}

func TestSigV4ClockAndKeys(t *testing.T) {
	mk := func() *http.Request {
		r := httptest.NewRequest("GET", "http://examplebucket.s3.amazonaws.com/test.txt", nil)
		r.Header.Set("Range", "bytes=0-9")
		r.Header.Set("X-Amz-Content-Sha256", emptySHA256)
		r.Header.Set("X-Amz-Date", "20130524T000000Z")
		return r
	}
	authz := docAuthz("host;range;x-amz-content-sha256;x-amz-date", "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
	for _, d := range []time.Duration{14 * time.Minute, -14 * time.Minute} {
		s, _ := docServer(docTime.Add(d))
		if _, err := s.verifyHeaderAuth(mk(), authz); err != nil {
			t.Fatalf("skew %v: %v", d, err)
		}
	}
	for _, d := range []time.Duration{16 * time.Minute, -16 * time.Minute} {
		s, _ := docServer(docTime.Add(d))
		if _, err := s.verifyHeaderAuth(mk(), authz); !errors.Is(err, ErrRequestTimeTooSkewed) {
			t.Fatalf("skew %v: %v", d, err)
		}
	}
	s, f := docServer(docTime)
	delete(f.keys, docKey)
	if _, err := s.verifyHeaderAuth(mk(), authz); !errors.Is(err, ErrInvalidAccessKeyID) {
		t.Fatalf("unknown key: %v", err)
	}
}

func TestPresignDocExample(t *testing.T) {
	target := "http://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
	for _, tc := range []struct {
		now  time.Time
		want error
	}{
		{docTime, nil},
		{docTime.Add(23 * time.Hour), nil},
		{docTime.Add(24*time.Hour + time.Second), ErrExpiredPresign},
		{docTime.Add(-time.Hour), ErrAccessDenied},
	} {
		s, _ := docServer(tc.now)
		r := httptest.NewRequest("GET", target, nil)
		_, err := s.verifyPresigned(r, r.URL.Query())
		if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Fatalf("now %v: err %v, want %v", tc.now, err, tc.want)
		}
	}
	s, _ := docServer(docTime)
	r := httptest.NewRequest("GET", strings.Replace(target, "test.txt", "test2.txt", 1), nil)
	if _, err := s.verifyPresigned(r, r.URL.Query()); !errors.Is(err, ErrSignatureDoesNotMatch) {
		t.Fatalf("other key: %v", err)
	}
	r = httptest.NewRequest("GET", strings.Replace(target, "X-Amz-Expires=86400", "X-Amz-Expires=604801", 1), nil)
	if _, err := s.verifyPresigned(r, r.URL.Query()); toAPIError(err).Code != "AccessDenied" || !strings.Contains(err.Error(), "604800") {
		t.Fatalf("expiry over a week: %v", err)
	}
}

func TestParseAuthorization(t *testing.T) {
	good := "AWS4-HMAC-SHA256 Credential=AK/20130524/eu-west-9/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + strings.Repeat("a", 64)
	h, err := parseAuthorization(good)
	if err != nil {
		t.Fatal(err)
	}
	if h.Credential.Region != "eu-west-9" || len(h.SignedHeaders) != 2 {
		t.Fatalf("%+v", h)
	}
	bad := map[string]error{
		"":                 ErrUnsupportedSignature,
		"AWS AKID:sig":     ErrUnsupportedSignature,
		"AWS4-HMAC-SHA256": ErrAuthorizationHeaderMalformed,
		strings.Replace(good, "/s3/", "/ec2/", 1):                                  ErrAuthorizationHeaderMalformed,
		strings.Replace(good, "host;x-amz-date", "x-amz-date;host", 1):             ErrAuthorizationHeaderMalformed,
		strings.Replace(good, "host;x-amz-date", "x-amz-date", 1):                  ErrAuthorizationHeaderMalformed,
		strings.Replace(good, strings.Repeat("a", 64), strings.Repeat("A", 64), 1): ErrAuthorizationHeaderMalformed,
		good + ", Signature=" + strings.Repeat("a", 64):                            ErrAuthorizationHeaderMalformed,
		strings.Replace(good, "20130524", "2013052", 1):                            ErrAuthorizationHeaderMalformed,
	}
	for v, want := range bad {
		if _, err := parseAuthorization(v); !errors.Is(err, want) {
			t.Errorf("%q: err %v, want %v", v, err, want)
		}
	}
}

func TestCanonicalURIAndQuery(t *testing.T) {
	for in, want := range map[string]string{
		"":                 "/",
		"/":                "/",
		"/b/a%2Fb":         "/b/a%2Fb",
		"/b/a b+c":         "/b/a%20b%2Bc",
		"/b/%7Euser/x!y*z": "/b/~user/x%21y%2Az",
		"/b//k":            "/b//k",
		"/b/caf%C3%A9":     "/b/caf%C3%A9",
	} {
		if got := canonicalURI(in); got != want {
			t.Errorf("canonicalURI(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"b=2&a=1&a=0":              "a=0&a=1&b=2",
		"uploads":                  "uploads=",
		"prefix=a%2Fb&delimiter=/": "delimiter=%2F&prefix=a%2Fb",
		"x=a+b":                    "x=a%2Bb",
		"X-Amz-Signature=x&y=1":    "y=1",
	} {
		if got := canonicalQuery(in, true); got != want {
			t.Errorf("canonicalQuery(%q) = %q, want %q", in, got, want)
		}
	}
}

// docChunkedBody frames 64 KiB + 1 KiB of 'a' as in the AWS chunked example.
func docChunkedBody(sigs [3]string, trailer string) []byte {
	var b bytes.Buffer
	for i, n := range []int{65536, 1024, 0} {
		fmt.Fprintf(&b, "%x;chunk-signature=%s\r\n", n, sigs[i])
		b.WriteString(strings.Repeat("a", n))
		if n > 0 {
			b.WriteString("\r\n")
		}
	}
	b.WriteString(trailer)
	b.WriteString("\r\n")
	return b.Bytes()
}

var docChunkSigs = [3]string{
	"ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
	"0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
	"b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
}

var docTrailerSigs = [3]string{
	"b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
	"1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
	"2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
}

const docTrailer = "x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n"

func docChunkedRequest(body []byte, trailer bool) (*http.Request, string) {
	r := httptest.NewRequest("PUT", "http://s3.amazonaws.com/examplebucket/chunkObject.txt", bytes.NewReader(body))
	r.Header.Set("X-Amz-Date", "20130524T000000Z")
	r.Header.Set("X-Amz-Storage-Class", "REDUCED_REDUNDANCY")
	r.Header.Set("Content-Encoding", "aws-chunked")
	r.Header.Set("X-Amz-Decoded-Content-Length", "66560")
	if trailer {
		r.Header.Set("X-Amz-Content-Sha256", streamingSignedT)
		r.Header.Set("X-Amz-Trailer", "x-amz-checksum-crc32c")
		return r, docAuthz("content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer",
			"106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e")
	}
	r.Header.Set("X-Amz-Content-Sha256", streamingSigned)
	r.Header.Set("Content-Length", "66824") // as signed, whatever the body is
	return r, docAuthz("content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class",
		"4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9")
}

// readDocChunked authenticates and decodes a doc-style chunked request.
func readDocChunked(t *testing.T, body []byte, trailer bool) ([]byte, map[string]string, error) {
	t.Helper()
	s, _ := docServer(docTime)
	r, authz := docChunkedRequest(body, trailer)
	a, err := s.verifyHeaderAuth(r, authz)
	if err != nil {
		t.Fatalf("seed signature rejected: %v", err)
	}
	p, err := newPayload(r, a, "")
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, p.declared)
	if _, err := io.ReadFull(p, data); err != nil {
		return nil, nil, err
	}
	sums, err := p.finish()
	return data, sums, err
}

func TestChunkedDocExample(t *testing.T) {
	body := docChunkedBody(docChunkSigs, "")
	if len(body) != 66824 {
		t.Fatalf("encoded length %d, the doc says 66824", len(body))
	}
	data, _, err := readDocChunked(t, body, false)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, bytes.Repeat([]byte("a"), 66560)) {
		t.Fatal("decoded data differs")
	}
}

func TestChunkedDocTrailerExample(t *testing.T) {
	data, sums, err := readDocChunked(t, docChunkedBody(docTrailerSigs, docTrailer), true)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) != 66560 || sums["CRC32C"] != "sOO8/Q==" {
		t.Fatalf("len %d sums %v", len(data), sums)
	}
}

func TestChunkedDocTampered(t *testing.T) {
	good := docChunkedBody(docChunkSigs, "")
	cases := map[string]struct {
		body []byte
		want error
	}{
		"flipped data byte":   {flip(good, 100), ErrSignatureDoesNotMatch},
		"flipped final sig":   {bytes.Replace(good, []byte(docChunkSigs[2]), []byte(docChunkSigs[1]), 1), ErrSignatureDoesNotMatch},
		"no final chunk":      {good[:bytes.Index(good, []byte("0;chunk"))], ErrIncompleteBody},
		"truncated mid-chunk": {good[:1000], ErrIncompleteBody},
		"trailing garbage":    {append(append([]byte{}, good...), "xyz"...), ErrMalformedChunk},
		"chunks swapped sigs": {bytes.Replace(good, []byte(docChunkSigs[0]), []byte(docChunkSigs[1]), 1), ErrSignatureDoesNotMatch},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, _, err := readDocChunked(t, tc.body, false)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
		})
	}
	trailerGood := docChunkedBody(docTrailerSigs, docTrailer)
	_, _, err := readDocChunked(t, bytes.Replace(trailerGood, []byte("sOO8/Q=="), []byte("AAAAAA=="), 1), true)
	if !errors.Is(err, ErrSignatureDoesNotMatch) {
		t.Fatalf("altered trailer: %v", err)
	}
}

func flip(b []byte, at int) []byte {
	c := append([]byte{}, b...)
	c[at] ^= 1
	return c
}

func bytesIndex(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestChunkedTrailerLFStyle: minio-go ends the checksum trailer with a bare
// LF and puts a blank CRLF line before the trailer signature; the AWS doc
// example framed that way must verify the same, and a wrong signature
// must still fail.
func TestChunkedTrailerLFStyle(t *testing.T) {
	minioStyle := strings.Replace(docTrailer, "sOO8/Q==\r\n", "sOO8/Q==\n\r\n", 1)
	data, sums, err := readDocChunked(t, docChunkedBody(docTrailerSigs, minioStyle), true)
	if err != nil || len(data) != 66560 || sums["CRC32C"] != "sOO8/Q==" {
		t.Fatalf("minio-style trailers: len %d sums %v err %v", len(data), sums, err)
	}
	bad := strings.Replace(minioStyle, "d81f82fc", "d81f82fd", 1)
	if _, _, err := readDocChunked(t, docChunkedBody(docTrailerSigs, bad), true); !errors.Is(err, ErrSignatureDoesNotMatch) {
		t.Fatalf("minio-style trailers with a wrong signature: %v", err)
	}
}
