package s3

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// do sends a signed request (UNSIGNED-PAYLOAD) and returns the answer with its body read.
func (e *testEnv) do(t *testing.T, method, path string, body []byte, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	resp, err := e.srv.Client().Do(signedRequest(t, method, e.srv.URL+path, body, unsignedPayload, hdr))
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// TestPartNumberOutOfRange: partNumber=1 of a single-part object is the
// whole object; a part number the object does not have is 416
// InvalidPartNumber, on GET and HEAD, as AWS answers.
func TestPartNumberOutOfRange(t *testing.T) {
	e := newTestEnv(t)
	e.seed()
	resp, body := e.do(t, "GET", "/bkt/obj?partNumber=1", nil, nil)
	if resp.StatusCode != http.StatusPartialContent || body != "old" || resp.Header.Get("Content-Range") != "bytes 0-2/3" {
		t.Fatalf("partNumber=1 of a single-part object: %d %q %q", resp.StatusCode, body, resp.Header.Get("Content-Range"))
	}
	resp, body = e.do(t, "GET", "/bkt/obj?partNumber=2", nil, nil)
	if resp.StatusCode != http.StatusRequestedRangeNotSatisfiable || !strings.Contains(body, "<Code>InvalidPartNumber</Code>") ||
		!strings.Contains(body, "The requested partnumber is not satisfiable") {
		t.Fatalf("GET partNumber=2: %d %s", resp.StatusCode, body)
	}
	resp, _ = e.do(t, "HEAD", "/bkt/obj?partNumber=2", nil, nil)
	if resp.StatusCode != http.StatusRequestedRangeNotSatisfiable {
		t.Fatalf("HEAD partNumber=2: %d", resp.StatusCode)
	}
}
