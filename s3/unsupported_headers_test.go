package s3

import (
	"strings"
	"testing"
)

// unsupportedHeaderCases are the headers asking for what prismd does not
// do, each with a value that must be refused.
var unsupportedHeaderCases = map[string]string{
	"x-amz-server-side-encryption":                                "AES256",
	"x-amz-server-side-encryption-aws-kms-key-id":                 "arn:aws:kms:us-east-1:1:key/x",
	"x-amz-server-side-encryption-context":                        "e30=",
	"x-amz-server-side-encryption-bucket-key-enabled":             "true",
	"x-amz-server-side-encryption-customer-algorithm":             "AES256",
	"x-amz-server-side-encryption-customer-key":                   "a2V5",
	"x-amz-server-side-encryption-customer-key-md5":               "bWQ1",
	"x-amz-copy-source-server-side-encryption-customer-algorithm": "AES256",
	"x-amz-copy-source-server-side-encryption-customer-key":       "a2V5",
	"x-amz-copy-source-server-side-encryption-customer-key-md5":   "bWQ1",
	"x-amz-website-redirect-location":                             "/elsewhere",
	"x-amz-storage-class":                                         "GLACIER",
}

// TestUnsupportedHeadersRefused: a write carrying a header prismd would
// otherwise ignore gets 501 NotImplemented naming the header, on every
// operation that takes such headers, and changes nothing.
func TestUnsupportedHeadersRefused(t *testing.T) {
	e := newTestEnv(t)
	up := e.seed()
	u := e.srv.URL
	ops := []struct {
		name, method, url string
		body              []byte
		hdr               map[string]string
	}{
		{"PutObject", "PUT", u + "/bkt/dst", []byte("data"), nil},
		{"CopyObject", "PUT", u + "/bkt/dst", nil, map[string]string{"X-Amz-Copy-Source": "/bkt/obj"}},
		{"CreateMultipartUpload", "POST", u + "/bkt/dst?uploads", nil, nil},
		{"UploadPart", "PUT", u + "/bkt/mp?partNumber=1&uploadId=" + up.UploadID, []byte("data"), nil},
		{"CreateBucket", "PUT", u + "/newbucket", nil, nil},
	}
	before := e.f.snapshot()
	for name, value := range unsupportedHeaderCases {
		for _, op := range ops {
			t.Run(name+"/"+op.name, func(t *testing.T) {
				hdr := map[string]string{name: value}
				for k, v := range op.hdr {
					hdr[k] = v
				}
				resp, b := send(t, signedRequest(t, op.method, op.url, op.body, unsignedPayload, hdr))
				if resp.StatusCode != 501 || !strings.Contains(b, "<Code>NotImplemented</Code>") || !strings.Contains(b, name) {
					t.Fatalf("got %d %s", resp.StatusCode, b)
				}
				e.f.requireUnchanged(t, before)
			})
		}
	}
}

// TestHarmlessHeaderValuesAccepted: the values that ask for nothing prismd
// lacks are accepted (rclone sends x-amz-acl: private by default).
func TestHarmlessHeaderValuesAccepted(t *testing.T) {
	e := newTestEnv(t)
	u := e.srv.URL
	harmless := map[string]string{"X-Amz-Acl": "private", "X-Amz-Storage-Class": "STANDARD", "X-Amz-Bucket-Object-Lock-Enabled": "false"}
	if resp, b := send(t, signedRequest(t, "PUT", u+"/bkt", nil, unsignedPayload, harmless)); resp.StatusCode != 200 {
		t.Fatalf("CreateBucket: %d %s", resp.StatusCode, b)
	}
	if resp, b := send(t, signedRequest(t, "PUT", u+"/bkt/obj", []byte("data"), unsignedPayload, harmless)); resp.StatusCode != 200 {
		t.Fatalf("PutObject: %d %s", resp.StatusCode, b)
	}
	if resp, b := send(t, signedRequest(t, "POST", u+"/bkt/obj?uploads", nil, unsignedPayload, harmless)); resp.StatusCode != 200 {
		t.Fatalf("CreateMultipartUpload: %d %s", resp.StatusCode, b)
	}
}

// TestUnsupportedHeadersTable: every entry of the table has a case above.
func TestUnsupportedHeadersTable(t *testing.T) {
	for _, u := range unsupportedHeaders {
		if _, ok := unsupportedHeaderCases[u.name]; !ok {
			t.Errorf("%s has no test case", u.name)
		}
	}
	if len(unsupportedHeaders) != len(unsupportedHeaderCases) {
		t.Errorf("%d table entries, %d test cases", len(unsupportedHeaders), len(unsupportedHeaderCases))
	}
}
