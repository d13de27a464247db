package s3

import (
	"context"
	"io"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/prismd/prismd/engine"
)

// TestControlCharactersInListings: a key holding characters XML 1.0 cannot
// carry (\x01, \x1f) comes back in listings without encoding-type as the
// numeric character references AWS sends (&#x1;, &#x1f;), not as U+FFFD.
func TestControlCharactersInListings(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	const key, wire = "a\x01b\x1fc", "a&#x1;b&#x1f;c"
	e.f.CreateBucket(ctx, "ctl", "")
	if _, err := e.f.PutObject(ctx, engine.PutInput{Bucket: "ctl", Key: key, Size: 1, Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	up, _ := e.f.CreateUpload(ctx, "ctl", key, "", nil, nil)
	u := e.srv.URL
	for target, want := range map[string]string{
		"/ctl":             "<Key>" + wire + "</Key>",
		"/ctl?list-type=2": "<Key>" + wire + "</Key>",
		"/ctl?list-type=2&prefix=a%01&start-after=%01": "<Prefix>a&#x1;</Prefix><StartAfter>&#x1;</StartAfter>",
		"/ctl?delimiter=%1f":                           "<Delimiter>&#x1f;</Delimiter><IsTruncated>false</IsTruncated><CommonPrefixes><Prefix>a&#x1;b&#x1f;</Prefix>",
		"/ctl?uploads&prefix=a%01":                     "<Prefix>a&#x1;</Prefix>",
		"/ctl?uploads":                                 "<Key>" + wire + "</Key>",
		"/ctl/a%01b%1Fc?uploadId=" + up.UploadID:       "<Key>" + wire + "</Key>",
		"/ctl/a%01b%1Fc?tagging&versionId=other":       "<Resource>/ctl/" + wire + "</Resource>", // an error
	} {
		_, b := send(t, signedRequest(t, "GET", u+target, nil, emptySHA256, nil))
		if !strings.Contains(b, want) || strings.Contains(b, "\uFFFD") {
			t.Errorf("GET %s: no %s in\n%s", target, want, b)
		}
	}

	// aws-sdk-go-v2 cannot read such a listing, from AWS or from prismd:
	// encoding/xml refuses a reference to U+0001. What it must never do is
	// return another key (as the U+FFFD it got before did). With
	// encoding-type=url the key round-trips.
	c := e.client(testKey, testSecret)
	if l, err := c.ListObjectsV2(ctx, &s3sdk.ListObjectsV2Input{Bucket: aws.String("ctl")}); err == nil && aws.ToString(l.Contents[0].Key) != key {
		t.Fatalf("SDK listing without encoding-type: key %q", aws.ToString(l.Contents[0].Key))
	}
	l, err := c.ListObjectsV2(ctx, &s3sdk.ListObjectsV2Input{Bucket: aws.String("ctl"), EncodingType: "url"})
	if err != nil || len(l.Contents) != 1 {
		t.Fatalf("SDK listing with encoding-type=url: %+v %v", l, err)
	}
	listed, err := url.QueryUnescape(aws.ToString(l.Contents[0].Key))
	if err != nil || listed != key {
		t.Fatalf("SDK listing with encoding-type=url: key %q", aws.ToString(l.Contents[0].Key))
	}
	got, err := c.GetObject(ctx, &s3sdk.GetObjectInput{Bucket: aws.String("ctl"), Key: aws.String(listed)})
	if err != nil {
		t.Fatalf("GET of the listed key: %v", err)
	}
	data, _ := io.ReadAll(got.Body)
	got.Body.Close()
	if string(data) != "x" {
		t.Fatalf("GET of the listed key: %q", data)
	}
}

// TestXMLTextEscaping: valid XML characters are escaped exactly as
// encoding/xml escapes them; the others become numeric references.
func TestXMLTextEscaping(t *testing.T) {
	for in, want := range map[string]string{
		"plain/key.txt":        "plain/key.txt",
		`a<b>&"c'`:             "a&lt;b&gt;&amp;&#34;c&#39;",
		"tab\tnl\ncr\r":        "tab&#x9;nl&#xA;cr&#xD;",
		"\x00\x01\x08\x0b\x1f": "&#x0;&#x1;&#x8;&#xb;&#x1f;",
		"caf\u00e9 \U0001F600": "caf\u00e9 \U0001F600",
		"\uFFFE\uFFFF":         "&#xfffe;&#xffff;",
	} {
		if got := escapeXMLText(in); got != want {
			t.Errorf("escapeXMLText(%q) = %q, want %q", in, got, want)
		}
	}
}
