package s3

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// TestIntegerQueryParameters: integer query parameters are decimal digits;
// a sign, a space or a value past int32 gets the InvalidArgument AWS gives,
// naming the argument and its value.
func TestIntegerQueryParameters(t *testing.T) {
	e := newTestEnv(t)
	up := e.seed()
	u := e.srv.URL
	const (
		partMsg = "Part number must be an integer between 1 and 10000, inclusive"
		notInt  = "Provided %s not an integer or within integer range"
		inRange = "Argument %s must be an integer between 0 and 2147483647"
	)
	refused := []struct {
		method, target string
		message        string
		name, value    string
	}{
		{"GET", "/bkt/obj?partNumber=+1", partMsg, "partNumber", " 1"}, // + is a space in a query
		{"GET", "/bkt/obj?partNumber=%2B1", partMsg, "partNumber", "+1"},
		{"GET", "/bkt/obj?partNumber=%201", partMsg, "partNumber", " 1"},
		{"HEAD", "/bkt/obj?partNumber=1%20", "", "", ""},
		{"GET", "/bkt/obj?partNumber=-1", partMsg, "partNumber", "-1"},
		{"GET", "/bkt/obj?partNumber=10001", partMsg, "partNumber", "10001"},
		{"PUT", "/bkt/mp?partNumber=%2B1&uploadId=" + up.UploadID, partMsg, "partNumber", "+1"},
		{"GET", "/bkt?max-keys=%2B5", strings.Replace(notInt, "%s", "max-keys", 1), "max-keys", "+5"},
		{"GET", "/bkt?list-type=2&max-keys=%205", strings.Replace(notInt, "%s", "max-keys", 1), "max-keys", " 5"},
		{"GET", "/bkt?max-keys=5%20", strings.Replace(notInt, "%s", "max-keys", 1), "max-keys", "5 "},
		{"GET", "/bkt?max-keys=0x10", strings.Replace(notInt, "%s", "max-keys", 1), "max-keys", "0x10"},
		{"GET", "/bkt?max-keys=2147483648", strings.Replace(notInt, "%s", "max-keys", 1), "max-keys", "2147483648"},
		{"GET", "/bkt?max-keys=-1", strings.Replace(inRange, "%s", "maxKeys", 1), "maxKeys", "-1"},
		{"GET", "/bkt?uploads&max-uploads=%2B1", strings.Replace(notInt, "%s", "max-uploads", 1), "max-uploads", "+1"},
		{"GET", "/bkt?uploads&max-uploads=-01", strings.Replace(inRange, "%s", "max-uploads", 1), "max-uploads", "-1"},
		{"GET", "/bkt/mp?uploadId=" + up.UploadID + "&max-parts=%2B1", strings.Replace(notInt, "%s", "max-parts", 1), "max-parts", "+1"},
		{"GET", "/bkt/mp?uploadId=" + up.UploadID + "&part-number-marker=%2B1", strings.Replace(notInt, "%s", "part-number-marker", 1), "part-number-marker", "+1"},
		{"GET", "/bkt/mp?uploadId=" + up.UploadID + "&part-number-marker=-2", strings.Replace(inRange, "%s", "part-number-marker", 1), "part-number-marker", "-2"},
	}
	before := e.f.snapshot()
	for _, tc := range refused {
		t.Run(tc.method+" "+tc.target, func(t *testing.T) {
			resp, b := send(t, signedRequest(t, tc.method, u+tc.target, nil, unsignedPayload, nil))
			if resp.StatusCode != 400 {
				t.Fatalf("got %d %s", resp.StatusCode, b)
			}
			want := "<Code>InvalidArgument</Code><Message>" + tc.message + "</Message><ArgumentName>" + tc.name + "</ArgumentName><ArgumentValue>" + tc.value + "</ArgumentValue>"
			if tc.method != "HEAD" && !strings.Contains(b, want) {
				t.Fatalf("got %s\nwant %s", b, want)
			}
			e.f.requireUnchanged(t, before)
		})
	}
	for target, want := range map[string]string{
		"/bkt?max-keys=":         "<MaxKeys>1000</MaxKeys>", // empty is the default, as on AWS
		"/bkt?max-keys=05":       "<MaxKeys>5</MaxKeys>",
		"/bkt?max-keys=-0":       "<MaxKeys>0</MaxKeys>",
		"/bkt?max-keys=20000":    "<MaxKeys>1000</MaxKeys>",
		"/bkt/obj?partNumber=01": "",
	} {
		resp, b := send(t, signedRequest(t, "GET", u+target, nil, emptySHA256, nil))
		if resp.StatusCode/100 != 2 || !strings.Contains(b, want) {
			t.Errorf("GET %s: %d %s", target, resp.StatusCode, b)
		}
	}
}

// TestPresignExpiresDigits: X-Amz-Expires is a number of seconds, digits
// only.
func TestPresignExpiresDigits(t *testing.T) {
	target := "http://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
	s, _ := docServer(docTime)
	for _, v := range []string{"%2B86400", "%2086400", "1e3", "", "-", "-x"} {
		r := httptest.NewRequest("GET", strings.Replace(target, "X-Amz-Expires=86400", "X-Amz-Expires="+v, 1), nil)
		if _, err := s.verifyPresigned(r, r.URL.Query()); toAPIError(err).Code != "AuthorizationQueryParametersError" {
			t.Errorf("X-Amz-Expires=%s: %v", v, err)
		}
	}
	// 0, negative and over a week: 403 naming the problem.
	for v, msg := range map[string]string{"0": "greater than 0", "-0": "non-negative", "-60": "non-negative",
		"604801": "604800", "9223372036854775807": "604800", "99999999999999999999": "number"} {
		r := httptest.NewRequest("GET", strings.Replace(target, "X-Amz-Expires=86400", "X-Amz-Expires="+v, 1), nil)
		_, err := s.verifyPresigned(r, r.URL.Query())
		if api := toAPIError(err); (api.Code != "AccessDenied" && msg != "number") || !strings.Contains(api.Message, msg) {
			t.Errorf("X-Amz-Expires=%s: %v", v, err)
		}
	}
}
