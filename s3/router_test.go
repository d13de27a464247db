package s3

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"
)

func TestVirtualHostedStyle(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	e.f.CreateBucket(ctx, "vhost", "")
	addr := e.srv.Listener.Addr().String()
	_, port, _ := net.SplitHostPort(addr)
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}}}
	c := s3sdk.New(s3sdk.Options{
		Region: testRegion, BaseEndpoint: aws.String("http://s3.test:" + port),
		Credentials: credentials.NewStaticCredentialsProvider(testKey, testSecret, ""), HTTPClient: hc,
	})
	if _, err := c.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: aws.String("vhost"), Key: aws.String("dir/k ey"), Body: strings.NewReader("hello")}); err != nil {
		t.Fatal(err)
	}
	out, err := c.GetObject(ctx, &s3sdk.GetObjectInput{Bucket: aws.String("vhost"), Key: aws.String("dir/k ey")})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(out.Body)
	if string(b) != "hello" {
		t.Fatalf("got %q", b)
	}
	l, err := c.ListObjectsV2(ctx, &s3sdk.ListObjectsV2Input{Bucket: aws.String("vhost"), EncodingType: "url"})
	if err != nil || len(l.Contents) != 1 || aws.ToString(l.Contents[0].Key) != "dir/k%20ey" { // AWS encodes a space as %20
		t.Fatalf("list %+v %v", l, err)
	}
}

func TestSubResourceDispatch(t *testing.T) {
	q := func(s string) url.Values { v, _ := url.ParseQuery(s); return v }
	for in, want := range map[string]string{
		"":                             "",
		"x-id=GetObject":               "",
		"list-type=2&prefix=a":         "",
		"partNumber=1":                 "",
		"uploads":                      "uploads",
		"uploadId=x&partNumber=2":      "uploadId",
		"tagging":                      "tagging",
		"versionId=null&acl":           "acl",
		"response-content-type=text/x": "",
	} {
		got, err := subResource(q(in))
		if err != nil || got != want {
			t.Errorf("%q: %q %v, want %q", in, got, err, want)
		}
	}
	if _, err := subResource(q("tagging&uploads")); err == nil {
		t.Error("two sub-resources accepted")
	}
	// Every routed sub-resource is a known one.
	for _, rt := range routeTable {
		if rt.sub != "" && !subResources[rt.sub] {
			t.Errorf("route %v uses unknown sub-resource", rt)
		}
	}
}

func TestValidateKeyAndBucket(t *testing.T) {
	for _, k := range []string{"a", "a/b", "..a", "a..", "a/.../b", ".", "a//b", strings.Repeat("k", 1024)} {
		if err := validateKey(k); err != nil {
			t.Errorf("%q: %v", k, err)
		}
	}
	for _, k := range []string{"", "..", "../a", "a/../b", "a/..", "a\x00b", "\xff", strings.Repeat("k", 1025)} {
		if validateKey(k) == nil {
			t.Errorf("%q accepted", k)
		}
	}
	for _, b := range []string{"abc", "my-bucket.v2", "a1b", strings.Repeat("b", 63)} {
		if !validBucketName(b) {
			t.Errorf("%q rejected", b)
		}
	}
	for _, b := range []string{"ab", "ABC", "a_b", "-ab", "ab-", "a..b", "192.168.1.1", "xn--ab", "ab-s3alias", strings.Repeat("b", 64)} {
		if validBucketName(b) {
			t.Errorf("%q accepted", b)
		}
	}
}

func TestParseRange(t *testing.T) {
	type r struct{ s, e int64 }
	for in, want := range map[string]*r{
		"bytes=0-9":    {0, 9},
		"bytes=5-":     {5, -1},
		"bytes=-3":     {-3, 0},
		"bytes=9-0":    nil,
		"bytes=0-1,4-": nil,
		"items=0-1":    nil,
		"bytes=a-b":    nil,
	} {
		got, ok, err := parseRange(in)
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if want == nil {
			if ok {
				t.Errorf("%q: %+v, want ignored", in, got)
			}
			continue
		}
		if !ok || got.Start != want.s || got.End != want.e {
			t.Errorf("%q: %+v", in, got)
		}
	}
	if _, _, err := parseRange("bytes=-0"); err == nil {
		t.Error("bytes=-0 accepted")
	}
}
